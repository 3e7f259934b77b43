// A real coordinator on port 0, real socket.io volunteers in Node running the reference kernel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  api,
  startTestCoordinator,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';
import {
  finished,
  runUntilFinished,
  singleProcessResult,
  submitMontecarlo,
  volunteers,
  type SampleEstimate,
} from '../support/workloadRuns';

describe('pi workload over real sockets', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 800, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  test('a workload completes with the single-process answer, bit for bit, within 5 stderr of pi', async () => {
    const spec = { estimator: 'pi', samples: 3_000_001, seed: 20261127, samplesPerUnit: 131_072 };
    const id = await submitMontecarlo(c.url, spec, { name: 'integration pi' });
    const crew = await volunteers(c.url, ['honest', 'honest', 'honest']);
    const view = await runUntilFinished(c.url, id, crew);
    assert.equal(view.status, 'completed');
    assert.equal(view.progress.unitsValidated, view.progress.unitsTotal);
    const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
    const expected = singleProcessResult<SampleEstimate>(spec);
    assert.equal(result.estimate, expected.estimate);
    assert.equal(result.stderr, expected.stderr);
    assert.equal(result.samples, 3_000_001);
    assert.ok(
      Math.abs(result.estimate - Math.PI) < 5 * result.stderr,
      `${result.estimate} ± ${result.stderr}`,
    );
    assert.ok(result.ci95[0] < Math.PI && Math.PI < result.ci95[1]);
    assert.equal(result.final, true);
    // Credit only for validated work: every volunteer's credit is positive and pushed to it.
    const totalValid = crew.reduce((n, v) => n + v.tally.valid, 0);
    assert.ok(totalValid >= view.progress.unitsTotal, 'each unit credited to its quorum');
  });

  test('a volunteer that disconnects mid-unit has its unit reissued', async () => {
    const spec = { estimator: 'pi', samples: 400_000, seed: 5, samplesPerUnit: 65_536 };
    const id = await submitMontecarlo(c.url, spec, { name: 'integration pi' });
    const [quitter] = await volunteers(c.url, ['vanish']);
    await quitter!.run();
    assert.equal(quitter!.tally.leases, 1, 'it took one unit, then closed the tab');
    const crew = await volunteers(c.url, ['honest', 'honest']);
    const view = await runUntilFinished(c.url, id, crew);
    assert.equal(view.status, 'completed');
    const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
    assert.equal(result.estimate, singleProcessResult<SampleEstimate>(spec).estimate);
    const stats = (await api(c.url, 'GET', '/api/stats')).body;
    assert.ok(stats.replicas.timed_out >= 1);
  });

  test('a stalled volunteer loses its unit at the deadline and the workload still completes', async () => {
    const spec = { estimator: 'pi', samples: 200_000, seed: 6, samplesPerUnit: 65_536 };
    const id = await submitMontecarlo(c.url, spec, { name: 'integration pi' });
    const [staller] = await volunteers(c.url, ['stall']);
    const stalling = staller!.run();
    await waitFor(async () => staller!.tally.leases === 1, 5_000, 'the staller to take a unit');
    const crew = await volunteers(c.url, ['honest', 'honest']);
    const running = crew.map((v) => v.run());
    const view = await finished(c.url, id);
    [staller!, ...crew].forEach((v) => v.close());
    await Promise.all([stalling, ...running]);
    assert.equal(view.status, 'completed');
    assert.equal(
      (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body.estimate,
      singleProcessResult<SampleEstimate>(spec).estimate,
    );
  });

  test('a volunteer that lies is outvoted and earns no credit', async () => {
    const spec = { estimator: 'pi', samples: 300_000, seed: 99, samplesPerUnit: 32_768 };
    const id = await submitMontecarlo(c.url, spec, { name: 'integration pi' });
    const crew = await volunteers(c.url, ['liar', 'honest', 'honest']);
    const view = await runUntilFinished(c.url, id, crew);
    assert.equal(view.status, 'completed');
    const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
    assert.equal(
      result.estimate,
      singleProcessResult<SampleEstimate>(spec).estimate,
      'no lie reached the aggregate',
    );
    const liar = crew[0]!;
    assert.ok(liar.tally.results > 0, 'the liar did return results');
    assert.equal(liar.tally.valid, 0);
    assert.equal(liar.credit, 0);
  });

  test('a liar cannot fail a workload while honest volunteers remain', async () => {
    const spec = { estimator: 'pi', samples: 65_536, seed: 3, samplesPerUnit: 32_768 };
    const id = await submitMontecarlo(c.url, spec, {
      name: 'integration pi',
      redundancy: { quorum: 2, maxReplicas: 5 },
    });
    const crew = await volunteers(c.url, ['liar', 'honest', 'honest']);
    const view = await runUntilFinished(c.url, id, crew);
    assert.equal(view.status, 'completed');
  });
});
