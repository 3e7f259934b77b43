// The binary form of a data shard (a batch's slice of examples), as the coordinator serves it
// over HTTP and a volunteer caches it by content hash. One ArrayBuffer, little-endian:
//
//   offset  size  field
//   0       4     magic    0x44534754 ("TGSD" as bytes: Tessera Gradient Shard Data)
//   4       2     version  1
//   6       2     dtype    1 = uint8 features (value / 255), 2 = float32 features
//   8       4     count    examples N
//   12      4     inputSize D
//   16      4     classes  K (2..256)
//   20      12    reserved, zero
//   32      ...   features N*D values of dtype, row-major; zero-padded to a multiple of 4 bytes
//   ...     ...   labels   N bytes, each < K; zero-padded to a multiple of 4 bytes
//
// Every section starts 4-byte aligned, so the float32 features are read in place (a view, no
// copy) and the whole shard uploads to a GPU buffer without repacking. The SHA-256 of the
// exact bytes is the shard's cache key; encoding is canonical (padding and reserved bytes are
// zero, checked on decode), so equal example sets give equal hashes.
import { FEATURE_DTYPES, exampleSetProblem, type ExampleSet } from './exampleSet';

export const SHARD_MAGIC = 0x44534754;
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 32;

const padTo4 = (bytes: number) => Math.ceil(bytes / 4) * 4;

function featureBytes(set: Pick<ExampleSet, 'dtype' | 'count' | 'inputSize'>): number {
  return set.count * set.inputSize * (set.dtype === 'uint8' ? 1 : 4);
}

/** Bytes of the encoded shard: what a volunteer downloads once and caches. */
export function shardByteLength(set: Pick<ExampleSet, 'dtype' | 'count' | 'inputSize'>): number {
  return SHARD_HEADER_BYTES + padTo4(featureBytes(set)) + padTo4(set.count);
}

// The platform's byte order is the typed arrays' byte order; every engine Tessera runs on
// (x86, ARM) is little-endian, and a big-endian one would read garbage, so it is refused.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function encodeShard(set: ExampleSet): ArrayBuffer {
  if (!LITTLE_ENDIAN) throw new Error('shard encoding needs a little-endian platform');
  const problem = exampleSetProblem(set);
  if (problem) throw new RangeError(`cannot encode shard: ${problem}`);
  const buffer = new ArrayBuffer(shardByteLength(set));
  const view = new DataView(buffer);
  view.setUint32(0, SHARD_MAGIC, true);
  view.setUint16(4, SHARD_VERSION, true);
  view.setUint16(6, FEATURE_DTYPES[set.dtype], true);
  view.setUint32(8, set.count, true);
  view.setUint32(12, set.inputSize, true);
  view.setUint32(16, set.classes, true);
  const features = new Uint8Array(
    set.features.buffer,
    set.features.byteOffset,
    set.features.byteLength,
  );
  new Uint8Array(buffer, SHARD_HEADER_BYTES).set(features);
  new Uint8Array(buffer, SHARD_HEADER_BYTES + padTo4(featureBytes(set))).set(set.labels);
  return buffer;
}

/** Thrown for bytes that are not a well-formed shard; the message says what is wrong. */
export class ShardFormatError extends Error {
  constructor(message: string) {
    super(`malformed shard: ${message}`);
    this.name = 'ShardFormatError';
  }
}

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/**
 * Parses and checks a shard. The returned set's features and labels are views into `bytes`
 * (no copy): keep the buffer alive and unchanged while the set is in use.
 */
export function decodeShard(bytes: ArrayBuffer | Uint8Array): ExampleSet {
  if (!LITTLE_ENDIAN) throw new Error('shard decoding needs a little-endian platform');
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.byteLength < SHARD_HEADER_BYTES) throw new ShardFormatError(`${u8.byteLength} bytes`);
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  if (view.getUint32(0, true) !== SHARD_MAGIC) throw new ShardFormatError('bad magic');
  const version = view.getUint16(4, true);
  if (version !== SHARD_VERSION) throw new ShardFormatError(`version ${version}`);
  const dtypeCode = view.getUint16(6, true);
  const dtype = dtypeCode === FEATURE_DTYPES.uint8 ? 'uint8' : 'float32';
  if (dtypeCode !== FEATURE_DTYPES.uint8 && dtypeCode !== FEATURE_DTYPES.float32) {
    throw new ShardFormatError(`dtype ${dtypeCode}`);
  }
  const count = view.getUint32(8, true);
  const inputSize = view.getUint32(12, true);
  const classes = view.getUint32(16, true);
  if (!allZero(u8.subarray(20, SHARD_HEADER_BYTES))) {
    throw new ShardFormatError('reserved bytes');
  }
  if (inputSize < 1) throw new ShardFormatError('inputSize 0');
  if (count * inputSize > 2 ** 32) throw new ShardFormatError('too many features');
  const expected = shardByteLength({ dtype, count, inputSize });
  if (u8.byteLength !== expected) {
    throw new ShardFormatError(`${u8.byteLength} bytes, header says ${expected}`);
  }
  const rawFeatureBytes = featureBytes({ dtype, count, inputSize });
  const labelsAt = SHARD_HEADER_BYTES + padTo4(rawFeatureBytes);
  if (!allZero(u8.subarray(SHARD_HEADER_BYTES + rawFeatureBytes, labelsAt))) {
    throw new ShardFormatError('feature padding');
  }
  if (!allZero(u8.subarray(labelsAt + count))) throw new ShardFormatError('label padding');
  const labels = u8.subarray(labelsAt, labelsAt + count);
  const featuresAt = u8.byteOffset + SHARD_HEADER_BYTES;
  if (dtype === 'float32' && featuresAt % 4 !== 0) {
    // A Float32Array view needs it; a fresh ArrayBuffer (fetch, Blob) always is aligned.
    throw new ShardFormatError('float32 shard not 4-byte aligned in its buffer');
  }
  const base = { count, inputSize, classes, labels };
  const set: ExampleSet =
    dtype === 'uint8'
      ? { ...base, dtype, features: new Uint8Array(u8.buffer, featuresAt, count * inputSize) }
      : { ...base, dtype, features: new Float32Array(u8.buffer, featuresAt, count * inputSize) };
  const problem = exampleSetProblem(set);
  if (problem) throw new ShardFormatError(problem);
  return set;
}

/** SHA-256 of the shard's bytes as 64 lowercase hex digits (Web Crypto: Node and browsers). */
export async function shardHash(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  // Web Crypto refuses views of a SharedArrayBuffer: hash a copy of those.
  const source =
    bytes instanceof ArrayBuffer
      ? bytes
      : bytes.buffer instanceof ArrayBuffer
        ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        : bytes.slice();
  const digest = await crypto.subtle.digest('SHA-256', source);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
