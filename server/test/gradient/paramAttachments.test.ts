// [L14] A round's parameters ride with the lease: the reply that leases a connection its first
// unit of a version carries that version's bytes (the same bytes its paramsUrl serves), once per
// connection; Node volunteers then train without a parameter download. And the bookkeeping
// behind it (ParamAttachments) and the tab's reading of a reply (attachmentsOf).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { attachmentsOf, type UnitRequestReply } from '@tessera/shared';
import { VOLUNTEER_PARAMS_CACHE_VERSIONS } from '@tessera/shared/kinds/gradient/dataPartitions';
import type { GradientTask } from '@tessera/shared/kinds/gradient/gradientSpec';
import {
  MAX_ATTACHED_PARAMS_BYTES,
  ParamAttachments,
} from '../../src/kinds/gradient/paramAttachments';
import type { GradientVolunteer } from '../../src/sim/gradientVolunteer';
import { startTestCoordinator, waitFor, type TestCoordinator } from '../support/testCoordinator';
import {
  TINY_BLOBS_SOFTMAX,
  crewOf,
  finalParams,
  runToEnd,
  submitGradient,
} from './gradientSupport';

async function ask(v: GradientVolunteer, maxUnits = 1): Promise<UnitRequestReply> {
  const reply = await v.call<UnitRequestReply>('unit:request', { maxUnits });
  assert.ok(reply.ok, JSON.stringify(reply));
  return reply;
}

const served = async (url: string, path: string) =>
  new Uint8Array(await (await fetch(`${url}${path}`)).arrayBuffer());

describe('[L14] parameters sent with leases', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({ scheduler: { retryAfterMs: 20, sweepIntervalMs: 50 } });
  });
  after(async () => {
    await c.cleanup();
  });

  test('the first lease of a version to a connection carries its bytes, once', async () => {
    const id = await submitGradient(
      c.url,
      { ...TINY_BLOBS_SOFTMAX, shards: 3, steps: 2 },
      { quorum: 1 },
    );
    const [a, b] = await crewOf(c.url, ['honest', 'honest']);
    try {
      const first = await ask(a!);
      const task = first.leases[0]!.task as GradientTask;
      const attached = attachmentsOf(first);
      assert.deepEqual([...attached.keys()], [task.paramsUrl]);
      assert.deepEqual(
        new Uint8Array(attached.get(task.paramsUrl)!),
        await served(c.url, task.paramsUrl),
        'the bytes paramsUrl serves',
      );
      // The same version again on this connection: not sent twice.
      const again = await ask(a!);
      assert.equal(again.leases.length, 1);
      assert.equal((again.leases[0]!.task as GradientTask).paramsUrl, task.paramsUrl);
      assert.equal(again.attachments, undefined);
      // Another connection is sent its own copy.
      const other = await ask(b!);
      assert.equal(other.leases.length, 1);
      assert.deepEqual([...attachmentsOf(other).keys()], [task.paramsUrl]);

      // The round closes; the next one's first lease carries version 1.
      for (const [v, reply] of [
        [a!, first],
        [a!, again],
        [b!, other],
      ] as const) {
        const lease = reply.leases[0]!;
        const sent = await v.submit(lease.replicaId, await v.compute(lease));
        assert.ok(sent.ok, JSON.stringify(sent));
      }
      // Units of version 0 still wanted (replicas, backups) are answered until version 1 opens.
      const next = await waitFor(
        async () => {
          const reply = await ask(b!);
          const lease = reply.leases[0];
          if (!lease || (lease.task as GradientTask).version > 0) return lease ? reply : null;
          await b!.submit(lease.replicaId, await b!.compute(lease));
          return null;
        },
        10_000,
        'the second round to open',
      );
      const nextTask = next.leases[0]!.task as GradientTask;
      assert.equal(nextTask.version, 1);
      assert.deepEqual([...attachmentsOf(next).keys()], [nextTask.paramsUrl]);
      assert.deepEqual(
        new Uint8Array(attachmentsOf(next).get(nextTask.paramsUrl)!),
        await served(c.url, nextTask.paramsUrl),
      );
      assert.ok(id);
    } finally {
      a!.close();
      b!.close();
    }
  });

  test('volunteers train without downloading parameters, to the same answer', async () => {
    const spec = { ...TINY_BLOBS_SOFTMAX, steps: 4 };
    const id = await submitGradient(c.url, spec);
    const crew = await crewOf(c.url, ['honest', 'honest']);
    const view = await runToEnd(c.url, id, crew);
    assert.equal(view.status, 'completed', view.failureReason);
    const fetched = crew.reduce((n, v) => n + v.tally.paramFetches, 0);
    const attached = crew.reduce((n, v) => n + v.tally.paramsAttached, 0);
    assert.equal(fetched, 0, 'no parameter download');
    assert.ok(attached >= spec.steps, `${attached} versions attached over ${spec.steps} steps`);
    const { params } = await finalParams(c.url, id);
    assert.ok(params.every(Number.isFinite));
  });
});

