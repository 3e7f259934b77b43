// How many tabs online could run a Monte Carlo workload's units right now, for its REST view
// (`capableVolunteers`): the WebGPU tabs for an estimator that needs a GPU (a researcher's WGSL
// kernel, [L10]), every identified tab otherwise (the CPU fallback runs the rest). Counted over
// the whole cluster when coordinators share Redis. Gradient workloads carry no such figure.
import { ESTIMATORS, isEstimatorName, type WorkloadView } from '@tessera/shared';
import type { OnlineView } from '../realtime/onlineVolunteers';

/** Whether only WebGPU tabs can run this estimator's units. */
export function needsGpu(estimator: string): boolean {
  return isEstimatorName(estimator) && ESTIMATORS[estimator].requiresGpu === true;
}

/** The tabs online that can run units of `view`; null for a kind the figure does not apply to. */
export function capableVolunteersOf(view: WorkloadView, online: OnlineView): number | null {
  if (view.kind !== 'montecarlo') return null;
  const { estimator } = view.spec as { estimator: string };
  return needsGpu(estimator) ? online.byBackend().webgpu : online.total();
}

/** `views` with their `capableVolunteers` filled in, after one refresh of the online figures. */
export async function withCapableVolunteers(
  views: WorkloadView[],
  online: OnlineView,
): Promise<WorkloadView[]> {
  await online.refresh();
  for (const view of views) {
    const capable = capableVolunteersOf(view, online);
    if (capable !== null) view.capableVolunteers = capable;
  }
  return views;
}
