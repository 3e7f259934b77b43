// The edge of gradient workloads: results that no honest run could produce (NaN, wrong shape,
// JSON instead of bytes) are refused and the unit goes to someone else; a result computed at a
// parameter version whose round has closed is refused as stale.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  api,
  startTestCoordinator,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';
import { crewOf, runToEnd, submitGradient } from './gradientSupport';

const SPEC = {
  model: 'softmax',
  dataset: 'blobs',
  blobs: { train: 300, test: 100, inputSize: 6, classes: 3, seed: 9 },
  optimizer: { name: 'sgd', lr: 0.1 },
  batchSize: 50,
  shards: 1,
  seed: 4,
};

describe('gradient results at the edge', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 400, sweepIntervalMs: 25, retryAfterMs: 20 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  test('NaN, wrong-shape and JSON results are refused; honest volunteers finish the work', async () => {
    const id = await submitGradient(c.url, { ...SPEC, steps: 3 }, { quorum: 1 });
    const [nan, shape, json] = await crewOf(c.url, ['poison-nan', 'wrong-shape', 'honest']);
    for (const v of [nan!, shape!]) {
      const lease = (await v.request())!;
      const reply = await v.submit(lease.replicaId, await v.compute(lease));
      assert.equal(reply.ok, false);
      assert.equal(!reply.ok && reply.error.code, 'INVALID_RESULT');
    }
    const lease = (await json!.request())!;
    const asJson = await json!.call('unit:result', {
      replicaId: lease.replicaId,
      result: { gradSum: [1, 2, 3], lossSum: 1, count: 50, correct: 0 },
      elapsedMs: 1,
    });
    assert.equal(asJson.ok, false);
    assert.equal(!asJson.ok && asJson.error.code, 'INVALID_RESULT');
    assert.match(!asJson.ok ? asJson.error.message : '', /bytes/);
    [nan, shape, json].forEach((v) => v!.close());
    const view = await runToEnd(c.url, id, await crewOf(c.url, ['honest', 'honest']));
    assert.equal(view.status, 'completed', view.failureReason);
    const result = await api(c.url, 'GET', `/api/workloads/${id}/result`);
    assert.ok(result.body.steps.every((s: { loss: number }) => Number.isFinite(s.loss)));
  });

  test('a result for an old parameter version is refused as stale', async () => {
    const id = await submitGradient(c.url, { ...SPEC, steps: 2 }, { quorum: 1 });
    const [late, prompt] = await crewOf(c.url, ['honest', 'honest']);
    const oldLease = (await late!.request())!;
    const oldBytes = await late!.compute(oldLease);
    // The late volunteer sits on its result past the deadline: the unit goes to another, whose
    // result closes the round (version 0 -> 1).
    const reissued = await waitFor(async () => prompt!.request(), 5_000, 'the unit to be reissued');
    assert.equal((reissued.task as { version: number }).version, 0);
    const ok = await prompt!.submit(reissued.replicaId, await prompt!.compute(reissued));
    assert.equal(ok.ok, true);
    const next = (await prompt!.request())!;
    assert.equal((next.task as { version: number }).version, 1);
    const stale = await late!.submit(oldLease.replicaId, oldBytes);
    assert.equal(stale.ok, false);
    assert.equal(!stale.ok && stale.error.code, 'LEASE_EXPIRED');
    assert.match(!stale.ok ? stale.error.message : '', /version 0.*version 1/);
    late!.close();
    prompt!.close();
    await api(c.url, 'DELETE', `/api/workloads/${id}`);
  });
});

describe('gradient round stragglers', () => {
  let c: TestCoordinator;
  before(async () => {
    // A lease far longer than the test: only a backup replica can finish the stalled unit.
    c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 60_000, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  test('a frozen tab holding a shard gets a backup replica; the round does not wait for its lease', async () => {
    const id = await submitGradient(c.url, { ...SPEC, shards: 4, steps: 4 }, { quorum: 1 });
    const [frozen] = await crewOf(c.url, ['stall']);
    // The frozen tab takes the first shard before anyone else is there.
    const frozenRun = frozen!.run();
    await waitFor(
      async () => (await api(c.url, 'GET', `/api/workloads/${id}`)).body.status === 'running',
      5_000,
      'the frozen tab to lease',
    );
    const started = Date.now();
    const view = await runToEnd(c.url, id, await crewOf(c.url, ['honest', 'honest']), 15_000);
    frozen!.close();
    await frozenRun;
    assert.equal(view.status, 'completed', view.failureReason);
    assert.ok(Date.now() - started < 15_000);
  });
});

describe('gradient progress', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({ scheduler: { retryAfterMs: 20 } });
  });
  after(async () => {
    await c.cleanup();
  });

  test('a leased shard shows as in flight in the workload view', async () => {
    const id = await submitGradient(c.url, { ...SPEC, shards: 2, steps: 2 });
    const [v] = await crewOf(c.url, ['honest']);
    assert.equal((await api(c.url, 'GET', `/api/workloads/${id}`)).body.progress.unitsInFlight, 0);
    await v!.request();
    const view = (await api(c.url, 'GET', `/api/workloads/${id}`)).body;
    assert.equal(view.status, 'running');
    assert.equal(view.progress.unitsInFlight, 1);
    assert.equal(view.progress.unitsTotal, 4);
    assert.equal((await api(c.url, 'DELETE', `/api/workloads/${id}`)).status, 200);
    const cancelled = (await api(c.url, 'GET', `/api/workloads/${id}`)).body;
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.progress.unitsInFlight, 0);
    v!.close();
  });
});
