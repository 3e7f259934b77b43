// [A3] Asynchronous rounds with bounded staleness: with maxStaleness k, units of the next k
// steps are leased while a straggler still holds one of the current step, each at the newest
// parameter version there is; a step closes once all its shards are in and the steps before it
// closed, its stale gradients weighed 1 / (1 + staleness). The versions used are part of the
// result, and replaying them in one process gives the same parameters.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stalenessWeight } from '@tessera/shared/kinds/gradient/staleness';
import {
  api,
  startTestCoordinator,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';
import {
  crewOf,
  finalParams,
  relativeL2,
  runToEnd,
  submitGradient,
  trainBlobsLocally,
} from './gradientSupport';

const BLOBS = { train: 600, test: 200, inputSize: 8, classes: 3, seed: 5 };
const SPEC = {
  model: 'softmax',
  dataset: 'blobs',
  blobs: BLOBS,
  optimizer: { name: 'adam', lr: 0.05 },
  batchSize: 60,
  shards: 3,
  steps: 16,
  seed: 41,
};

interface Step {
  step: number;
  loss: number;
  versions?: number[];
}

describe('asynchronous gradient rounds', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 5_000, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  test('[A3] the staleness weight: fresh gradients count fully, older ones less', () => {
    assert.equal(stalenessWeight(5, 5), 1);
    assert.equal(stalenessWeight(5, 4), 1 / 2);
    assert.equal(stalenessWeight(5, 3), 1 / 3);
    assert.throws(() => stalenessWeight(5, 6), RangeError);
  });

  test('[A3] maxStaleness is checked: at most 8, and 0 (synchronous) by default', async () => {
    const bad = await api(c.url, 'POST', '/api/workloads', {
      kind: 'gradient',
      spec: { ...SPEC, maxStaleness: 9 },
    });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /maxStaleness/);
    const id = await submitGradient(c.url, SPEC);
    const view = await api(c.url, 'GET', `/api/workloads/${id}`);
    assert.equal(view.body.spec.maxStaleness, 0);
    await api(c.url, 'POST', `/api/workloads/${id}/cancel`);
  });

  test('[A3] a straggler does not hold the round: later steps run at older versions, within the bound, and the run replays in one process', async () => {
    const maxStaleness = 2;
    const id = await submitGradient(c.url, { ...SPEC, maxStaleness });
    // The slow volunteer takes a unit of step 0 before the others start, so that step is sure
    // to wait on it while the fast ones run ahead (started together, they could take it all).
    const [slow] = await crewOf(c.url, ['slow']);
    const slowRun = slow!.run().catch(() => undefined);
    let view;
    try {
      await waitFor(
        async () =>
          (await api(c.url, 'GET', `/api/workloads/${id}`)).body.progress.unitsInFlight > 0,
        10_000,
        'the slow volunteer to hold a unit',
      );
      view = await runToEnd(c.url, id, await crewOf(c.url, ['honest', 'honest']));
    } finally {
      slow!.close();
      await slowRun;
    }
    assert.equal(view.status, 'completed', view.failureReason);
    assert.equal(view.progress.unitsValidated, view.progress.unitsTotal);

    const result = await api(c.url, 'GET', `/api/workloads/${id}/result`);
    const steps = result.body.steps as Step[];
    assert.deepEqual(
      steps.map((s) => s.step),
      Array.from({ length: SPEC.steps }, (_, i) => i),
    );
    let stale = 0;
    for (const s of steps) {
      assert.equal(s.versions?.length, SPEC.shards, `step ${s.step} records every shard's version`);
      for (const v of s.versions!) {
        assert.ok(v <= s.step && v >= s.step - maxStaleness, `step ${s.step} used version ${v}`);
        if (v < s.step) stale += 1;
      }
    }
    assert.ok(stale > 0, 'with a slow volunteer some units ran ahead on older parameters');

    const config = { model: 'softmax', inputSize: 8, classes: 3 } as const;
    const trainOnce = (versionOf?: (step: number, partition: number) => number) =>
      trainBlobsLocally(SPEC, config, versionOf);
    const replay = trainOnce((step, partition) => steps[step]!.versions![partition]!);
    const { params } = await finalParams(c.url, id);
    const err = relativeL2(params, replay.params);
    assert.ok(err <= 1e-4, `relative L2 ${err} against the replay`);
    // And the replay is not the synchronous run: the staleness changed the parameters.
    assert.ok(relativeL2(params, trainOnce().params) > 1e-4);
    console.log(
      `# async: ${stale} of ${SPEC.steps * SPEC.shards} units ran on older parameters; accuracy ${result.body.accuracy}`,
    );
  });

  test('[A3] synchronous rounds (maxStaleness 0) record no versions and never run ahead', async () => {
    const steps = 6;
    const id = await submitGradient(c.url, { ...SPEC, steps });
    const view = await runToEnd(c.url, id, await crewOf(c.url, ['honest', 'honest', 'slow']));
    assert.equal(view.status, 'completed', view.failureReason);
    const result = await api(c.url, 'GET', `/api/workloads/${id}/result`);
    const reported = result.body.steps as Step[];
    // Counted first: an empty list would pass the loops below without checking anything.
    assert.equal(reported.length, steps, 'every step is reported');
    for (const s of reported) assert.equal(s.versions, undefined);
    // The store still records each shard's version: always its own step, even beside a slow tab.
    const metrics = (await c.repository.transaction(Date.now(), (tx) => tx.records(id))) as Array<{
      step: number;
      versions: number[];
    }>;
    assert.deepEqual(
      metrics.map((m) => m.step),
      Array.from({ length: steps }, (_, i) => i),
      'the store records every step',
    );
    for (const m of metrics) {
      assert.deepEqual(m.versions, Array(SPEC.shards).fill(m.step), `step ${m.step}`);
    }
  });
});
