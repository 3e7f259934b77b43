// An ising-2d workload over real sockets: a real coordinator on port 0 and SimulatedVolunteers
// running the reference kernel complete it, and the answer equals what one process computing
// every chain itself gets, bit for bit; a lying volunteer is outvoted; a bad lattice size is
// refused at submission with the field named.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';
import {
  runUntilFinished,
  singleProcessResult,
  submitMontecarlo,
  volunteers,
} from '../support/workloadRuns';

/** The estimator's own fields of a result body, without the progress fields the API adds. */
function estimateOf(body: Record<string, unknown>): Record<string, unknown> {
  const { final: _f, status: _s, unitsValidated: _v, unitsTotal: _t, ...estimate } = body;
  return estimate;
}

describe('ising-2d workload over real sockets', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 2_000, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  test('three volunteers complete it with the single-process answer, bit for bit', async () => {
    const spec = {
      estimator: 'ising-2d',
      params: { size: 16, temperature: 2.5, sweeps: 300, burnIn: 50 },
      chains: 6,
      seed: 20261127,
    };
    const id = await submitMontecarlo(c.url, spec, { name: 'integration ising' });
    const crew = await volunteers(c.url, ['honest', 'honest', 'honest']);
    const view = await runUntilFinished(c.url, id, crew);
    assert.equal(view.status, 'completed');
    assert.equal(view.progress.unitsTotal, 6);
    assert.equal(view.progress.unitsValidated, 6);
    const body = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
    assert.equal(body.final, true);
    const expected = singleProcessResult(spec);
    // Through JSON, as the API sends it: every number must survive the trip exactly.
    assert.deepEqual(estimateOf(body), JSON.parse(JSON.stringify(expected)));
    assert.equal(body.chains, 6);
    assert.equal(body.sweepsPerChain, 300);
    // Above Tc (2.269) on 16²: energy near Onsager's −1.106, |m| small but not zero.
    assert.ok(Math.abs(body.energy.mean + 1.106) < 0.05, JSON.stringify(body.energy));
    assert.ok(body.energy.stderr > 0 && body.magnetization.stderr > 0);
    assert.ok(crew.every((v) => v.tally.invalid === 0));
  });

  test('a volunteer that lies about Σ E is outvoted and earns no credit', async () => {
    const spec = {
      estimator: 'ising-2d',
      params: { size: 8, temperature: 2.0, sweeps: 100, burnIn: 10 },
      chains: 4,
      seed: 3,
    };
    const id = await submitMontecarlo(c.url, spec, { name: 'integration ising' });
    const crew = await volunteers(c.url, ['liar', 'honest', 'honest']);
    const view = await runUntilFinished(c.url, id, crew);
    assert.equal(view.status, 'completed');
    const body = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
    assert.deepEqual(estimateOf(body), JSON.parse(JSON.stringify(singleProcessResult(spec))));
    const liar = crew[0]!;
    assert.ok(liar.tally.results > 0, 'the liar did return results');
    // Plausible lies: refused by quorum, not by the implausibility check.
    assert.equal(liar.tally.refused.INVALID_RESULT ?? 0, 0);
    assert.equal(liar.tally.valid, 0);
    assert.equal(liar.credit, 0);
  });

  test('a lattice size that is not a multiple of 8 is refused, naming spec.params.size', async () => {
    const res = await api(c.url, 'POST', '/api/workloads', {
      kind: 'montecarlo',
      spec: {
        estimator: 'ising-2d',
        params: { size: 20, temperature: 2.0, sweeps: 100, burnIn: 10 },
        chains: 4,
        seed: 1,
      },
    });
    assert.equal(res.status, 400);
    const paths = (res.body.error.details as Array<{ path: string }>).map((d) => d.path);
    assert.deepEqual(paths, ['spec.params.size']);
    assert.match(res.body.error.message, /multiple of 8/);
  });
});
