// The uploaded dataset a workload names (a gradient workload's training set, an inference
// workload's rows), read once from GET /api/datasets/:id so the page can say its name beside
// its id. Built-in datasets (mnist, blobs) have no entry; a deleted one reads as missing.
import { useEffect, useState } from 'react';
import { TesseraClient } from '@tessera/shared';
import { datasetIdSchema, type DatasetInfo } from '@tessera/shared/api/datasetSchemas';

export type DatasetLookup =
  | { state: 'none' }
  | { state: 'loading'; id: string }
  | { state: 'found'; dataset: DatasetInfo }
  | { state: 'missing'; id: string; message: string };

export function useDatasetInfo(id: string | null): DatasetLookup {
  const uploaded = id !== null && datasetIdSchema.safeParse(id).success ? id : null;
  const [lookup, setLookup] = useState<DatasetLookup>({ state: 'none' });

  useEffect(() => {
    if (uploaded === null) {
      setLookup({ state: 'none' });
      return;
    }
    let current = true;
    setLookup({ state: 'loading', id: uploaded });
    new TesseraClient({ baseUrl: '' }).dataset(uploaded).then(
      (dataset) => current && setLookup({ state: 'found', dataset }),
      (error: unknown) =>
        current &&
        setLookup({
          state: 'missing',
          id: uploaded,
          message: error instanceof Error ? error.message : String(error),
        }),
    );
    return () => {
      current = false;
    };
  }, [uploaded]);

  return lookup;
}
