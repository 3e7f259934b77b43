// Datasets in words for a terminal: the one-line summary `tessera dataset upload` prints, the
// table of `tessera dataset list` and its line of built-in datasets, and byte counts as a person
// reads them.
import type { BuiltInDataset, DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import { textTable, truncate } from './textTable';

const number = new Intl.NumberFormat('en-US');
const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `812 B`, `4.4 KiB`, `12.3 MiB`: binary units, one decimal past a kibibyte. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 1023.96 KiB would round to "1024.0 KiB": say 1.0 MiB instead.
  if (value.toFixed(1) === '1024.0' && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`;
}

function plural(count: number, one: string, many: string): string {
  return `${number.format(count)} ${count === 1 ? one : many}`;
}

/** `3 classes`, or `unlabeled` for a dataset without a label column. */
function labelWords(dataset: DatasetInfo): string {
  return dataset.labeled ? plural(dataset.classes, 'class', 'classes') : 'unlabeled';
}

/** `"iris.csv": 150 rows, 4 features, 3 classes; 2.9 KiB stored`. */
export function datasetSummary(dataset: DatasetInfo): string {
  return `"${dataset.name}": ${plural(dataset.rows, 'row', 'rows')}, ${plural(dataset.features, 'feature', 'features')}, ${labelWords(dataset)}; ${formatBytes(dataset.bytes)} stored`;
}

/** `2026-03-01 12:00:05`, in UTC as `tessera status` shows workloads. */
export function timeWords(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export function datasetTable(datasets: readonly DatasetInfo[]): string {
  return textTable(
    ['ID', 'NAME', 'ROWS', 'FEATURES', 'LABELS', 'SIZE', 'CREATED'],
    datasets.map((d) => [
      d.id,
      truncate(d.name, 32),
      number.format(d.rows),
      number.format(d.features),
      labelWords(d),
      formatBytes(d.bytes),
      timeWords(d.createdAt),
    ]),
  );
}

/** The built-in datasets in one line, as a gradient spec names them. */
export function builtInWords(builtIn: readonly BuiltInDataset[]): string {
  const each = builtIn.map(
    (d) =>
      `${d.name} (${number.format(d.rows)} rows, ${d.features} features, ${d.classes} classes)`,
  );
  return `Built in, named as "dataset" in a gradient spec: ${each.join(', ')}.`;
}
