// Which training examples make up step s's batch, and how a batch splits into shards: a pure
// function of (training-set size, batch size, workload seed), so the coordinator, a test's
// single-process trainer and a restarted coordinator all walk the same batches in the same order.
//
// Epoch e visits the training set in the order of a Fisher-Yates shuffle driven by Philox:
// key (seed_lo, seed_hi), counter (floor(i / 4), e, SHUFFLE_STREAM, 0), word i % 4 for the
// swap at position i (i from N - 1 down to 1, partner floor(word * (i + 1) / 2^32): a
// multiply-shift, bias below 2^-32 * N, and no rejection loop, so the draw count is fixed).
// An epoch has ceil(N / B) steps; its last batch holds the N mod B leftover examples (if any).
import { mulhi32, philox4x32, splitUint53 } from '../../rng/philox';

/** Counter word 2 of every shuffle draw ("shuf" in ASCII). */
export const SHUFFLE_STREAM = 0x73687566;

/**
 * A Philox-driven Fisher-Yates shuffle of 0 .. count - 1: the draw for position i is word
 * i % 4 of the block at counter (floor(i / 4), word1, word2, word3) under key (seed_lo, seed_hi).
 * Distinct counter words give independent shuffles of one seed.
 */
export function philoxShuffle(
  count: number,
  seed: number,
  word1: number,
  word2: number,
  word3: number,
): Uint32Array {
  for (const [name, word] of [
    ['word1', word1],
    ['word2', word2],
    ['word3', word3],
  ] as const) {
    if (!Number.isSafeInteger(word) || word < 0 || word > 0xffffffff) {
      throw new RangeError(`${name} must be a uint32, got ${word}`);
    }
  }
  const [keyLo, keyHi] = splitUint53(seed);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const block = new Uint32Array(4);
  let blockIndex = -1;
  for (let i = count - 1; i >= 1; i--) {
    if (Math.floor(i / 4) !== blockIndex) {
      blockIndex = Math.floor(i / 4);
      philox4x32(blockIndex, word1, word2, word3, keyLo, keyHi, block);
    }
    const j = mulhi32(block[i % 4]!, i + 1);
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

/** The order in which epoch `epoch` visits examples 0 .. count - 1. */
export function epochPermutation(count: number, seed: number, epoch: number): Uint32Array {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > 0xffffffff) {
    throw new RangeError(`epoch must be a uint32, got ${epoch}`);
  }
  return philoxShuffle(count, seed, epoch, SHUFFLE_STREAM, 0);
}

export interface BatchSchedule {
  /** Examples in the training split. */
  trainCount: number;
  batchSize: number;
  /** The workload seed (a non-negative safe integer). */
  seed: number;
}

export function stepsPerEpoch(schedule: Pick<BatchSchedule, 'trainCount' | 'batchSize'>): number {
  return Math.ceil(schedule.trainCount / schedule.batchSize);
}

/** Indices into the training split of step `step`'s batch (steps count from 0). */
export function batchIndices(schedule: BatchSchedule, step: number): Uint32Array {
  const { trainCount, batchSize, seed } = schedule;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!Number.isSafeInteger(trainCount) || trainCount < 1) {
    throw new RangeError(`trainCount must be a positive integer, got ${trainCount}`);
  }
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`bad step ${step}`);
  const perEpoch = stepsPerEpoch(schedule);
  const epoch = Math.floor(step / perEpoch);
  const start = (step % perEpoch) * batchSize;
  return epochPermutation(trainCount, seed, epoch).slice(
    start,
    Math.min(start + batchSize, trainCount),
  );
}

/**
 * How a batch of `batchLength` examples splits into shards: min(shards, batchLength)
 * contiguous ranges [start, end) in batch order, sizes differing by at most one, larger first.
 * Shard order is the order gradients are combined in.
 */
export function shardRanges(
  batchLength: number,
  shards: number,
): Array<[start: number, end: number]> {
  if (!Number.isSafeInteger(shards) || shards < 1) {
    throw new RangeError(`shards must be a positive integer, got ${shards}`);
  }
  const used = Math.min(shards, batchLength);
  const base = Math.floor(batchLength / used);
  const extra = batchLength % used;
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (let s = 0; s < used; s++) {
    const end = start + base + (s < extra ? 1 : 0);
    ranges.push([start, end]);
    start = end;
  }
  return ranges;
}
