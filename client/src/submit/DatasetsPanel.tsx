// "Your data" on the submit page: the upload of a CSV or NumPy .npy file to the coordinator
// (DatasetUploadForm.tsx), which says what arrived (rows, features, classes) or where the
// coordinator found the file wrong (line and column), and every dataset the coordinator holds,
// each with a delete that says why it was refused (DatasetList.tsx).
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import { DatasetList } from './DatasetList';
import { DatasetUploadForm } from './DatasetUploadForm';
import type { ResearcherToken } from './useResearcherToken';

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

export function DatasetsPanel({
  token,
  datasets,
  loadError,
  onChanged,
  onUse,
}: DatasetsPanelProps) {
  return (
    <section className="card datasets-card" aria-label="Your data" data-testid="datasets-panel">
      <h2>Your data</h2>
      <p className="field-help">
        A CSV with a header row and numeric columns; a column named <code>label</code> (whole
        numbers from 0) makes it a labeled set to train on. Or a NumPy <code>.npy</code> file: a 2-D
        float32 or float64 array, one row per example, its first or last column the labels if you
        say so. Features are standardised with the training set’s statistics, and a fifth of the
        rows is held out.
      </p>
      <DatasetUploadForm token={token} onChanged={onChanged} onUse={onUse} />
      {loadError && (
        <p className="error" role="alert">
          {loadError}
        </p>
      )}
      <DatasetList datasets={datasets} token={token} onChanged={onChanged} />
    </section>
  );
}
