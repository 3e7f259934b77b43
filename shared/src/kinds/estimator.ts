// The contract every Monte Carlo estimator folder implements: how a spec splits into units,
// how a unit runs (WGSL plan and TypeScript reference), how replicas are compared and how
// canonical results fold into the workload's aggregate. One estimator = one folder + one
// registry line (kinds/registry.ts).
import type { z } from 'zod';
import { splitUint53 } from '../rng/philox';

/** The fixed binding layout every Monte Carlo kernel uses. */
export const MC_BINDINGS = {
  /** `var<uniform> params`: the dispatch's parameters, u32 words padded to 16 bytes. */
  params: 0,
  /** `var<storage, read_write> out: array<atomic<u32>>`: accumulators, zeroed once per unit. */
  output: 1,
  /**
   * First of the plan's `storageWords` buffers (`var<storage, read_write>`), at bindings
   * storage, storage + 1, ...: zeroed once per unit, kept across its dispatches, never read back.
   */
  storage: 2,
} as const;

export const MC_WORKGROUP_SIZE = 64;

/** One compute dispatch of a unit: its parameter words and workgroup count (x only). */
export interface GpuDispatch {
  params: Uint32Array;
  workgroups: number;
}

/**
 * How a unit runs on a GPU: one pipeline (compiled once per tab, cached by `code`), an output
 * buffer of `outputWords` u32 accumulators zeroed before the first dispatch, then the
 * dispatches in order. Several short dispatches instead of one long one keep each under the
 * GPU watchdog and give the throttle a place to pause.
 *
 * Optional, for kernels whose state outlives one dispatch (a lattice, a particle set):
 * `storageWords` adds zeroed scratch buffers, and `dispatchesPerSubmit` records that many
 * consecutive dispatches (each with its own params) into one command buffer, so thousands of
 * short dispatches do not pay a submit and a queue round trip each. Each dispatch sees every
 * earlier dispatch's writes. Leaving both out is the plain plan above.
 */
export interface GpuPlan {
  code: string;
  entryPoint: string;
  outputWords: number;
  dispatches: GpuDispatch[];
  /** u32 word counts of scratch buffers bound from MC_BINDINGS.storage on. Default none. */
  storageWords?: readonly number[];
  /** Dispatches per submit, >= 1; the throttle (afterDispatch) runs once per submit. Default 1. */
  dispatchesPerSubmit?: number;
}

/**
 * Methods (not function-valued properties) on purpose: parameters stay bivariant, so a
 * concrete estimator is assignable to `AnyEstimator` and callers pass schema-checked values.
 */
export interface EstimatorDefinition<Spec, Task, Result, Aggregate, Public> {
  readonly estimator: string;
  /** What the unit's random stream is tagged with: counter word 2 of every Philox call. */
  readonly stream: number;
  readonly specSchema: z.ZodType<Spec>;
  readonly taskSchema: z.ZodType<Task>;
  readonly resultSchema: z.ZodType<Result>;
  readonly aggregateSchema: z.ZodType<Aggregate>;
  /**
   * [L12] Only tabs with WebGPU can run its units: it has no TypeScript reference (a
   * researcher's WGSL kernel), so `runReference` throws and the coordinator computes it on Dawn.
   */
  readonly requiresGpu?: boolean;
  unitCount(spec: Spec): number;
  taskFor(spec: Spec, unitIndex: number): Task;
  /** Work in the estimator's natural unit (samples, spin flips), for throughput figures. */
  workOf(task: Task): number;
  runReference(task: Task): Result;
  gpuPlan(task: Task): GpuPlan;
  decodeGpuOutput(task: Task, output: Uint32Array): Result;
  /** Why a result cannot be right for this task (out of range, wrong count), or null. */
  implausibility(task: Task, result: Result): string | null;
  sameResult(a: Result, b: Result): boolean;
  /**
   * [Q1] Whether two replicas of one of the spec's units agree, where that is looser than
   * sameResult (a researcher's kernel whose math the device rounds: within its tolerance).
   * Without it, replicas agree when sameResult says so.
   */
  agree?(spec: Spec, a: Result, b: Result): boolean;
  emptyAggregate(): Aggregate;
  fold(aggregate: Aggregate, result: Result): Aggregate;
  /**
   * The inverse of fold: takes a canonical result back out when it turns out to rest on a
   * volunteer later found wrong (it is then recomputed). Integer folds invert exactly.
   * Estimators without it keep such results (the coordinator logs them).
   */
  unfold?(aggregate: Aggregate, result: Result): Aggregate;
  finalize(aggregate: Aggregate): Public;
  /**
   * [R9] Sub-range spot checks. The unit's samples split into fixed contiguous blocks (each a
   * task of its own, in order, covering the unit exactly); a result carries every block's result
   * beside its totals, and the coordinator recomputes one block, chosen after the result is in,
   * to check it. Estimators whose units cannot be cut (a Markov chain) leave both out.
   */
  blockTasks?(task: Task): Task[];
  /** The result of two disjoint sample ranges together (exact: integer sums). */
  addResults?(a: Result, b: Result): Result;
}

