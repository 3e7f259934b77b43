// The contract every Monte Carlo estimator folder implements: how a spec splits into units,
// how a unit runs (WGSL plan and TypeScript reference), how replicas are compared and how
// canonical results fold into the workload's aggregate. One estimator = one folder + one
// registry line (kinds/registry.ts).
import type { z } from 'zod';

/** The fixed binding layout every Monte Carlo kernel uses. */
export const MC_BINDINGS = {
  /** `var<uniform> params`: the dispatch's parameters, u32 words padded to 16 bytes. */
  params: 0,
  /** `var<storage, read_write> out: array<atomic<u32>>`: accumulators, zeroed once per unit. */
  output: 1,
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
 */
export interface GpuPlan {
  code: string;
  entryPoint: string;
  outputWords: number;
  dispatches: GpuDispatch[];
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
  emptyAggregate(): Aggregate;
  fold(aggregate: Aggregate, result: Result): Aggregate;
  finalize(aggregate: Aggregate): Public;
}

export type AnyEstimator = EstimatorDefinition<unknown, unknown, unknown, unknown, unknown>;
