// A set of labelled examples in memory: a dataset split, a batch, or one shard of a batch.
// Features are row-major (example n's D features at n*D .. n*D + D - 1) in one of two types:
// uint8 (0..255, read as value / 255: MNIST pixels, 4x smaller shards) or float32. The same
// features without labels (FeatureRows) are what inference runs a model on.
import { MAX_CLASSES } from './gradientModel';
import { firstNonFinite } from './finiteValues';

export const FEATURE_DTYPES = {
  /** byte b means b / 255 */
  uint8: 1,
  float32: 2,
} as const;
export type FeatureDtype = keyof typeof FEATURE_DTYPES;

/** Unlabelled rows of features: every ExampleSet is one. */
export type FeatureRows =
  | { dtype: 'uint8'; features: Uint8Array; count: number; inputSize: number }
  | { dtype: 'float32'; features: Float32Array; count: number; inputSize: number };

interface ExampleSetBase {
  count: number;
  inputSize: number;
  classes: number;
  /** One byte per example, each < classes. */
  labels: Uint8Array;
}

export type ExampleSet =
  | (ExampleSetBase & { dtype: 'uint8'; features: Uint8Array })
  | (ExampleSetBase & { dtype: 'float32'; features: Float32Array });

/** Feature d of example n as the models see it (uint8 scaled to [0, 1]). */
export function featureValue(rows: FeatureRows, n: number, d: number): number {
  const raw = rows.features[n * rows.inputSize + d]!;
  return rows.dtype === 'uint8' ? raw / 255 : raw;
}

/** Why the rows are not self-consistent (count, length, a non-finite float), or null. */
export function featureRowsProblem(rows: FeatureRows): string | null {
  const { count, inputSize } = rows;
  if (!Number.isSafeInteger(count) || count < 0) return `bad count ${count}`;
  if (!Number.isSafeInteger(inputSize) || inputSize < 1) return `bad inputSize ${inputSize}`;
  if (rows.features.length !== count * inputSize) {
    return `features hold ${rows.features.length} values, expected ${count} x ${inputSize}`;
  }
  if (rows.dtype === 'float32') {
    const bad = firstNonFinite(rows.features);
    if (bad >= 0) return `feature ${bad} is ${rows.features[bad]}`;
  }
  return null;
}

/** Why the set is not self-consistent (lengths, labels out of range), or null. */
export function exampleSetProblem(set: ExampleSet): string | null {
  const { count, classes } = set;
  if (!Number.isSafeInteger(classes) || classes < 2 || classes > MAX_CLASSES) {
    return `bad classes ${classes}`;
  }
  const rowsProblem = featureRowsProblem(set);
  if (rowsProblem !== null) return rowsProblem;
  if (set.labels.length !== count) return `labels hold ${set.labels.length}, expected ${count}`;
  for (let n = 0; n < count; n++) {
    if (set.labels[n]! >= classes) return `label ${set.labels[n]} of example ${n} >= ${classes}`;
  }
  return null;
}

/** A new set holding the given examples, in the given order (copies, never views). */
export function gatherExamples(set: ExampleSet, indices: ArrayLike<number>): ExampleSet {
  const { inputSize: d } = set;
  const count = indices.length;
  const labels = new Uint8Array(count);
  const features = set.dtype === 'uint8' ? new Uint8Array(count * d) : new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    const n = indices[i]!;
    if (!Number.isInteger(n) || n < 0 || n >= set.count) {
      throw new RangeError(`example index ${n} outside [0, ${set.count})`);
    }
    features.set(set.features.subarray(n * d, n * d + d), i * d);
    labels[i] = set.labels[n]!;
  }
  const base = { count, inputSize: d, classes: set.classes, labels };
  return features instanceof Uint8Array
    ? { ...base, dtype: 'uint8', features }
    : { ...base, dtype: 'float32', features };
}

/** Examples start .. end - 1 of the set, as a new set (copies). */
export function sliceExamples(set: ExampleSet, start: number, end: number): ExampleSet {
  const indices = Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
  return gatherExamples(set, indices);
}
