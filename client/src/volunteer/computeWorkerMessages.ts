// The volunteer worker <-> CPU compute worker boundary: one request envelope per unit, answered
// by exactly one response envelope with the same id. The compute worker runs the estimator's
// TypeScript reference, unchanged, so its result is bit-identical to a reference run anywhere.
import type { PlainError } from './workerMessages';

export interface ComputeRequest {
  type: 'compute';
  id: number;
  /** The estimator's registry name; the worker looks it up and parses the task again. */
  estimator: string;
  task: unknown;
}

export type ComputeResponse =
  | {
      type: 'computed';
      id: number;
      ok: true;
      result: unknown;
      /** Measured around the reference call alone, so message latency is not counted as work. */
      busyMs: number;
    }
  | { type: 'computed'; id: number; ok: false; error: PlainError };
