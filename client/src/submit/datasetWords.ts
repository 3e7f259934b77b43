// The words the datasets panel shares between its upload form and its table: a size, a stored
// dataset's shape, an error, and a refused token.
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';

/** 4.1 KB, 12.3 MB: a file's or a stored dataset's size. */
export function sizeWords(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** 1,000 rows, 4 features, labeled, 3 classes: what a stored dataset holds. */
export function shapeWords(d: DatasetInfo): string {
  const rows = `${d.rows.toLocaleString('en-US')} ${d.rows === 1 ? 'row' : 'rows'}`;
  const features = `${d.features} ${d.features === 1 ? 'feature' : 'features'}`;
  return `${rows}, ${features}, ${d.labeled ? `labeled, ${d.classes} classes` : 'unlabeled'}`;
}

export function errorWords(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const TOKEN_REFUSED =
  'The coordinator does not accept this token: check it above and try again.';
