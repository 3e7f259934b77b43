// Pure helpers of gradient workloads: how a spec's training set splits into partitions and
// steps, and the byte views parameters travel in.
import { createHash } from 'node:crypto';
import {
  partitionStepsPerEpoch,
  stepSlices,
  type PartitionLayout,
} from '@tessera/shared/kinds/gradient/dataPartitions';
import type { GradientSpec } from '@tessera/shared/kinds/gradient/gradientSpec';
import type { OptimizerConfig } from '@tessera/shared/kinds/gradient/optimizer';
import type { AggregationRule } from '@tessera/shared/kinds/gradient/robustAggregation';
import { trainCountOf } from './gradientDatasets';

/** Partition bytes kept in memory; evicted ones are rebuilt from the dataset on demand. */
export const SHARD_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * A copy of the bytes as a standalone ArrayBuffer (typed-array views need alignment). Not
 * `bytes.slice()`: on a Node Buffer (SQLite blobs, socket.io payloads) that is a view into a
 * shared pool, not a copy.
 */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

export function paramsOf(bytes: Uint8Array): Float32Array {
  return new Float32Array(ownBuffer(bytes));
}

export function bytesOf(array: Float32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export function aggregationOf(spec: GradientSpec): AggregationRule {
  return spec.aggregation === 'trimmed-mean'
    ? { rule: 'trimmed-mean', trim: spec.trim ?? 0 }
    : { rule: spec.aggregation };
}

export function optimizerOf(spec: GradientSpec): OptimizerConfig {
  return spec.optimizer as OptimizerConfig;
}

/** How the spec's training set splits into resident partitions and steps (dataPartitions.ts). */
export function layoutOf(spec: GradientSpec): PartitionLayout {
  return {
    trainCount: trainCountOf(spec),
    batchSize: spec.batchSize,
    shards: spec.shards,
    seed: spec.seed,
  };
}

export function stepsOf(spec: GradientSpec): number {
  return spec.steps ?? spec.epochs! * partitionStepsPerEpoch(layoutOf(spec));
}

/** Units over all steps: an epoch's last step may leave out partitions already used up. */
export function unitsOf(spec: GradientSpec, steps: number): number {
  const layout = layoutOf(spec);
  const perEpoch = partitionStepsPerEpoch(layout);
  const epochUnits = Array.from({ length: perEpoch }, (_, i) => stepSlices(layout, i).length);
  const inEpoch = (n: number) => epochUnits.slice(0, n).reduce((a, b) => a + b, 0);
  return Math.floor(steps / perEpoch) * inEpoch(perEpoch) + inEpoch(steps % perEpoch);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