export type AnyEstimator = EstimatorDefinition<unknown, unknown, unknown, unknown, unknown>;

/** The unit count of a spec whose units are fixed slices of one sample stream (pi, option, wgsl). */
export function sampleRangeUnitCount(spec: { samples: number; samplesPerUnit: number }): number {
  return Math.ceil(spec.samples / spec.samplesPerUnit);
}

/** Unit `unitIndex`'s slice [start, start + count) of such a spec's sample stream. */
export function sampleRangeOf(
  spec: { samples: number; samplesPerUnit: number },
  unitIndex: number,
): { start: number; count: number } {
  const start = unitIndex * spec.samplesPerUnit;
  return { start, count: Math.min(spec.samplesPerUnit, spec.samples - start) };
}

/** [R9] Blocks a unit's samples are cut into for sub-range spot checks. */
export const SPOT_BLOCKS = 16;

/**
 * [R9] `task`'s sample range [start, start + count) cut into at most SPOT_BLOCKS contiguous
 * blocks whose sizes are multiples of `align` (the last takes the rest), each as a task.
 */
export function sampleRangeBlocks<T extends { start: number; count: number }>(
  task: T,
  align = 2,
): T[] {
  const units = Math.ceil(task.count / align);
  const blocks = Math.min(SPOT_BLOCKS, units);
  const per = Math.ceil(units / blocks) * align;
  const out: T[] = [];
  for (let from = 0; from < task.count; from += per) {
    out.push({ ...task, start: task.start + from, count: Math.min(per, task.count - from) });
  }
  return out;
}

/**
 * The dispatches of a unit whose samples are drawn in pairs (one Philox block per pair):
 * `task.count` samples from sample `task.start` (even), `pairsPerDispatch` pairs a dispatch,
 * `pairsPerInvocation` per invocation. Each dispatch's params open with the words every such
 * kernel reads: seed (lo, hi), first pair (lo, hi), pair count, pairs per invocation, and
 * whether the unit's last pair is half used; `extra` words follow.
 */
export function pairRangeDispatches(
  task: { seed: number; start: number; count: number },
  pairsPerDispatch: number,
  pairsPerInvocation: number,
  extra: readonly number[] = [0],
): GpuDispatch[] {
  const [seedLo, seedHi] = splitUint53(task.seed);
  const totalPairs = Math.ceil(task.count / 2);
  const dispatches: GpuDispatch[] = [];
  for (let done = 0; done < totalPairs; done += pairsPerDispatch) {
    const pairCount = Math.min(pairsPerDispatch, totalPairs - done);
    const [startLo, startHi] = splitUint53(task.start / 2 + done);
    const isUnitEnd = done + pairCount === totalPairs;
    const halfLast = isUnitEnd && task.count % 2 === 1 ? 1 : 0;
    const invocations = Math.ceil(pairCount / pairsPerInvocation);
    dispatches.push({
      params: Uint32Array.of(
        seedLo,
        seedHi,
        startLo,
        startHi,
        pairCount,
        pairsPerInvocation,
        halfLast,
        ...extra,
      ),
      workgroups: Math.ceil(invocations / MC_WORKGROUP_SIZE),
    });
  }
  return dispatches;
}
