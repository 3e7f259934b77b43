// A gradient unit's result as bytes on the wire (volunteer -> coordinator), and the edge check
// that refuses a result no honest run could produce. One ArrayBuffer, little-endian:
//
//   offset  size  field
//   0       4     magic  0x52534754 ("TGSR": Tessera Gradient Shard Result)
//   4       2     version 1
//   6       2     reserved, zero
//   8       4     parameterCount P
//   12      4     count    examples in the unit
//   16      4     correct  examples classified correctly
//   20      4     reserved, zero
//   24      8     lossSum  float64
//   32      4P    gradSum  float32, the parameters' layout (gradientModel.ts)
//
// Parameters travel the other way as the bare Float32Array's bytes (4P, layout fixed by the
// model config), so a unit costs 4P down + 32 + 4P up, plus its shard once per tab.
import type { GradientResult } from './gradientReference';
import { firstNonFinite } from './finiteValues';

export const RESULT_MAGIC = 0x52534754;
export const RESULT_VERSION = 1;
export const RESULT_HEADER_BYTES = 32;

export function resultByteLength(parameterCount: number): number {
  return RESULT_HEADER_BYTES + 4 * parameterCount;
}

export function encodeGradientResult(result: GradientResult): ArrayBuffer {
  const buffer = new ArrayBuffer(resultByteLength(result.gradSum.length));
  const view = new DataView(buffer);
  view.setUint32(0, RESULT_MAGIC, true);
  view.setUint16(4, RESULT_VERSION, true);
  view.setUint32(8, result.gradSum.length, true);
  view.setUint32(12, result.count, true);
  view.setUint32(16, result.correct, true);
  view.setFloat64(24, result.lossSum, true);
  new Float32Array(buffer, RESULT_HEADER_BYTES).set(result.gradSum);
  return buffer;
}

/** Parses the bytes (copying the gradient); throws a RangeError saying what is malformed. */
export function decodeGradientResult(bytes: ArrayBuffer | Uint8Array): GradientResult {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.byteLength < RESULT_HEADER_BYTES) throw new RangeError(`result of ${u8.byteLength} bytes`);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (view.getUint32(0, true) !== RESULT_MAGIC) throw new RangeError('result has a bad magic');
  const version = view.getUint16(4, true);
  if (version !== RESULT_VERSION) throw new RangeError(`result version ${version}`);
  const parameterCount = view.getUint32(8, true);
  if (u8.byteLength !== resultByteLength(parameterCount)) {
    throw new RangeError(`result of ${u8.byteLength} bytes, header says ${parameterCount} values`);
  }
  // Copy out through a fresh aligned buffer: the wire buffer may sit at any byte offset. Not
  // u8.slice(): on a Node Buffer (socket.io payloads, SQLite blobs) that is a view into a shared
  // pool, and its .buffer is the whole pool.
  const gradSum = new Float32Array(
    Uint8Array.prototype.slice.call(
      u8,
      RESULT_HEADER_BYTES,
      RESULT_HEADER_BYTES + 4 * parameterCount,
    ).buffer,
  );
  return {
    gradSum,
    count: view.getUint32(12, true),
    correct: view.getUint32(16, true),
    lossSum: view.getFloat64(24, true),
  };
}

/**
 * Why `result` cannot be an honest answer to a unit of `count` examples for a model of
 * `parameterCount` parameters (wrong shape, NaN or infinite values, impossible counts), or null.
 */
export function gradientResultProblem(
  result: GradientResult,
  expected: { parameterCount: number; count: number },
): string | null {
  if (result.gradSum.length !== expected.parameterCount) {
    return `gradient has ${result.gradSum.length} values, model has ${expected.parameterCount}`;
  }
  if (result.count !== expected.count) return `count ${result.count}, unit has ${expected.count}`;
  if (!Number.isInteger(result.correct) || result.correct < 0 || result.correct > result.count) {
    return `correct ${result.correct} of ${result.count}`;
  }
  // Cross-entropy is >= 0; float32 rounding may leave a tiny negative sum of near-zero losses.
  if (!Number.isFinite(result.lossSum) || result.lossSum < -1e-3 * Math.max(1, result.count)) {
    return `lossSum ${result.lossSum}`;
  }
  const bad = firstNonFinite(result.gradSum);
  if (bad >= 0) return `gradient value ${bad} is ${result.gradSum[bad]}`;
  return null;
}
