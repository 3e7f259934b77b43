// A european-option workload end to end: a real coordinator on port 0, submitted over REST,
// computed by socket.io volunteers in Node running the reference kernel, validated by quorum.
// The answer must equal a single process's computation bit for bit, since units return exact
// integer sums, and sit within 5 standard errors of Black–Scholes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blackScholesPrice } from '@tessera/shared/kinds/european-option/blackScholes';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';
import {
  runUntilFinished,
  singleProcessResult,
  submitMontecarlo,
  volunteers,
  type SampleEstimate,
} from '../support/workloadRuns';

const PARAMS = {
  spot: 100,
  strike: 105,
  rate: 0.03,
  volatility: 0.25,
  maturity: 0.5,
  type: 'call',
} as const;

describe('european-option workload over real sockets', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 5_000, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  test('three volunteers complete it with the single-process answer, bit for bit, within 5 stderr of Black–Scholes', async () => {
    const spec = {
      estimator: 'european-option',
      params: PARAMS,
      samples: 600_001,
      seed: 20261127,
      samplesPerUnit: 65_536,
    };
    const id = await submitMontecarlo(c.url, spec, { name: 'integration option' });
    const crew = await volunteers(c.url, ['honest', 'honest', 'honest']);
    const view = await runUntilFinished(c.url, id, crew);
    assert.equal(view.status, 'completed');
    assert.equal(view.progress.unitsValidated, 10);
    assert.deepEqual(view.spec.params, PARAMS);
    const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
    const expected = singleProcessResult<SampleEstimate>(spec);
    assert.equal(result.estimate, expected.estimate);
    assert.equal(result.stderr, expected.stderr);
    assert.deepEqual(result.ci95, expected.ci95);
    assert.equal(result.samples, 600_001);
    assert.equal(result.final, true);
    const exact = blackScholesPrice(PARAMS);
    assert.ok(
      Math.abs(result.estimate - exact) < 5 * result.stderr,
      `${result.estimate} ± ${result.stderr} vs Black–Scholes ${exact}`,
    );
    assert.ok(crew.every((v) => v.tally.invalid === 0));
  });

  test('a volunteer whose payoff sums are one unit short is outvoted and earns no credit', async () => {
    const spec = {
      estimator: 'european-option',
      params: { ...PARAMS, type: 'put' },
      samples: 196_608,
      seed: 99,
      samplesPerUnit: 32_768,
    };
    const id = await submitMontecarlo(c.url, spec, { name: 'integration option' });
    const crew = await volunteers(c.url, ['liar', 'honest', 'honest']);
    const view = await runUntilFinished(c.url, id, crew);
    assert.equal(view.status, 'completed');
    const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
    assert.equal(
      result.estimate,
      singleProcessResult<SampleEstimate>(spec).estimate,
      'no lie reached the answer',
    );
    const liar = crew[0]!;
    assert.ok(liar.tally.results > 0, 'the liar did return results');
    // The lie is plausible: judged by the quorum (invalid), not refused by the schema or bounds.
    assert.equal(liar.tally.refused.INVALID_RESULT ?? 0, 0);
    assert.equal(liar.tally.valid, 0);
    assert.equal(liar.credit, 0);
  });

  test('an option spec out of range is refused with the field named', async () => {
    const res = await api(c.url, 'POST', '/api/workloads', {
      kind: 'montecarlo',
      spec: {
        estimator: 'european-option',
        params: { ...PARAMS, volatility: 3 },
        samples: 1000,
        seed: 1,
      },
    });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body.error), /volatility/);
  });
});
