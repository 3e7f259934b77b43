// Resident training data: the training split cut once into fixed partitions, one per shard
// index, so a volunteer downloads a partition once and computes every later unit of that shard
// from the bytes it holds (server/SPEC.md G1, G2). A pure function of (training-set size,
// batch size, shards, workload seed), shared by the coordinator, the volunteers and the
// single-process trainer, which therefore all walk the same batches in the same order.
//
// Partitions: P = min(shards, batchSize) of them. A full step takes b_k examples from partition
// k, the sizes of shardRanges(B, P) (differing by at most one). Partition k holds a share of
// the N training examples in proportion: n_k = floor(N * c_{k+1} / B) - floor(N * c_k / B),
// c_k = b_0 + ... + b_{k-1}, so every partition runs out in the same step. Which examples: a
// Philox shuffle of the whole training set (counter (floor(i / 4), 0, PARTITION_STREAM, 0)) cut
// at those boundaries, each partition in ascending example order.
//
// Steps: an epoch lasts T = ceil(N / B) steps, as with one global shuffle. Step s of epoch
// e = floor(s / T) takes from each partition k positions [i * b_k, min((i + 1) * b_k, n_k)) of
// the partition's own epoch order, i = s mod T, where that order is a Philox shuffle of
// 0 .. n_k - 1 (counter (floor(i / 4), e, PARTITION_EPOCH_STREAM, k)). Every example is visited
// once an epoch; steps 0 .. T - 2 are full batches (n_k >= (T - 1) * b_k), and the last step
// takes what is left, leaving out partitions with nothing left (no unit for that shard).
import { philoxShuffle, shardRanges } from './batchSchedule';
import { gatherExamples, type ExampleSet } from './exampleSet';
import type { GradientTask } from './gradientSpec';

/** Counter word 2 of the shuffle that splits the training set ("part" in ASCII). */
export const PARTITION_STREAM = 0x70617274;
/** Counter word 2 of a partition's per-epoch shuffle ("pepo"). */
export const PARTITION_EPOCH_STREAM = 0x7065706f;

/**
 * Partition bytes a volunteer tab keeps, least recently used dropped first; the coordinator
 * assumes the same bound when it remembers what a tab holds.
 */
export const VOLUNTEER_PARTITION_CACHE_BYTES = 64 * 1024 * 1024;
/**
 * Parameter versions a volunteer keeps (bytes are immutable per version URL): the current one
 * and, with asynchronous rounds (SPEC A3), a few behind it.
 */
export const VOLUNTEER_PARAMS_CACHE_VERSIONS = 3;

export interface PartitionLayout {
  /** Examples in the training split. */
  trainCount: number;
  batchSize: number;
  /** Shards per step asked for in the spec. */
  shards: number;
  /** The workload seed (a non-negative safe integer). */
  seed: number;
}

function checkLayout({ trainCount, batchSize, shards, seed }: PartitionLayout): void {
  const positive = { trainCount, batchSize, shards };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a positive integer, got ${value}`);
    }
  }
  if (batchSize > trainCount) {
    throw new RangeError(`batchSize ${batchSize} is more than the ${trainCount} examples`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`bad seed ${seed}`);
}

/** Partitions of the training set: one per shard index, at most one per batch example. */
export function partitionCount(layout: PartitionLayout): number {
  checkLayout(layout);
  return Math.min(layout.shards, layout.batchSize);
}

/** Examples each partition gives a full step (b_k), in partition order. */
export function partitionBatchSizes(layout: PartitionLayout): number[] {
  return shardRanges(layout.batchSize, partitionCount(layout)).map(([a, b]) => b - a);
}

/** Where each partition starts and ends among the shuffled training examples. */
function partitionRanges(layout: PartitionLayout): Array<[start: number, end: number]> {
  const { trainCount, batchSize } = layout;
  // N * c <= 2^32 * 65,536 < 2^53 at the spec's limits: exact in doubles.
  const boundary = (c: number) => Math.floor((trainCount * c) / batchSize);
  let c = 0;
  return partitionBatchSizes(layout).map((b) => {
    const start = boundary(c);
    c += b;
    return [start, boundary(c)];
  });
}

/** Examples in each partition (n_k), in partition order. */
export function partitionSizes(layout: PartitionLayout): number[] {
  return partitionRanges(layout).map(([start, end]) => end - start);
}

/** Steps an epoch lasts: ceil(N / B), when every partition runs out. */
export function partitionStepsPerEpoch(layout: PartitionLayout): number {
  checkLayout(layout);
  return Math.ceil(layout.trainCount / layout.batchSize);
}

/** Indices into the training split of every partition's examples, ascending. */
export function partitionMembers(layout: PartitionLayout): Uint32Array[] {
  const split = philoxShuffle(layout.trainCount, layout.seed, 0, PARTITION_STREAM, 0);
  return partitionRanges(layout).map(([start, end]) => split.slice(start, end).sort());
}

/** Which of its partition's examples one unit uses: a slice of the partition's epoch order. */
export interface PartitionSlice {
  partition: number;
  epoch: number;
  /** Position in the partition's epoch order of the unit's first example. */
  offset: number;
  count: number;
}

/** The units of step `step`: one slice per partition with examples left in this epoch. */
export function stepSlices(layout: PartitionLayout, step: number): PartitionSlice[] {
  if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`bad step ${step}`);
  const perEpoch = partitionStepsPerEpoch(layout);
  const epoch = Math.floor(step / perEpoch);
  const within = step % perEpoch;
  const sizes = partitionSizes(layout);
  return partitionBatchSizes(layout).flatMap((perStep, partition) => {
    const offset = within * perStep;
    const count = Math.min(perStep, sizes[partition]! - offset);
    return count > 0 ? [{ partition, epoch, offset, count }] : [];
  });
}

/** Examples step `step` uses in all (the batch size, except at the end of an epoch). */
export function stepExampleCount(layout: PartitionLayout, step: number): number {
  return stepSlices(layout, step).reduce((sum, s) => sum + s.count, 0);
}

/**
 * Positions within partition `partition` (of `size` examples) of a slice's examples, in the
 * order they are computed.
 */
export function sliceIndices(size: number, seed: number, slice: PartitionSlice): Uint32Array {
  const { partition, epoch, offset, count } = slice;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(count) || count < 1) {
    throw new RangeError(`bad slice offset ${offset} count ${count}`);
  }
  if (offset + count > size) {
    throw new RangeError(`slice [${offset}, ${offset + count}) outside a partition of ${size}`);
  }
  return philoxShuffle(size, seed, epoch, PARTITION_EPOCH_STREAM, partition).slice(
    offset,
    offset + count,
  );
}

/** The examples a slice names, gathered (copied) from its partition's example set. */
export function sliceExamplesOf(
  partition: ExampleSet,
  seed: number,
  slice: PartitionSlice,
): ExampleSet {
  return gatherExamples(partition, sliceIndices(partition.count, seed, slice));
}

/** A unit's examples out of its partition's decoded bytes: what a volunteer computes on. */
export function taskExamples(partition: ExampleSet, task: GradientTask): ExampleSet {
  if (partition.count !== task.partition.count) {
    throw new RangeError(
      `partition ${task.partition.hash} holds ${partition.count} examples, the task says ${task.partition.count}`,
    );
  }
  return sliceExamplesOf(partition, task.examples.seed, {
    partition: task.shard,
    epoch: task.examples.epoch,
    offset: task.examples.offset,
    count: task.count,
  });
}
