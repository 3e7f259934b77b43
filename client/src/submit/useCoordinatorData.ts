// The coordinator's uploaded datasets and workloads, read when the submit page opens and again
// when something changes them (an upload, a deletion, a submission): the datasets panel lists
// them and the form's dataset and model selects offer them (submitChoices.ts).
import { useCallback, useEffect, useState } from 'react';
import { TesseraClient } from '@tessera/shared';
import type { CoordinatorData } from './submitChoices';

export interface CoordinatorLists extends CoordinatorData {
  /** Why a list could not be read, if one could not. */
  error: string | null;
  reload(): void;
}

export function useCoordinatorData(): CoordinatorLists {
  const [data, setData] = useState<CoordinatorData>({ datasets: null, workloads: null });
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    const words = (e: unknown) => (e instanceof Error ? e.message : String(e));
    const client = new TesseraClient({ baseUrl: '' });
    // Each list on its own: one that fails leaves the other usable.
    void client.datasets().then(
      (datasets) => current && setData((old) => ({ ...old, datasets })),
      (e: unknown) => current && setError(`Could not list datasets: ${words(e)}`),
    );
    void client.list().then(
      (workloads) => current && setData((old) => ({ ...old, workloads })),
      (e: unknown) => current && setError(`Could not list workloads: ${words(e)}`),
    );
    return () => {
      current = false;
    };
  }, [generation]);

  const reload = useCallback(() => {
    setError(null);
    setGeneration((n) => n + 1);
  }, []);
  return { ...data, error, reload };
}
