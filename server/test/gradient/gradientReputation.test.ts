// Invalid gradients catch their volunteer as a wrong Monte Carlo answer does (server/SPEC.md
// R6): results refused at the edge (NaN, wrong shape) and results outvoted by the quorum count
// as offenses; at the offense limit the volunteer is suspended and what it still has in flight
// is taken back. A crew with poisoners trains to the single-process parameters while the
// poisoners are cut off and the honest volunteers never are.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sliceExamples } from '@tessera/shared/kinds/gradient/exampleSet';
import { trainLocally } from '@tessera/shared/kinds/gradient/localTrainer';
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import type { Lease } from '@tessera/shared';
import type { GradientVolunteer } from '../../src/sim/gradientVolunteer';
import { WorkRefusedError } from '../../src/sim/gradientVolunteer';
import {
  startTestCoordinator,
  volunteerRecord,
  type TestCoordinator,
} from '../support/testCoordinator';
import { crewOf, finalParams, relativeL2, runToEnd, submitGradient } from './gradientSupport';

const BLOBS = { train: 240, test: 60, inputSize: 6, classes: 3, seed: 21 };
const SPEC = {
  model: 'softmax',
  dataset: 'blobs',
  blobs: BLOBS,
  optimizer: { name: 'adam', lr: 0.05 },
  batchSize: 40,
  seed: 13,
};

async function record(c: TestCoordinator, v: GradientVolunteer) {
  return (await volunteerRecord(c.repository, v.volunteerId!))!;
}

async function refusalCode(v: GradientVolunteer): Promise<string | null> {
  try {
    await v.request();
    return null;
  } catch (error) {
    assert.ok(error instanceof WorkRefusedError, String(error));
    return error.code;
  }
}

describe('[R6] invalid gradient results and the trust policy', () => {
  const coordinators: TestCoordinator[] = [];
  after(async () => {
    await Promise.all(coordinators.map((c) => c.cleanup()));
  });
  async function coordinator(offenseLimit: number) {
    const c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 10_000, sweepIntervalMs: 50, retryAfterMs: 20, offenseLimit },
    });
    coordinators.push(c);
    return c;
  }

  test('[R6][R5][Q6] a gradient outside tolerance of the arbitrated result is an offense: suspended at the limit, its work in flight taken back', async () => {
    const c = await coordinator(1);
    const id = await submitGradient(c.url, { ...SPEC, shards: 2, steps: 2 }, { quorum: 2 });
    const [liar, h1, h2] = await crewOf(c.url, ['poison-scale', 'honest', 'honest']);
    const lied = (await liar!.request())!;
    const held = (await liar!.request())!;
    assert.notEqual(lied.unitIndex, held.unitIndex);
    const pending = await liar!.submit(lied.replicaId, await liar!.compute(lied));
    assert.equal(pending.ok && pending.verdict, 'pending');
    // An honest replica of the lied-about unit disagrees with the liar: the coordinator
    // computes the shard itself ([Q6]) and settles it on the honest gradient.
    const lease = (await h1!.request())!;
    assert.equal(lease.unitIndex, lied.unitIndex);
    const reply = await h1!.submit(lease.replicaId, await h1!.compute(lease));
    assert.equal(reply.ok && reply.verdict, 'valid', JSON.stringify(reply));
    const caught = await record(c, liar!);
    assert.equal(caught.offenses, 1);
    assert.ok(caught.suspendedUntil! > Date.now(), 'suspended');
    assert.equal(caught.consecutiveValid, 0);
    // Its other unit was taken back the moment it was caught: its result is refused...
    const late = await liar!.submit(held.replicaId, await liar!.compute(held));
    assert.equal(!late.ok && late.error.code, 'LEASE_EXPIRED');
    // ...it gets no more work, and the honest volunteers carry no offense.
    assert.equal(await refusalCode(liar!), 'SUSPENDED');
    for (const honest of [h1!, h2!]) {
      const r = await record(c, honest);
      assert.equal(r.offenses, 0);
      assert.equal(r.suspendedUntil, null);
    }
    const view = await runToEnd(c.url, id, [h1!, h2!, ...(await crewOf(c.url, ['honest']))]);
    assert.equal(view.status, 'completed', view.failureReason);
    liar!.close();
  });

  test('[R6][V2][R4][R5] NaN and wrong-shape results refused at the edge catch their volunteer', async () => {
    const c = await coordinator(2);
    const id = await submitGradient(c.url, { ...SPEC, shards: 3, steps: 1 }, { quorum: 1 });
    for (const behavior of ['poison-nan', 'wrong-shape'] as const) {
      const [bad] = await crewOf(c.url, [behavior]);
      const refused = async (lease: Lease) => {
        const reply = await bad!.submit(lease.replicaId, await bad!.compute(lease));
        return !reply.ok && reply.error.code;
      };
      const [first, held] = [(await bad!.request())!, (await bad!.request())!];
      assert.equal(await refused(first), 'INVALID_RESULT');
      // [R4] caught once: not suspended yet, but what it holds is taken back at once.
      assert.equal((await record(c, bad!)).offenses, 1);
      assert.equal(await refused(held), 'LEASE_EXPIRED');
      assert.equal(await refused((await bad!.request())!), 'INVALID_RESULT');
      const r = await record(c, bad!);
      assert.equal(r.offenses, 2);
      assert.ok(r.suspendedUntil! > Date.now(), `${behavior} suspended`);
      assert.equal(await refusalCode(bad!), 'SUSPENDED');
      bad!.close();
    }
    const view = await runToEnd(c.url, id, await crewOf(c.url, ['honest']));
    assert.equal(view.status, 'completed', view.failureReason);
  });

  test('[R6][R5] poisoners in a training crew are cut off, honest volunteers never; the model is the clean one', async () => {
    const c = await coordinator(3);
    const spec = { ...SPEC, shards: 4, steps: 12 };
    // Three different lies never agree with each other, so each costs its liar an offense.
    const id = await submitGradient(c.url, spec, { quorum: 2, maxReplicas: 8 });
    const crew = await crewOf(c.url, [
      'poison-scale',
      'poison-flip',
      'poison-nan',
      'honest',
      'honest',
      'honest',
    ]);
    const view = await runToEnd(c.url, id, crew);
    assert.equal(view.status, 'completed', view.failureReason);
    for (const v of crew) {
      const r = await record(c, v);
      if (v.behavior === 'honest') {
        assert.equal(r.offenses, 0, v.behavior);
        assert.equal(r.suspendedUntil, null, v.behavior);
      } else {
        // Results it returned before the third was judged may be judged after it.
        assert.ok(r.offenses >= 3, `${v.behavior}: ${r.offenses} offenses`);
        assert.ok(r.suspendedUntil! > Date.now(), `${v.behavior} suspended`);
        assert.equal(v.tally.refused.SUSPENDED, 1, `${v.behavior} was refused work`);
      }
    }
    const all = makeBlobs({ count: BLOBS.train + BLOBS.test, inputSize: 6, classes: 3, seed: 21 });
    const local = trainLocally({
      config: { model: 'softmax', inputSize: 6, classes: 3 },
      train: sliceExamples(all, 0, BLOBS.train),
      optimizer: { name: 'adam', lr: 0.05 },
      batchSize: 40,
      steps: 12,
      seed: 13,
      shards: 4,
    });
    const { params } = await finalParams(c.url, id);
    assert.ok(relativeL2(params, local.params) <= 1e-4, 'no poisoned gradient reached the model');
  });
});
