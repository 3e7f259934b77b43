// An uploaded dataset as the workload page names it: its file name and shape beside its id, or
// the id alone (with why) when the coordinator no longer has it; a built-in one by its word.
import { wholeNumber } from '../dashboard/formatting';
import type { DatasetLookup } from './useDatasetInfo';

export function DatasetName(props: { id: string; lookup: DatasetLookup; brief?: boolean }) {
  const { id, lookup } = props;
  switch (lookup.state) {
    case 'none':
      return <span data-testid="dataset-name">{id}</span>;
    case 'loading':
      return <code className="num">{id}</code>;
    case 'found': {
      const d = lookup.dataset;
      return (
        <span className="dataset-named">
          <span data-testid="dataset-name">{d.name}</span> <code className="muted">{d.id}</code>
          {!props.brief && (
            <span className="muted">
              {' '}
              ({wholeNumber(d.rows)} rows × {d.features} features
              {d.labeled ? `, ${d.classes} classes` : ', unlabeled'})
            </span>
          )}
        </span>
      );
    }
    case 'missing':
      return (
        <span>
          <code>{id}</code> <span className="muted">({lookup.message})</span>
        </span>
      );
  }
}
