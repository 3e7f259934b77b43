// Resident data and the locality preference (server/SPEC.md G1, G2, L9): a unit names its
// shard's fixed partition, a tab downloads each partition once, and leasing hands a tab units
// of partitions it already holds first, without ever holding a unit back from an idle tab or
// giving one volunteer two replicas of a unit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Lease } from '@tessera/shared';
import type { GradientTask } from '@tessera/shared/kinds/gradient/gradientSpec';
import type { GradientVolunteer } from '../../src/sim/gradientVolunteer';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';
import { crewOf, runToEnd, submitGradient } from './gradientSupport';

const BLOBS_SPEC = {
  model: 'softmax',
  dataset: 'blobs',
  blobs: { train: 400, test: 100, inputSize: 6, classes: 3, seed: 17 },
  optimizer: { name: 'sgd', lr: 0.1 },
  batchSize: 40,
  shards: 4,
  seed: 8,
};

const shardOf = (lease: Lease) => (lease.task as GradientTask).shard;

async function lease(v: GradientVolunteer): Promise<Lease> {
  const got = await v.request();
  assert.ok(got, 'a unit was leased');
  return got;
}

async function complete(v: GradientVolunteer, leases: Lease[]): Promise<void> {
  for (const l of leases) {
    const reply = await v.submit(l.replicaId, await v.compute(l));
    assert.equal(reply.ok, true, JSON.stringify(reply));
  }
}

function partitionLeases(partition: 'held' | 'fetched'): number {
  return c.server.coordinator.counters.get('tessera_gradient_partition_leases_total', {
    partition,
  });
}

let c: TestCoordinator;
before(async () => {
  c = await startTestCoordinator({
    scheduler: { leaseDurationMs: 10_000, sweepIntervalMs: 50, retryAfterMs: 20 },
  });
});
after(async () => {
  await c.cleanup();
});

describe('[L9] leasing gradient units by data locality', () => {
  test('[L9][G2] a tab gets units of partitions it holds first, and any open unit when none is left', async () => {
    const id = await submitGradient(c.url, { ...BLOBS_SPEC, steps: 3 }, { quorum: 1 });
    const [a, b] = await crewOf(c.url, ['honest', 'honest']);
    // Round 0: nothing is held, units go lowest first, alternating.
    const r0 = [await lease(a!), await lease(b!), await lease(a!), await lease(b!)];
    assert.deepEqual(r0.map(shardOf), [0, 1, 2, 3]);
    const partitionOf = new Map(r0.map((l) => [shardOf(l), (l.task as GradientTask).partition]));
    await complete(a!, [r0[0]!, r0[2]!]);
    await complete(b!, [r0[1]!, r0[3]!]);
    // Round 1: b asks first and gets its own partition 1, not the lowest open unit (0).
    const r1 = [await lease(b!), await lease(a!), await lease(b!), await lease(a!)];
    assert.deepEqual(r1.map(shardOf), [1, 0, 3, 2]);
    for (const l of r1) {
      // The same partition, named by the same URL and hash, every step.
      assert.deepEqual((l.task as GradientTask).partition, partitionOf.get(shardOf(l)));
    }
    await complete(a!, [r1[1]!, r1[3]!]);
    await complete(b!, [r1[0]!, r1[2]!]);
    // Round 2: a alone takes all four: its own two first, then the others (never held back).
    const r2 = [await lease(a!), await lease(a!), await lease(a!), await lease(a!)];
    assert.deepEqual(r2.map(shardOf), [0, 2, 1, 3]);
    await complete(a!, r2);
    assert.equal((await api(c.url, 'GET', `/api/workloads/${id}`)).body.status, 'completed');
    assert.equal(partitionLeases('held'), 6);
    assert.equal(partitionLeases('fetched'), 6);
    // Each tab downloaded each partition it computed on once.
    assert.equal(a!.tally.partitionFetches, 4);
    assert.equal(b!.tally.partitionFetches, 2);
    a!.close();
    b!.close();
  });

  test('[L6][L9] a batch takes only units of partitions the tab holds, else the one it will fetch', async () => {
    const id = await submitGradient(c.url, { ...BLOBS_SPEC, steps: 2 }, { quorum: 1 });
    const [a, b] = await crewOf(c.url, ['honest', 'honest']);
    // Round 0: no throughput on record yet, so one unit a request; a holds 0 and 2, b 1 and 3.
    const r0 = [];
    for (const v of [a!, b!, a!, b!]) r0.push(...(await v.requestBatch(8)));
    assert.deepEqual(r0.map(shardOf), [0, 1, 2, 3]);
    await complete(a!, [r0[0]!, r0[2]!]);
    await complete(b!, [r0[1]!, r0[3]!]);
    // Round 1: each batch is the tab's own partitions, though it asked for 8 and may hold 4.
    const mine = await a!.requestBatch(8);
    assert.deepEqual(mine.map(shardOf), [0, 2]);
    // Only b's partitions are left: a gets one of them, not both.
    const fetched = await a!.requestBatch(8);
    assert.deepEqual(fetched.map(shardOf), [1]);
    const theirs = await b!.requestBatch(8);
    assert.deepEqual(theirs.map(shardOf), [3]);
    await complete(a!, [...mine, ...fetched]);
    await complete(b!, theirs);
    assert.equal((await api(c.url, 'GET', `/api/workloads/${id}`)).body.status, 'completed');
    a!.close();
    b!.close();
  });

  test('[L9][L2] the preference never gives one volunteer two replicas of a unit', async () => {
    const id = await submitGradient(
      c.url,
      { ...BLOBS_SPEC, shards: 2, steps: 2 },
      { quorum: 2, maxReplicas: 2 },
    );
    const [a, b] = await crewOf(c.url, ['honest', 'honest']);
    for (let round = 0; round < 2; round++) {
      // a holds partitions 0 and 1 after round 0, and still gets one replica of each.
      const mine = [await lease(a!), await lease(a!)];
      assert.deepEqual(mine.map(shardOf), [0, 1]);
      assert.equal(await a!.request(), null, 'nothing else is open to a');
      const theirs = [await lease(b!), await lease(b!)];
      assert.deepEqual(theirs.map(shardOf), [0, 1]);
      await complete(a!, mine);
      await complete(b!, theirs);
    }
    assert.equal((await api(c.url, 'GET', `/api/workloads/${id}`)).body.status, 'completed');
    a!.close();
    b!.close();
  });
});

