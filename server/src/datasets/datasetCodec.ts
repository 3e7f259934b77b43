// A dataset's bytes as stored and named (content-addressed): the same numbers give the same
// bytes, so the same id, whoever uploads them and under whatever file name.
//
// Layout (little-endian): magic "TSDS" (u32 0x53445354), version 1, rows, features, classes
// (0: unlabeled) as u32; then rows x features float32 (row-major, as uploaded: raw, not
// standardised); then, when labeled, one u8 class per row.
import { createHash } from 'node:crypto';
import type { ParsedCsv } from './csvDataset';

const MAGIC = 0x53445354;
const VERSION = 1;
const HEADER_BYTES = 20;

export interface DatasetContent {
  rows: number;
  features: number;
  /** 0 when unlabeled. */
  classes: number;
  values: Float32Array;
  labels: Uint8Array | null;
}

export function contentOf(csv: ParsedCsv): DatasetContent {
  return {
    rows: csv.rows,
    features: csv.columns.length,
    classes: csv.classes,
    values: csv.features,
    labels: csv.labels,
  };
}

export function encodeDataset(content: DatasetContent): Uint8Array {
  const { rows, features, classes, values, labels } = content;
  const bytes = new Uint8Array(HEADER_BYTES + 4 * values.length + (labels ? rows : 0));
  const view = new DataView(bytes.buffer);
  [MAGIC, VERSION, rows, features, classes].forEach((word, i) => view.setUint32(4 * i, word, true));
  for (let i = 0; i < values.length; i++) view.setFloat32(HEADER_BYTES + 4 * i, values[i]!, true);
  if (labels) bytes.set(labels, HEADER_BYTES + 4 * values.length);
  return bytes;
}

export function decodeDataset(bytes: Uint8Array): DatasetContent {
  if (bytes.byteLength < HEADER_BYTES) throw new Error('dataset bytes are truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, version, rows, features, classes] = [0, 1, 2, 3, 4].map((i) =>
    view.getUint32(4 * i, true),
  ) as [number, number, number, number, number];
  if (magic !== MAGIC || version !== VERSION) throw new Error('not a Tessera dataset (v1)');
  const count = rows * features;
  const expected = HEADER_BYTES + 4 * count + (classes > 0 ? rows : 0);
  if (bytes.byteLength !== expected) {
    throw new Error(`dataset bytes hold ${bytes.byteLength}, the header says ${expected}`);
  }
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = view.getFloat32(HEADER_BYTES + 4 * i, true);
  const labels =
    classes > 0 ? bytes.slice(HEADER_BYTES + 4 * count, HEADER_BYTES + 4 * count + rows) : null;
  return { rows, features, classes, values, labels };
}

/** The dataset id: "ds-" and the first 24 hex digits (96 bits) of the bytes' SHA-256. */
export function datasetIdOf(bytes: Uint8Array): string {
  return `ds-${createHash('sha256').update(bytes).digest('hex').slice(0, 24)}`;
}

export const DATASET_ID = /^ds-[0-9a-f]{24}$/;

/** Per-feature mean and standard deviation (population; 1 where a column is constant). */
export function featureStatistics(content: DatasetContent): { mean: number[]; std: number[] } {
  const { rows, features, values } = content;
  const mean = new Float64Array(features);
  const square = new Float64Array(features);
  for (let n = 0; n < rows; n++) {
    for (let d = 0; d < features; d++) mean[d] = mean[d]! + values[n * features + d]!;
  }
  for (let d = 0; d < features; d++) mean[d] = mean[d]! / rows;
  for (let n = 0; n < rows; n++) {
    for (let d = 0; d < features; d++) {
      const centered = values[n * features + d]! - mean[d]!;
      square[d] = square[d]! + centered * centered;
    }
  }
  const std = Array.from(square, (s) => {
    const sd = Math.sqrt(s / rows);
    return sd > 1e-12 ? sd : 1;
  });
  return { mean: Array.from(mean), std };
}
