// unit:results over a real coordinator and real socket.io clients: a leased batch returned in
// one event gets one verdict per item in order; forged, duplicate and malformed items fail
// alone; a malformed envelope fails whole; a gradient's bytes survive inside the array; a batch
// costs more than one event against the rate limit and its refused items count as refusals.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import {
  MAX_RESULTS_PER_EVENT,
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  estimatorFor,
  type Lease,
  type ResultItemReply,
} from '@tessera/shared';
import { MAX_REFUSALS, resultsEventCost } from '../../src/realtime/volunteerNamespace';
import { GradientVolunteer } from '../../src/sim/gradientVolunteer';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import { submitGradient } from '../gradient/gradientSupport';
import {
  api,
  startTestCoordinator,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';

const pi = estimatorFor('pi');
const SAMPLES_PER_UNIT = 4_096;

function rawSocket(url: string): Socket {
  return io(`${url}${VOLUNTEER_NAMESPACE}`, {
    auth: { protocolVersion: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
}

async function greeted(url: string): Promise<Socket> {
  const socket = rawSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const hello = await socket.emitWithAck('hello', { device: { backend: 'cpu' } });
  assert.equal(hello.ok, true);
  return socket;
}

async function submitPi(url: string, units: number, seed: number): Promise<string> {
  const res = await api(url, 'POST', '/api/workloads', {
    kind: 'montecarlo',
    spec: {
      estimator: 'pi',
      samples: units * SAMPLES_PER_UNIT,
      samplesPerUnit: SAMPLES_PER_UNIT,
      seed,
    },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

/** Leases `k` units on `socket`: one first, to show the coordinator its speed ([L6]), then k. */
async function leaseBatch(socket: Socket, k: number): Promise<Lease[]> {
  const first = await socket.emitWithAck('unit:request', {});
  assert.ok(first.ok && first.lease, JSON.stringify(first));
  const taught = await socket.emitWithAck('unit:result', itemFor(first.lease, 50));
  assert.equal(taught.ok, true, JSON.stringify(taught));
  const batch = await socket.emitWithAck('unit:request', { maxUnits: k });
  assert.ok(batch.ok, JSON.stringify(batch));
  assert.equal(batch.leases.length, k, 'the whole batch leased');
  return batch.leases as Lease[];
}

function itemFor(lease: Lease, elapsedMs = 5) {
  return {
    replicaId: lease.replicaId,
    result: pi.runReference(pi.taskSchema.parse(lease.task)),
    elapsedMs,
  };
}

const codes = (replies: ResultItemReply[]) =>
  replies.map((r) => (r.ok ? `ok:${r.verdict}` : r.error.code));

describe('batched results (unit:results)', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({
      scheduler: { leaseWorkSeconds: 30, maxLeasesPerConnection: 8, leaseDurationMs: 600_000 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  test('[L11] a batch of k leased results gets k verdicts in item order; sent again, k refusals', async () => {
    await submitPi(c.url, 20, 1);
    const socket = await greeted(c.url);
    try {
      const leases = await leaseBatch(socket, 6);
      const results = leases.map((l) => itemFor(l));
      const reply = await socket.emitWithAck('unit:results', { results });
      assert.equal(reply.ok, true, JSON.stringify(reply));
      assert.equal(reply.replies.length, 6);
      for (const r of reply.replies as ResultItemReply[]) {
        assert.ok(r.ok && ['pending', 'valid'].includes(r.verdict), JSON.stringify(r));
      }
      // [V1] each was taken once: the same batch again is refused item by item.
      const again = await socket.emitWithAck('unit:results', { results });
      assert.equal(again.ok, true);
      assert.deepEqual(codes(again.replies), Array(6).fill('NOT_LEASED'));
    } finally {
      socket.close();
    }
  });

  test('[L11] forged, duplicate and malformed items fail alone; the valid ones are taken', async () => {
    await submitPi(c.url, 20, 2);
    const [mine, theirs] = [await greeted(c.url), await greeted(c.url)];
    try {
      const [a, b] = await leaseBatch(mine, 2);
      const other = await theirs.emitWithAck('unit:request', {});
      assert.ok(other.ok && other.lease);
      const reply = await mine.emitWithAck('unit:results', {
        results: [
          itemFor(a!),
          itemFor(other.lease), // another volunteer's replica
          { replicaId: 987_654_321, result: {}, elapsedMs: 1 }, // no such replica
          itemFor(a!), // the same replica twice
          { replicaId: 'x', result: {}, elapsedMs: 1 }, // malformed
          itemFor(b!),
        ],
      });
      assert.equal(reply.ok, true, JSON.stringify(reply));
      assert.deepEqual(
        codes(reply.replies).map((c) => c.replace(/:.*/, '')),
        ['ok', 'NOT_LEASED', 'NOT_LEASED', 'NOT_LEASED', 'BAD_REQUEST', 'ok'],
      );
      assert.match(reply.replies[4].error.message, /malformed unit:results item 4/);
      // The forgery took nothing from its holder.
      const own = await theirs.emitWithAck('unit:results', { results: [itemFor(other.lease)] });
      assert.equal(own.replies[0].ok, true, JSON.stringify(own));
    } finally {
      mine.close();
      theirs.close();
    }
  });

  test('[L11] a malformed envelope is refused whole, 65 results included', async () => {
    await submitPi(c.url, 4, 3);
    const socket = await greeted(c.url);
    try {
      const [lease] = await leaseBatch(socket, 1);
      const good = itemFor(lease!);
      for (const payload of [
        { results: Array(MAX_RESULTS_PER_EVENT + 1).fill(good) },
        { results: [] },
        { results: good },
        { results: [good], extra: 1 },
        'results',
      ]) {
        const reply = await socket.emitWithAck('unit:results', payload);
        assert.equal(reply.ok, false);
        assert.equal(reply.error.code, 'BAD_REQUEST', JSON.stringify(reply));
      }
      // Nothing of a refused envelope was taken: the lease is still there to return.
      const reply = await socket.emitWithAck('unit:results', { results: [good] });
      assert.equal(reply.replies[0].ok, true, JSON.stringify(reply));
      const full = await socket.emitWithAck('unit:results', {
        results: Array(MAX_RESULTS_PER_EVENT).fill(good),
      });
      assert.equal(full.ok, true, '64 is allowed');
      assert.deepEqual(codes(full.replies), Array(64).fill('NOT_LEASED'));
    } finally {
      socket.close();
    }
    const anonymous = rawSocket(c.url);
    await new Promise<void>((resolve) => anonymous.once('connect', () => resolve()));
    const before = await anonymous.emitWithAck('unit:results', {
      results: [{ replicaId: 1, result: {}, elapsedMs: 1 }],
    });
    assert.equal(before.error.code, 'NOT_IDENTIFIED');
    anonymous.close();
  });

  test('[L11] the simulated volunteer returns its leased batches in unit:results; same answer', async () => {
    const spec = { estimator: 'pi', samples: 48 * 4096, seed: 8, samplesPerUnit: 4096 };
    const created = await api(c.url, 'POST', '/api/workloads', { kind: 'montecarlo', spec });
    // The size of every unit:results batch the coordinator is handed.
    const coordinator = c.server.coordinator;
    const sizes: number[] = [];
    const submitResults = coordinator.submitResults.bind(coordinator);
    coordinator.submitResults = (identity, items) => {
      sizes.push(items.length);
      return submitResults(identity, items);
    };
    const crew = [0, 1].map(() => new SimulatedVolunteer({ url: c.url, maxUnits: 8, idleMs: 20 }));
    await Promise.all(crew.map((v) => v.connect()));
    let done = false;
    const running = crew.map((v) => v.run(() => done));
    await waitFor(
      async () =>
        (await api(c.url, 'GET', `/api/workloads/${created.body.id}`)).body.status === 'completed',
      30_000,
      'completion',
    );
    done = true;
    await Promise.all(running);
    crew.forEach((v) => v.close());
    coordinator.submitResults = submitResults;
    assert.ok(Math.max(...sizes) > 1, `results arrived in batches: ${sizes.join(',')}`);
    for (const v of crew) {
      assert.ok(Math.max(...v.batches) > 1, `batches: ${v.batches.join(',')}`);
      assert.deepEqual(v.tally.refused, {});
      assert.equal(v.tally.results, v.tally.leases);
    }
    const parsed = pi.specSchema.parse(spec);
    let aggregate = pi.emptyAggregate();
    for (let i = 0; i < pi.unitCount(parsed); i++)
      aggregate = pi.fold(aggregate, pi.runReference(pi.taskFor(parsed, i)));
    const result = (await api(c.url, 'GET', `/api/workloads/${created.body.id}/result`)).body;
    assert.equal(result.estimate, (pi.finalize(aggregate) as { estimate: number }).estimate);
  });
});

describe('batched gradient results', () => {
  test('[L11][V2] binary gradient results inside the array arrive as bytes and are taken', async () => {
    const c = await startTestCoordinator({ scheduler: { leaseDurationMs: 600_000 } });
    try {
      const id = await submitGradient(
        c.url,
        {
          model: 'softmax',
          dataset: 'blobs',
          blobs: { train: 300, test: 100, inputSize: 6, classes: 3, seed: 9 },
          optimizer: { name: 'sgd', lr: 0.1 },
          batchSize: 50,
          shards: 2,
          seed: 4,
          steps: 2,
        },
        { quorum: 1 },
      );
      const v = new GradientVolunteer({ url: c.url });
      await v.connect();
      try {
        const first = (await v.request())!;
        const second = (await v.request())!;
        assert.ok(first && second, 'both shards of the round leased');
        const [a, b] = [await v.compute(first), await v.compute(second)];
        const reply = await v.submitResults([
          { replicaId: first.replicaId, bytes: a },
          { replicaId: second.replicaId, bytes: b },
        ]);
        assert.equal(reply.ok, true, JSON.stringify(reply));
        assert.deepEqual(
          reply.replies.map((r) => r.ok),
          [true, true],
          JSON.stringify(reply.replies),
        );
        // The round had two shards and both came back: the workload moved on to its next step.
        await waitFor(
          async () =>
            (await api(c.url, 'GET', `/api/workloads/${id}`)).body.progress.unitsValidated >= 2,
          5_000,
          'the round to close on the batched results',
        );
      } finally {
        v.close();
      }
      // Bytes and JSON side by side: the bytes are taken, the JSON is refused alone.
      const w = new GradientVolunteer({ url: c.url });
      await w.connect();
      try {
        const lease = (await w.request())!;
        const other = (await w.request())!;
        assert.ok(lease && other);
        const reply = await w.call<{ replies: ResultItemReply[] }>('unit:results', {
          results: [
            {
              replicaId: lease.replicaId,
              result: new Uint8Array(await w.compute(lease)),
              elapsedMs: 1,
            },
            {
              replicaId: other.replicaId,
              result: { gradSum: [1, 2, 3], lossSum: 1, count: 50, correct: 0 },
              elapsedMs: 1,
            },
          ],
        });
        assert.ok(reply.ok, JSON.stringify(reply));
        assert.deepEqual(
          codes(reply.replies).map((c) => c.replace(/:.*/, '')),
          ['ok', 'INVALID_RESULT'],
        );
      } finally {
        w.close();
      }
    } finally {
      await c.cleanup();
    }
  });
});

describe('batched results against the rate limit', () => {
  test('[L8] a batch of k costs 1 + ceil(k/8) events', () => {
    assert.equal(resultsEventCost({ results: [1] }), 2);
    assert.equal(resultsEventCost({ results: Array(8).fill(1) }), 2);
    assert.equal(resultsEventCost({ results: Array(9).fill(1) }), 3);
    assert.equal(resultsEventCost({ results: Array(64).fill(1) }), 9);
    assert.equal(resultsEventCost({ results: Array(10_000).fill(1) }), 9, 'capped: refused anyway');
    for (const junk of [null, 'x', {}, { results: 'x' }, []]) {
      assert.equal(resultsEventCost(junk), 1);
    }
  });

  test('[L8] full batches run out the burst faster than single events', async () => {
    const c = await startTestCoordinator();
    const socket = await greeted(c.url);
    try {
      // 40 full-size events (9 tokens each) against a burst of 200: about 22 get through. The
      // cost is charged before the envelope is read, so these (65 items, refused as malformed,
      // one refusal each) pay it as well as a real batch would, without 64 refusals apiece.
      const results = Array(MAX_RESULTS_PER_EVENT + 1).fill({
        replicaId: 1,
        result: {},
        elapsedMs: 1,
      });
      const replies = await Promise.all(
        Array.from({ length: 40 }, () =>
          socket.timeout(5_000).emitWithAck('unit:results', { results }),
        ),
      );
      assert.ok(replies.every((r) => ['RATE_LIMITED', 'BAD_REQUEST'].includes(r.error?.code)));
      const limited = replies.filter((r) => r.error?.code === 'RATE_LIMITED').length;
      assert.ok(limited >= 10, `${limited} of 40 batches refused`);
      assert.ok(limited < 40, 'the first batches served');
    } finally {
      socket.close();
      await c.cleanup();
    }
  });

  test('[L8] each refused item counts toward the refusal limit', async () => {
    const c = await startTestCoordinator();
    const socket = await greeted(c.url);
    try {
      const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
      const forged = Array(MAX_RESULTS_PER_EVENT).fill({ replicaId: 1, result: {}, elapsedMs: 1 });
      const batches = Math.ceil((MAX_REFUSALS + 1) / MAX_RESULTS_PER_EVENT);
      for (let i = 0; i < batches; i++) {
        const reply = await socket.timeout(2_000).emitWithAck('unit:results', { results: forged });
        assert.equal(reply.ok, true);
      }
      await Promise.race([
        disconnected,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('still connected past the refusal limit')), 5_000),
        ),
      ]);
    } finally {
      socket.close();
      await c.cleanup();
    }
  });
});