describe('[L9][G1] bytes a volunteer downloads on MNIST', () => {
  // 2 volunteers, 4 shards, 20 steps of 100 digits: a quarter of an epoch, where resident data
  // costs the most relative to shipping each unit's own examples (it pays off from one epoch).
  for (const quorum of [1, 2]) {
    test(`[L9][G1] softmax, 2 volunteers, 4 shards, 20 steps, quorum ${quorum}: each partition downloaded once per tab`, async () => {
      const spec = {
        model: 'softmax',
        dataset: 'mnist',
        optimizer: { name: 'adam', lr: 0.01 },
        batchSize: 100,
        steps: 20,
        shards: 4,
        seed: 20261127,
      };
      const [heldBefore, fetchedBefore] = [partitionLeases('held'), partitionLeases('fetched')];
      const id = await submitGradient(c.url, spec, { quorum });
      const crew = await crewOf(c.url, ['honest', 'honest']);
      const view = await runToEnd(c.url, id, crew, 55_000);
      assert.equal(view.status, 'completed', view.failureReason);
      const held = partitionLeases('held') - heldBefore;
      const fetched = partitionLeases('fetched') - fetchedBefore;
      const units = crew.reduce((n, v) => n + v.tally.units, 0);
      const partitionBytes = crew.reduce((n, v) => n + v.tally.partitionBytes, 0);
      const paramBytes = crew.reduce((n, v) => n + v.tally.paramBytes, 0);
      // 2,000 digits of 784 bytes a partition, plus the 32-byte header and the labels.
      const oneShard = 32 + 2000 * 784 + 2000;
      console.log(
        `# mnist locality quorum ${quorum}: ${units} units computed, ${held + fetched} leased, ` +
          `${((100 * held) / (held + fetched)).toFixed(1)}% to a tab holding the partition; ` +
          `data ${(partitionBytes / units / 1024).toFixed(1)} KiB/unit ` +
          `(${crew.map((v) => v.tally.partitionFetches).join(' + ')} partition downloads), ` +
          `parameters ${(paramBytes / units / 1024).toFixed(1)} KiB/unit`,
      );
      for (const v of crew) {
        assert.ok(v.tally.partitionFetches <= 4, `${v.tally.partitionFetches} downloads`);
        assert.equal(v.tally.partitionBytes, v.tally.partitionFetches * oneShard);
      }
      // Every lease but a tab's first of each partition found the partition held.
      assert.ok(fetched <= 8, `${fetched} leases needed a download`);
      assert.ok(held >= 20 * 4 * quorum - 8, `${held} leases found the partition held`);
    });
  }
});
