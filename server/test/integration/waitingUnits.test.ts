// [L2] A unit that no volunteer online may take says so: on GET /api/workloads/:id
// (progress.unitsWaiting) and in /api/stats (unitsWaitingForVolunteers), instead of waiting
// silently; a new volunteer takes it and the count goes back to zero.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  api,
  startTestCoordinator,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';
import { volunteers } from '../support/workloadRuns';

let c: TestCoordinator;
before(async () => {
  c = await startTestCoordinator({ scheduler: { retryAfterMs: 20 } });
});
after(async () => {
  await c.cleanup();
});

test('[L2] units every online volunteer already computed are reported as waiting', async () => {
  const crew = await volunteers(c.url, ['honest', 'honest']);
  const submitted = await api(c.url, 'POST', '/api/workloads', {
    kind: 'montecarlo',
    spec: { estimator: 'pi', samples: 4096, samplesPerUnit: 2048, seed: 3 },
    redundancy: { quorum: 3, maxReplicas: 5 },
  });
  assert.equal(submitted.status, 201);
  const id = submitted.body.id as string;
  const running = crew.map((v) => v.run(() => false));
  try {
    // Quorum 3 with two volunteers: both units end with two agreeing votes and no third taker.
    const stuck = await waitFor(
      async () => {
        const view = (await api(c.url, 'GET', `/api/workloads/${id}`)).body;
        return view.progress.unitsWaiting === 2 ? view : null;
      },
      15_000,
      'both units to be reported as waiting for a volunteer',
    );
    assert.equal(stuck.status, 'running');
    assert.equal(stuck.progress.unitsInFlight, 0);
    const stats = (await api(c.url, 'GET', '/api/stats')).body;
    assert.equal(stats.unitsWaitingForVolunteers, 2);
    // A third volunteer can take them: the workload completes and nothing waits any more.
    const [third] = await volunteers(c.url, ['honest']);
    const thirdRun = third!.run(() => false);
    const done = await waitFor(
      async () => {
        const view = (await api(c.url, 'GET', `/api/workloads/${id}`)).body;
        return view.status === 'completed' ? view : null;
      },
      15_000,
      'the workload to complete once a third volunteer is online',
    );
    assert.equal(done.progress.unitsValidated, 2);
    assert.equal((await api(c.url, 'GET', '/api/stats')).body.unitsWaitingForVolunteers, 0);
    third!.close();
    await thirdRun;
  } finally {
    crew.forEach((v) => v.close());
    await Promise.all(running);
  }
});
