// What every "workload over real sockets" test does: submit a Monte Carlo workload, let a crew
// of simulated volunteers compute it, and compare with one process computing every unit itself.
import assert from 'node:assert/strict';
import { estimatorFor } from '@tessera/shared';
import { SimulatedVolunteer, type Behavior } from '../../src/sim/simulatedVolunteer';
import { api, waitFor } from './testCoordinator';

/** The answer shape of the sample-mean estimators (pi, european-option). */
export interface SampleEstimate {
  estimate: number;
  stderr: number;
  ci95: [number, number];
  samples: number;
}

/** One process computing every unit with the TypeScript reference, folding in unit order. */
export function singleProcessResult<T = Record<string, unknown>>(spec: { estimator: string }): T {
  const estimator = estimatorFor(spec.estimator);
  const parsed = estimator.specSchema.parse(spec);
  let aggregate = estimator.emptyAggregate();
  for (let i = 0; i < estimator.unitCount(parsed); i++) {
    aggregate = estimator.fold(aggregate, estimator.runReference(estimator.taskFor(parsed, i)));
  }
  return estimator.finalize(aggregate) as T;
}

/** Connected volunteers, one per behavior, named after it. */
export async function volunteers(
  url: string,
  behaviors: Behavior[],
): Promise<SimulatedVolunteer[]> {
  const list = behaviors.map(
    (behavior, i) =>
      new SimulatedVolunteer({ url, behavior, displayName: `${behavior}-${i}`, idleMs: 20 }),
  );
  await Promise.all(list.map((v) => v.connect()));
  return list;
}

/** Submits a Monte Carlo workload with the test token; returns its id. */
export async function submitMontecarlo(
  url: string,
  spec: object,
  options: { name?: string; redundancy?: object } = {},
): Promise<string> {
  const res = await api(url, 'POST', '/api/workloads', {
    kind: 'montecarlo',
    name: options.name ?? 'integration',
    spec,
    ...(options.redundancy ? { redundancy: options.redundancy } : {}),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

/** Resolves with the workload's view once it has ended (completed, failed or cancelled). */
export async function finished(url: string, id: string, timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const res = await api(url, 'GET', `/api/workloads/${id}`);
      return ['completed', 'failed', 'cancelled'].includes(res.body.status) ? res.body : null;
    },
    timeoutMs,
    `workload ${id} to finish`,
  );
}

/** Lets the crew work until the workload ends, then closes every connection. */
export async function runUntilFinished(url: string, id: string, crew: SimulatedVolunteer[]) {
  const running = crew.map((v) => v.run());
  const view = await finished(url, id);
  crew.forEach((v) => v.close());
  await Promise.all(running);
  return view;
}
