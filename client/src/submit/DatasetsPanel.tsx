// "Your data" on the submit page: a CSV or NumPy .npy file chosen here is sent as it is (the
// browser streams the file from disk) to POST /api/datasets with the researcher token; an .npy
// waits for its "last column holds the labels" box first. The panel says what arrived (rows,
// features, classes) or where the coordinator found the file wrong (line and column), and lists
// every dataset the coordinator holds, each with a delete that says why it was refused (a
// queued or running workload uses it).
import { useEffect, useRef, useState, type ChangeEvent } from 'react';
import {
  ApiError,
  ERROR_CODES,
  TesseraClient,
  messageWithoutLocation,
  sourceLocationWords,
  type DatasetUploadOptions,
} from '@tessera/shared';
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import type { ResearcherToken } from './useResearcherToken';

type Upload =
  | { state: 'idle' }
  /** An .npy chosen, not yet sent: whether its last column holds the labels is asked first. */
  | { state: 'chosen'; file: File; labelLast: boolean }
  | { state: 'sending'; name: string; bytes: number; abort: AbortController }
  | { state: 'stored'; dataset: DatasetInfo; created: boolean }
  | { state: 'refused'; name: string; where: string | null; message: string }
  | { state: 'failed'; name: string; message: string };

export interface DatasetsPanelProps {
  token: ResearcherToken;
  datasets: readonly DatasetInfo[] | null;
  /** Why the coordinator's lists could not be read, if they could not. */
  loadError: string | null;
  /** Something changed what the coordinator holds: read the lists again. */
  onChanged(): void;
  /** Opens the form that uses a dataset: training for a labeled one, prediction otherwise. */
  onUse(dataset: DatasetInfo): void;
}

