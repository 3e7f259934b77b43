// Where a dataset upload stands, and what the panel says of it: on its way (with Cancel), stored
// (with the form that uses it), refused by the coordinator (at the line and column it names), or
// not sent at all.
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import { shapeWords } from './datasetWords';
import { progressWords } from './uploadProgress';

/** Where an .npy's labels are, as the panel asks it. */
export type NpyLabels = 'none' | 'first' | 'last';

export type Upload =
  | { state: 'idle' }
  /** An .npy chosen, not yet sent: which column holds its labels (if any) is asked first. */
  | { state: 'chosen'; file: File; labels: NpyLabels }
  | { state: 'sending'; name: string; bytes: number; sent: number; abort: AbortController }
  | { state: 'stored'; dataset: DatasetInfo; created: boolean }
  | { state: 'refused'; name: string; where: string | null; message: string }
  | { state: 'failed'; name: string; message: string };

export function UploadStatus({ upload, onUse }: { upload: Upload; onUse(d: DatasetInfo): void }) {
  switch (upload.state) {
    case 'idle':
    case 'chosen':
      return null;
    case 'sending':
      return (
        <div className="upload-status" role="status" data-testid="upload-status">
          <p>
            Sending <strong>{upload.name}</strong>, checked by the coordinator as it arrives:{' '}
            <span data-testid="upload-progress">{progressWords(upload.sent, upload.bytes)}</span>
          </p>
          {/* Without a size (an empty file) the bar is indeterminate. */}
          <progress
            aria-label={`Uploading ${upload.name}`}
            {...(upload.bytes > 0 ? { value: upload.sent, max: upload.bytes } : {})}
          />
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
