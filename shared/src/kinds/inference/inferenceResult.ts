// What a volunteer returns for an inference unit (a slice of rows through a trained model): per
// row the predicted class (the first-highest logit) and the class probabilities, as bytes.
//
// Layout, little-endian: magic "TIRS" (u32 0x53524954), version 1, rows N, classes K (u32
// each); N class bytes, zero-padded to a multiple of 4; N x K float32 probabilities, row-major.
//
// Two replicas agree when every class is the same and every probability is within `tolerance`
// (absolute): a GPU computes in float32 and the CPU fallback in float64, so probabilities differ
// in their last bits while the classes, away from exact ties, do not.

export const INFERENCE_RESULT_MAGIC = 0x53524954;
const VERSION = 1;
const HEADER_BYTES = 16;

export interface InferenceResult {
  classes: Uint8Array;
  /** rows x K */
  probabilities: Float32Array;
  /** K */
  classCount: number;
}

const padTo4 = (n: number) => Math.ceil(n / 4) * 4;

export function inferenceResultByteLength(rows: number, classCount: number): number {
  return HEADER_BYTES + padTo4(rows) + 4 * rows * classCount;
}

export function encodeInferenceResult(result: InferenceResult): ArrayBuffer {
  const rows = result.classes.length;
  const k = result.classCount;
  const buffer = new ArrayBuffer(inferenceResultByteLength(rows, k));
  const view = new DataView(buffer);
  [INFERENCE_RESULT_MAGIC, VERSION, rows, k].forEach((w, i) => view.setUint32(4 * i, w, true));
  new Uint8Array(buffer, HEADER_BYTES, rows).set(result.classes);
  const at = HEADER_BYTES + padTo4(rows);
  for (let i = 0; i < rows * k; i++) view.setFloat32(at + 4 * i, result.probabilities[i]!, true);
  return buffer;
}

export function decodeInferenceResult(bytes: ArrayBuffer | Uint8Array): InferenceResult {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.byteLength < HEADER_BYTES)
    throw new RangeError('an inference result is at least 16 bytes');
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const [magic, version, rows, k] = [0, 1, 2, 3].map((i) => view.getUint32(4 * i, true)) as [
    number,
    number,
    number,
    number,
  ];
  if (magic !== INFERENCE_RESULT_MAGIC || version !== VERSION) {
    throw new RangeError('not an inference result (v1)');
  }
  if (k < 2 || k > 256) throw new RangeError(`bad class count ${k}`);
  if (u8.byteLength !== inferenceResultByteLength(rows, k)) {
    throw new RangeError(
      `an inference result of ${rows} rows x ${k} classes is ${inferenceResultByteLength(rows, k)} bytes, got ${u8.byteLength}`,
    );
  }
  const classes = u8.slice(HEADER_BYTES, HEADER_BYTES + rows);
  for (let i = rows; i < padTo4(rows); i++) {
    if (u8[HEADER_BYTES + i] !== 0) throw new RangeError('nonzero padding');
  }
  const at = HEADER_BYTES + padTo4(rows);
  const probabilities = new Float32Array(rows * k);
  for (let i = 0; i < rows * k; i++) probabilities[i] = view.getFloat32(at + 4 * i, true);
  return { classes, probabilities, classCount: k };
}

/** Probabilities of a row may sum to 1 within this (float32 rounding of K terms). */
const SUM_SLACK = 1e-3;

/** [V2] Why the result cannot be this unit's answer, or null. */
export function inferenceResultProblem(
  result: InferenceResult,
  expected: { rows: number; classes: number },
): string | null {
  const { classes, probabilities, classCount: k } = result;
  if (classes.length !== expected.rows) {
    return `the result has ${classes.length} rows, the unit has ${expected.rows}`;
  }
  if (k !== expected.classes)
    return `the result has ${k} classes, the model has ${expected.classes}`;
  for (let n = 0; n < classes.length; n++) {
    const c = classes[n]!;
    if (c >= k) return `row ${n}: class ${c} >= ${k}`;
    let sum = 0;
    let max = -1;
    for (let j = 0; j < k; j++) {
      const p = probabilities[n * k + j]!;
      if (!(p >= 0 && p <= 1)) return `row ${n}: probability ${p} outside [0, 1]`;
      sum += p;
      if (p > max) max = p;
    }
    if (Math.abs(sum - 1) > SUM_SLACK) return `row ${n}: probabilities sum to ${sum}`;
    if (probabilities[n * k + c]! < max) return `row ${n}: class ${c} is not the most probable`;
  }
  return null;
}

/** Default tolerance on probabilities between replicas (absolute). */
export const INFERENCE_TOLERANCE = 1e-4;

/** [Q1] Same classes everywhere, probabilities within `tolerance`. */
export function inferenceResultsAgree(
  a: InferenceResult,
  b: InferenceResult,
  tolerance: number,
): boolean {
  if (a.classCount !== b.classCount || a.classes.length !== b.classes.length) return false;
  for (let n = 0; n < a.classes.length; n++) if (a.classes[n] !== b.classes[n]) return false;
  for (let i = 0; i < a.probabilities.length; i++) {
    if (!(Math.abs(a.probabilities[i]! - b.probabilities[i]!) <= tolerance)) return false;
  }
  return true;
}