/** 4.1 KB, 12.3 MB: a file's or a stored dataset's size. */
export function sizeWords(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function shapeWords(d: DatasetInfo): string {
  const rows = `${d.rows.toLocaleString('en-US')} ${d.rows === 1 ? 'row' : 'rows'}`;
  const features = `${d.features} ${d.features === 1 ? 'feature' : 'features'}`;
  return `${rows}, ${features}, ${d.labeled ? `labeled, ${d.classes} classes` : 'unlabeled'}`;
}

/** A NumPy array by its name; anything else goes as a CSV (the coordinator says if it is not). */
function isNpy(file: File): boolean {
  return file.name.toLowerCase().endsWith('.npy');
}

function errorWords(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const TOKEN_REFUSED = 'The coordinator does not accept this token: check it above and try again.';

export function DatasetsPanel({
  token,
  datasets,
  loadError,
  onChanged,
  onUse,
}: DatasetsPanelProps) {
  const [upload, setUpload] = useState<Upload>({ state: 'idle' });
  const fileRef = useRef<HTMLInputElement>(null);

  async function send(file: File, options: DatasetUploadOptions) {
    const abort = new AbortController();
    setUpload({ state: 'sending', name: file.name, bytes: file.size, abort });
    try {
      const client = new TesseraClient({ baseUrl: '', token: token.token.trim() });
      const { dataset, created } = await client.uploadDataset(file, file.name, {
        ...options,
        signal: abort.signal,
      });
      token.save();
      setUpload({ state: 'stored', dataset, created });
      onChanged();
    } catch (error) {
      if (abort.signal.aborted) {
        setUpload({ state: 'idle' });
      } else if (!(error instanceof ApiError)) {
        setUpload({ state: 'failed', name: file.name, message: errorWords(error) });
      } else if (error.code === ERROR_CODES.unauthorized) {
        setUpload({ state: 'failed', name: file.name, message: TOKEN_REFUSED });
      } else {
        // A CSV problem names its line (and column); say it first, as the CLI does.
        const first = error.fieldErrors[0];
        setUpload({
          state: 'refused',
          name: file.name,
          where: first ? sourceLocationWords(first) : null,
          message: first ? messageWithoutLocation(first) : error.message,
        });
      }
    } finally {
      // The same file may be chosen again (after fixing it) and still fire a change.
      if (fileRef.current) fileRef.current.value = '';
    }
  }

  function start(file: File, options: DatasetUploadOptions) {
    if (token.token.trim() === '') {
      setUpload({
        state: 'failed',
        name: file.name,
        message: 'Enter your researcher token above first: uploading needs it.',
      });
      if (fileRef.current) fileRef.current.value = '';
      return;
    }
    void send(file, options);
  }

  function choose(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    if (isNpy(file)) setUpload({ state: 'chosen', file, labelLast: false });
    else start(file, { format: 'csv' });
  }

  function forget() {
    setUpload({ state: 'idle' });
    if (fileRef.current) fileRef.current.value = '';
  }

  const sending = upload.state === 'sending';
  return (
    <section className="card datasets-card" aria-label="Your data" data-testid="datasets-panel">
      <h2>Your data</h2>
      <p className="field-help">
        A CSV with a header row and numeric columns; a column named <code>label</code> (whole
        numbers from 0) makes it a labeled set to train on. Or a NumPy <code>.npy</code> file: a 2-D
        float32 or float64 array, one row per example, its last column the labels if you say so.
        Features are standardised with the training set’s statistics, and a fifth of the rows is
        held out.
      </p>
      <div className="form-field upload-field">
        <label htmlFor="dataset-file">Upload a CSV or .npy</label>
        <div className="form-control">
          <input
            ref={fileRef}
            id="dataset-file"
            data-testid="dataset-file"
            type="file"
            accept=".csv,text/csv,.npy"
            disabled={sending}
            onChange={choose}
          />
        </div>
      </div>
      {upload.state === 'chosen' ? (
        <NpyChoice
          file={upload.file}
          labelLast={upload.labelLast}
          onLabelLast={(labelLast) => setUpload({ ...upload, labelLast })}
          onSend={() => start(upload.file, { format: 'npy', labelLast: upload.labelLast })}
          onForget={forget}
        />
      ) : (
        <UploadStatus upload={upload} onUse={onUse} />
      )}
      {loadError && (
        <p className="error" role="alert">
          {loadError}
        </p>
      )}
      <DatasetList datasets={datasets} token={token} onChanged={onChanged} />
    </section>
  );
}

/** An .npy file chosen: the labels question, then Upload (or Cancel, to choose another). */
function NpyChoice(props: {
  file: File;
  labelLast: boolean;
  onLabelLast(labelLast: boolean): void;
  onSend(): void;
  onForget(): void;
}) {
  return (
    <div className="upload-status npy-choice" data-testid="npy-choice">
      <p>
        <strong>{props.file.name}</strong> ({sizeWords(props.file.size)}) is a NumPy array.
      </p>
      <div className="checkbox-row">
        <input
          id="dataset-label-last"
          data-testid="dataset-label-last"
          type="checkbox"
          checked={props.labelLast}
          onChange={(e) => props.onLabelLast(e.target.checked)}
        />
        <label htmlFor="dataset-label-last">last column holds the labels</label>
      </div>
      <button
        type="button"
        className="link-button"
        data-testid="dataset-upload"
        onClick={props.onSend}
      >
        Upload it
      </button>
      <button type="button" className="link-button" onClick={props.onForget}>
        Cancel
      </button>
    </div>
  );
}

function UploadStatus({ upload, onUse }: { upload: Upload; onUse(d: DatasetInfo): void }) {
  switch (upload.state) {
    case 'idle':
    case 'chosen':
      return null;
    case 'sending':
      return (
        <div className="upload-status" role="status" data-testid="upload-status">
          <p>
            Sending <strong>{upload.name}</strong> ({sizeWords(upload.bytes)}); the coordinator
            checks it as it arrives…
          </p>
          <progress aria-label={`Uploading ${upload.name}`} />
          <button type="button" className="link-button" onClick={() => upload.abort.abort()}>
            Cancel
          </button>
        </div>
      );
    case 'stored': {
      const d = upload.dataset;
      return (
        <div className="upload-status stored" role="status" data-testid="upload-status">
          <p>
            <strong>{d.name}</strong> {upload.created ? 'is stored' : 'was already here'} as{' '}
            <code data-testid="upload-id">{d.id}</code>:{' '}
            <span data-testid="upload-shape">{shapeWords(d)}</span>.
          </p>
          <button type="button" className="link-button" onClick={() => onUse(d)}>
            {d.labeled ? 'Train a model on it' : 'Predict it with a trained model'}
          </button>
        </div>
      );
    }
    case 'refused':
      return (
        <div className="upload-status error" role="alert" data-testid="upload-status">
          <p>
            <strong>{upload.name}</strong> was refused
            {upload.where ? (
              <>
                {' '}
                at <strong data-testid="upload-where">{upload.where}</strong>
              </>
            ) : null}
            : <span data-testid="upload-problem">{upload.message}</span>
          </p>
        </div>
      );
    case 'failed':
      return (
        <div className="upload-status error" role="alert" data-testid="upload-status">
          <p>
            <strong>{upload.name}</strong> was not uploaded: {upload.message}
          </p>
        </div>
      );
  }
}

type Deletion =
  | { state: 'asking'; id: string }
  | { state: 'deleting'; id: string }
  | { state: 'refused'; id: string; message: string };

function DatasetList({
  datasets,
  token,
  onChanged,
}: {
  datasets: readonly DatasetInfo[] | null;
  token: ResearcherToken;
  onChanged(): void;
}) {
  const [deletion, setDeletion] = useState<Deletion | null>(null);
  // A refusal is about the list it was made against; a new list (a workload ended) starts clean.
  useEffect(() => setDeletion(null), [datasets]);

  async function remove(id: string) {
    if (token.token.trim() === '') {
      setDeletion({ state: 'refused', id, message: 'Enter your researcher token above first.' });
      return;
    }
    setDeletion({ state: 'deleting', id });
    try {
      await new TesseraClient({ baseUrl: '', token: token.token.trim() }).deleteDataset(id);
      setDeletion(null);
      onChanged();
    } catch (error) {
      const refused = error instanceof ApiError && error.code === ERROR_CODES.unauthorized;
      setDeletion({ state: 'refused', id, message: refused ? TOKEN_REFUSED : errorWords(error) });
    }
  }

  if (datasets === null) return <p className="empty">Loading the coordinator’s datasets…</p>;
  if (datasets.length === 0) {
    return (
      <p className="empty" data-testid="datasets-empty">
        No datasets uploaded yet.
      </p>
    );
  }
  const newestFirst = [...datasets].sort((a, b) => b.createdAt - a.createdAt);
  return (
    <div className="dataset-table-wrap">
      <table className="dataset-table" data-testid="dataset-list">
        <caption>On the coordinator</caption>
        <thead>
          <tr>
            <th scope="col">Dataset</th>
            <th scope="col" className="num">
              Rows
            </th>
            <th scope="col" className="num">
              Features
            </th>
            <th scope="col">Labels</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {newestFirst.map((d) => {
            const mine = deletion?.id === d.id ? deletion : null;
            return (
              <DatasetRow
                key={d.id}
                dataset={d}
                deletion={mine}
                onAsk={() => setDeletion({ state: 'asking', id: d.id })}
                onKeep={() => setDeletion(null)}
                onDelete={() => void remove(d.id)}
              />
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function DatasetRow(props: {
  dataset: DatasetInfo;
  deletion: Deletion | null;
  onAsk(): void;
  onKeep(): void;
  onDelete(): void;
}) {
  const { dataset: d, deletion } = props;
  return (
    <>
      <tr data-testid="dataset-row" data-dataset-id={d.id}>
        <td className="dataset-name">
          <span data-testid="dataset-name">{d.name}</span>
          <code className="dataset-id">{d.id}</code>
        </td>
        <td className="num" data-unit={d.rows === 1 ? 'row' : 'rows'}>
          {d.rows.toLocaleString('en-US')}
        </td>
        <td className="num" data-unit={d.features === 1 ? 'feature' : 'features'}>
          {d.features}
        </td>
        <td>{d.labeled ? `${d.classes} classes` : 'none'}</td>
        <td className="num">{sizeWords(d.bytes)}</td>
        <td className="dataset-actions">
          {deletion?.state === 'asking' ? (
            <>
              <button
                type="button"
                className="link-button danger"
                data-testid="dataset-delete-confirm"
                onClick={props.onDelete}
              >
                Delete it
              </button>
              <button type="button" className="link-button" onClick={props.onKeep}>
                Keep
              </button>
            </>
          ) : (
            <button
              type="button"
              className="link-button"
              data-testid="dataset-delete"
              disabled={deletion?.state === 'deleting'}
              aria-label={`Delete ${d.name} (${d.id})`}
              onClick={props.onAsk}
            >
              {deletion?.state === 'deleting' ? 'Deleting…' : 'Delete'}
            </button>
          )}
        </td>
      </tr>
      {deletion?.state === 'refused' && (
        <tr className="dataset-refusal">
          <td colSpan={6} role="alert" data-testid="dataset-delete-error">
            {deletion.message}
          </td>
        </tr>
      )}
    </>
  );
}
