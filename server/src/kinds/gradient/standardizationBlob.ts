// A gradient workload trained on an uploaded dataset keeps the statistics its features were
// standardised with (datasets/uploadedSets.ts) as a blob: inference on its model standardises
// new rows the same way, even after the training dataset is deleted. Float64 little-endian:
// D means, then D standard deviations.
import type { Standardization } from '../../datasets/uploadedSets';

export const STANDARDIZATION_BLOB = 'standardization';

export function encodeStandardization(stats: Standardization): Uint8Array {
  const d = stats.mean.length;
  const words = new Float64Array(2 * d);
  words.set(stats.mean, 0);
  words.set(stats.std, d);
  return new Uint8Array(words.buffer);
}

export function decodeStandardization(bytes: Uint8Array): Standardization {
  if (bytes.byteLength % 16 !== 0) throw new Error('standardization bytes are not 2 x D float64');
  // A copy of its own (a PostgreSQL Buffer's slice() is a view into a shared pool).
  const words = new Float64Array(new Uint8Array(bytes).buffer);
  const d = words.length / 2;
  return { mean: Array.from(words.subarray(0, d)), std: Array.from(words.subarray(d)) };
}
