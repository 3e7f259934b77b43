// The datasets the coordinator holds, newest first, each with a delete that asks first and says
// why it was refused (a queued or running workload uses it).
import { useEffect, useState } from 'react';
import { ApiError, ERROR_CODES, TesseraClient } from '@tessera/shared';
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import { ConfirmButtons } from './ConfirmButtons';
import { TOKEN_REFUSED, errorWords, sizeWords } from './datasetWords';
import type { ResearcherToken } from './useResearcherToken';

type Deletion =
  | { state: 'asking'; id: string }
  | { state: 'deleting'; id: string }
  | { state: 'refused'; id: string; message: string };

export function DatasetList({
  datasets,
  token,
  onChanged,
}: {
  datasets: readonly DatasetInfo[] | null;
  token: ResearcherToken;
  /** A dataset was deleted: the coordinator's lists are to be read again. */
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
            <ConfirmButtons
              confirm="Delete it"
              confirmTestId="dataset-delete-confirm"
              danger
              cancel="Keep"
              onConfirm={props.onDelete}
              onCancel={props.onKeep}
            />
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
