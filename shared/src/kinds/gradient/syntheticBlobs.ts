// A synthetic classification dataset of any size: K Gaussian-like blobs in D dimensions, made
// from a seed alone, for tests and demos that need data other than MNIST.
//
// Class centres have coordinates separation * g; example n has label n mod K (balanced) and
// features centre[label] + spread * g, where each g is an approximately standard normal draw:
// the Irwin-Hall sum of the four uniforms of one Philox block, (u0 + u1 + u2 + u3 - 2) * sqrt(3)
// (mean 0, variance 1, bounded by +-2 sqrt 3). Only +, -, * and sqrt, so every engine makes the
// same float32 features (no log/cos as in Box-Muller).
// RNG: Philox4x32-10, key (seed_lo, seed_hi), counter (i, item, BLOBS_STREAM, part) where part
// 0 draws centre coordinates (item = class, i = coordinate) and part 1 the noise (item =
// example, i = feature).
import { philox4x32, splitUint53 } from '../../rng/philox';
import { exampleSetProblem, type ExampleSet } from './exampleSet';
import { unitInterval } from './parameterInit';

/** Counter word 2 of every synthetic-data draw ("blob" in ASCII). */
export const BLOBS_STREAM = 0x626c6f62;

export interface BlobsOptions {
  count: number;
  inputSize: number;
  classes: number;
  seed: number;
  /** Scale of the class centres; larger means easier. Default 2. */
  separation?: number;
  /** Standard deviation of the noise around a centre. Default 1. */
  spread?: number;
}

const SQRT3 = Math.sqrt(3);

function normalish(block: Uint32Array): number {
  const sum =
    unitInterval(block[0]!) +
    unitInterval(block[1]!) +
    unitInterval(block[2]!) +
    unitInterval(block[3]!);
  return (sum - 2) * SQRT3;
}

export function makeBlobs(options: BlobsOptions): ExampleSet {
  const { count, inputSize: d, classes: k } = options;
  const separation = options.separation ?? 2;
  const spread = options.spread ?? 1;
  const [keyLo, keyHi] = splitUint53(options.seed);
  const block = new Uint32Array(4);
  const centres = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < d; i++) {
      philox4x32(i, c, BLOBS_STREAM, 0, keyLo, keyHi, block);
      centres[c * d + i] = separation * normalish(block);
    }
  }
  const features = new Float32Array(count * d);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % k;
    labels[n] = label;
    for (let i = 0; i < d; i++) {
      philox4x32(i, n, BLOBS_STREAM, 1, keyLo, keyHi, block);
      features[n * d + i] = centres[label * d + i]! + spread * normalish(block);
    }
  }
  const set: ExampleSet = { dtype: 'float32', count, inputSize: d, classes: k, features, labels };
  const problem = exampleSetProblem(set);
  if (problem) throw new RangeError(`bad blobs options: ${problem}`);
  return set;
}
