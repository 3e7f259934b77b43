// What a lease asks of this tab, by its kind: the task read by that kind's schema (a Monte
// Carlo estimator's own, or the gradient and inference kinds'), how it computes on the tab's
// backend, and the work it counts for the tab's throughput. A gradient or inference lease
// carries its kind's task and no Monte Carlo estimator (gradientUnit.ts).
import { estimatorFor } from '@tessera/shared/kinds/registry';
import { gradientTaskSchema } from '@tessera/shared/kinds/gradient/gradientSpec';
import { inferenceTaskSchema } from '@tessera/shared/kinds/inference/inferenceSpec';
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import type { ComputeBackend } from './computeBackend';
import { gradientWork, inferenceWork, type GradientUnitRunner } from './gradientUnit';
import { runUnit, type RunUnitOptions, type UnitRun } from './unitExecutor';

/** A lease's task, read and ready to compute. */
export interface UnitTask {
  /** Computes the unit; `options` (throttle, CPU worker) serve Monte Carlo units only. */
  run(backend: ComputeBackend, signal: AbortSignal, options: RunUnitOptions): Promise<UnitRun>;
  /** The unit's work, for the tab's throughput. */
  work(): number;
}

/**
 * Reads a lease's task by its kind's schema; throws when this tab cannot (the coordinator's
 * bug, or an estimator newer than this tab). Gradient and inference units run on `gradients`.
 */
export function readUnitTask(lease: Lease, gradients: GradientUnitRunner): UnitTask {
  if (lease.kind === 'gradient') {
    const task = gradientTaskSchema.parse(lease.task);
    return {
      run: (backend, signal) => gradients.run(backend, task, signal),
      work: () => gradientWork(task),
    };
  }
  if (lease.kind === 'inference') {
    const task = inferenceTaskSchema.parse(lease.task);
    return {
      run: (backend, signal) => gradients.predict(backend, task, signal),
      work: () => inferenceWork(task),
    };
  }
  const estimator = estimatorFor(lease.estimator);
  const task: unknown = estimator.taskSchema.parse(lease.task);
  return {
    run: (backend, signal, options) => runUnit(backend, estimator, task, signal, options),
    work: () => estimator.workOf(task),
  };
}