describe('[L14] ParamAttachments', () => {
  const task = (version: number, parameterCount = 4) => ({
    paramsUrl: `/api/workloads/w/params/${version}`,
    version,
    parameterCount,
  });
  const bytes = (version: number) => new Uint8Array(16).fill(version);

  test('each version once per connection, for as many versions as a tab keeps', async () => {
    const loads: number[] = [];
    const attachments = new ParamAttachments(async (_id, version) => {
      loads.push(version);
      return bytes(version);
    });
    const first = await attachments.attach('c1', 'w', task(0));
    assert.deepEqual(first && new Uint8Array(first.bytes as Uint8Array), bytes(0));
    assert.equal(await attachments.attach('c1', 'w', task(0)), null);
    assert.notEqual(await attachments.attach('c2', 'w', task(0)), null, 'per connection');
    for (let v = 1; v <= VOLUNTEER_PARAMS_CACHE_VERSIONS; v++) {
      assert.notEqual(await attachments.attach('c1', 'w', task(v)), null);
    }
    // Version 0 fell out of what the tab keeps: it would be sent again.
    assert.notEqual(await attachments.attach('c1', 'w', task(0)), null);
    attachments.forget('c2');
    assert.notEqual(await attachments.attach('c2', 'w', task(0)), null, 'forgotten');
  });

  test('a version no longer held, or a model too large, is left to the fetch', async () => {
    let held = false;
    const attachments = new ParamAttachments(async (_id, version) => {
      if (!held) throw new Error('not held');
      return bytes(version);
    });
    assert.equal(await attachments.attach('c1', 'w', task(5)), null);
    held = true;
    assert.notEqual(
      await attachments.attach('c1', 'w', task(5)),
      null,
      'a failure is not recorded',
    );
    const large = task(6, MAX_ATTACHED_PARAMS_BYTES / 4 + 1);
    assert.equal(await attachments.attach('c1', 'w', large), null);
  });

  test('concurrent lanes of one connection are sent a version once', async () => {
    const attachments = new ParamAttachments(async (_id, version) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return bytes(version);
    });
    const both = await Promise.all([
      attachments.attach('c1', 'w', task(1)),
      attachments.attach('c1', 'w', task(1)),
    ]);
    assert.equal(both.filter((a) => a !== null).length, 1);
  });
});

describe('[L14] attachmentsOf', () => {
  test('bytes in buffers of their own; anything malformed dropped', () => {
    const pool = Buffer.from([9, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const found = attachmentsOf({
      attachments: [
        { url: '/a', bytes: pool.subarray(1, 9) },
        { url: '/b', bytes: new Uint8Array([1, 2, 3, 4]).buffer },
        { url: 7, bytes: new ArrayBuffer(4) },
        { url: '/c', bytes: 'not bytes' },
        null,
      ],
    });
    assert.deepEqual([...found.keys()], ['/a', '/b']);
    const a = found.get('/a')!;
    assert.equal(a.byteLength, 8, 'not the pool it was sliced from');
    assert.deepEqual([...new Uint8Array(a)], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(attachmentsOf({ attachments: 'x' }).size, 0);
    assert.equal(attachmentsOf({}).size, 0);
  });
});
