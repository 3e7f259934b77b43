// An uploaded dataset as the models see it: features standardised with the statistics computed
// at upload ((x - mean) / std per column, float32), and, for training, a held-out split fixed by
// the data alone: a Philox permutation of the rows (HOLDOUT_SEED) puts the first fifth (at
// least one row, at most all but one) in the held-out set; both sets keep file order.
import { epochPermutation } from '@tessera/shared/kinds/gradient/batchSchedule';
import type { ExampleSet } from '@tessera/shared/kinds/gradient/exampleSet';
import type { DatasetContent } from './datasetCodec';

/** Fixes every uploaded dataset's held-out split ("hold" in ASCII). */
export const HOLDOUT_SEED = 0x686f6c64;
export const HOLDOUT_FRACTION = 0.2;

export interface Standardization {
  mean: readonly number[];
  std: readonly number[];
}

/** Rows x features float32, each column standardised; throws when the widths differ. */
export function standardize(
  values: Float32Array,
  features: number,
  stats: Standardization,
): Float32Array {
  if (stats.mean.length !== features || stats.std.length !== features) {
    throw new RangeError(`statistics for ${stats.mean.length} features, data has ${features}`);
  }
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const d = i % features;
    out[i] = (values[i]! - stats.mean[d]!) / stats.std[d]!;
  }
  return out;
}

/** Held-out and training sizes of a labeled dataset of `rows` rows (rows >= 2). */
export function holdoutSizes(rows: number): { train: number; test: number } {
  const test = Math.min(rows - 1, Math.max(1, Math.round(rows * HOLDOUT_FRACTION)));
  return { train: rows - test, test };
}

function subset(set: ExampleSet & { dtype: 'float32' }, rows: number[]): ExampleSet {
  const d = set.inputSize;
  const features = new Float32Array(rows.length * d);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    features.set(set.features.subarray(row * d, row * d + d), i * d);
    labels[i] = set.labels[row]!;
  });
  return {
    dtype: 'float32',
    count: rows.length,
    inputSize: d,
    classes: set.classes,
    features,
    labels,
  };
}

/** The training and held-out sets of a labeled upload, standardised. */
export function trainTestOf(
  content: DatasetContent,
  stats: Standardization,
): { train: ExampleSet; test: ExampleSet } {
  if (!content.labels || content.classes < 2) throw new RangeError('the dataset is unlabeled');
  if (content.rows < 2) throw new RangeError('training needs at least 2 rows');
  const all: ExampleSet & { dtype: 'float32' } = {
    dtype: 'float32',
    count: content.rows,
    inputSize: content.features,
    classes: content.classes,
    features: standardize(content.values, content.features, stats),
    labels: content.labels,
  };
  const { test } = holdoutSizes(content.rows);
  const held = new Uint8Array(content.rows);
  const order = epochPermutation(content.rows, HOLDOUT_SEED, 0);
  for (let i = 0; i < test; i++) held[order[i]!] = 1;
  const trainRows: number[] = [];
  const testRows: number[] = [];
  for (let n = 0; n < content.rows; n++) (held[n] ? testRows : trainRows).push(n);
  return { train: subset(all, trainRows), test: subset(all, testRows) };
}
