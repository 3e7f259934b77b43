// The datasets panel's upload: a CSV or NumPy .npy file chosen here is sent as it is (the
// browser streams the file from disk, saying how much is sent) to POST /api/datasets with the
// researcher token; an .npy waits for its "which column holds the labels" choice first. What came
// of it shows below the file input (UploadStatus.tsx).
import { useRef, useState, type ChangeEvent } from 'react';
import {
  ApiError,
  ERROR_CODES,
  TesseraClient,
  messageWithoutLocation,
  sourceLocationWords,
  type DatasetUploadOptions,
} from '@tessera/shared';
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import { ConfirmButtons } from './ConfirmButtons';
import { TOKEN_REFUSED, errorWords, sizeWords } from './datasetWords';
import type { ResearcherToken } from './useResearcherToken';
import { UploadStatus, type NpyLabels, type Upload } from './UploadStatus';
import { fetchWithUploadProgress } from './uploadProgress';

/** A NumPy array by its name; anything else goes as a CSV (the coordinator says if it is not). */
function isNpy(file: File): boolean {
  return file.name.toLowerCase().endsWith('.npy');
}

export function DatasetUploadForm({
  token,
  onChanged,
  onUse,
}: {
  token: ResearcherToken;
  /** A dataset was stored: the coordinator's lists are to be read again. */
  onChanged(): void;
  onUse(dataset: DatasetInfo): void;
}) {
  const [upload, setUpload] = useState<Upload>({ state: 'idle' });
  const fileRef = useRef<HTMLInputElement>(null);

  async function send(file: File, options: DatasetUploadOptions) {
    const abort = new AbortController();
    setUpload({ state: 'sending', name: file.name, bytes: file.size, sent: 0, abort });
    // The bytes sent so far, shown while this upload (not a later one) is on its way.
    const progress = fetchWithUploadProgress((sent) =>
      setUpload((now) => (now.state === 'sending' && now.abort === abort ? { ...now, sent } : now)),
    );
    try {
      const client = new TesseraClient({
        baseUrl: '',
        token: token.token.trim(),
        fetch: progress,
      });
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
    if (isNpy(file)) setUpload({ state: 'chosen', file, labels: 'none' });
    else start(file, { format: 'csv' });
  }

  function forget() {
    setUpload({ state: 'idle' });
    if (fileRef.current) fileRef.current.value = '';
  }

  const sending = upload.state === 'sending';
  return (
    <>
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
          labels={upload.labels}
          onLabels={(labels) => setUpload({ ...upload, labels })}
          onSend={() =>
            start(upload.file, {
              format: 'npy',
              ...(upload.labels === 'none' ? {} : { labelColumn: upload.labels }),
            })
          }
          onForget={forget}
        />
      ) : (
        <UploadStatus upload={upload} onUse={onUse} />
      )}
    </>
  );
}

/** An .npy file chosen: the labels question, then Upload (or Cancel, to choose another). */
function NpyChoice(props: {
  file: File;
  labels: NpyLabels;
  onLabels(labels: NpyLabels): void;
  onSend(): void;
  onForget(): void;
}) {
  return (
    <div className="upload-status npy-choice" data-testid="npy-choice">
      <p>
        <strong>{props.file.name}</strong> ({sizeWords(props.file.size)}) is a NumPy array.
      </p>
      <div className="checkbox-row">
        <label htmlFor="dataset-label-column">Labels</label>
        <select
          id="dataset-label-column"
          data-testid="dataset-label-column"
          value={props.labels}
          onChange={(e) => props.onLabels(e.target.value as NpyLabels)}
        >
          <option value="none">none (rows to predict)</option>
          <option value="first">in the first column</option>
          <option value="last">in the last column</option>
        </select>
      </div>
      <ConfirmButtons
        confirm="Upload it"
        confirmTestId="dataset-upload"
        cancel="Cancel"
        onConfirm={props.onSend}
        onCancel={props.onForget}
      />
    </div>
  );
}
