// The socket edge: every inbound event is checked before any logic runs; bad input gets an
// error ack (or a disconnect), never a crash, and loses no state.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, VOLUNTEER_NAMESPACE, estimatorFor } from '@tessera/shared';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import {
  api,
  startTestCoordinator,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';
import { VOLUNTEER_EVENTS } from '../support/volunteerTab';

function rawSocket(url: string, auth: unknown = { protocolVersion: PROTOCOL_VERSION }): Socket {
  return io(`${url}${VOLUNTEER_NAMESPACE}`, {
    auth: auth as object,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
}

async function connected(socket: Socket): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

/**
 * Resolves once the coordinator closes the socket; rejects after `ms` with `what` in the message,
 * so a coordinator that keeps the connection open fails the test instead of hanging it.
 */
function disconnectWithin(socket: Socket, ms: number, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('disconnect', onDisconnect);
      reject(new Error(`the coordinator kept the connection open ${ms} ms after ${what}`));
    }, ms);
    const onDisconnect = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.once('disconnect', onDisconnect);
  });
}

/** How long the coordinator has to close a connection it must close. */
const DISCONNECT_WITHIN_MS = 5_000;

const device = { backend: 'cpu' as const };
const pi = estimatorFor('pi');

describe('volunteer socket edge', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator();
  });
  after(async () => {
    await c.cleanup();
  });

  test('a client speaking another protocol version is refused at connect', async () => {
    const socket = rawSocket(c.url, { protocolVersion: PROTOCOL_VERSION + 1 });
    const error = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    assert.match(error.message, /protocol version mismatch/);
    assert.equal(error.data?.code, 'PROTOCOL_MISMATCH');
    socket.close();
    const none = rawSocket(c.url, {});
    await assert.rejects(connected(none));
    none.close();
  });

  test('work requests before hello are refused', async () => {
    const socket = rawSocket(c.url);
    await connected(socket);
    const reply = await socket.emitWithAck('unit:request', {});
    assert.deepEqual(reply, {
      ok: false,
      error: { code: 'NOT_IDENTIFIED', message: 'say hello first' },
    });
    socket.close();
  });

  test('a wrong secret is refused; a right one restores the identity and its credit', async () => {
    const socket = rawSocket(c.url);
    await connected(socket);
    const first = await socket.emitWithAck('hello', { device });
    assert.equal(first.ok, true);
    assert.ok(first.secret.length >= 16);
    const id = first.volunteer.volunteerId;
    socket.close();
    const again = rawSocket(c.url);
    await connected(again);
    const wrong = await again.emitWithAck('hello', {
      credentials: { volunteerId: id, secret: 'x'.repeat(32) },
      device,
    });
    assert.equal(wrong.error.code, 'BAD_CREDENTIALS');
    const right = await again.emitWithAck('hello', {
      credentials: { volunteerId: id, secret: first.secret },
      device,
    });
    assert.equal(right.ok, true);
    assert.equal(right.volunteer.volunteerId, id);
    assert.equal(right.secret, undefined, 'a secret is only ever sent once');
    again.close();
  });

  test('malformed payloads get BAD_REQUEST acks, events without acks are ignored', async () => {
    const socket = rawSocket(c.url);
    await connected(socket);
    assert.equal(
      (await socket.emitWithAck('hello', { device: { backend: 'quantum' } })).error.code,
      'BAD_REQUEST',
    );
    assert.equal((await socket.emitWithAck('hello', 'hi')).error.code, 'BAD_REQUEST');
    await socket.emitWithAck('hello', { device });
    assert.equal(
      (await socket.emitWithAck('unit:result', { replicaId: -1, result: 1, elapsedMs: 1 })).error
        .code,
      'BAD_REQUEST',
    );
    assert.equal(
      (await socket.emitWithAck('unit:renew', { replicaId: 'x' })).error.code,
      'BAD_REQUEST',
    );
    assert.equal(
      (await socket.emitWithAck('unit:result', { replicaId: 12345, result: {}, elapsedMs: 1 }))
        .error.code,
      'NOT_LEASED',
    );
    socket.emit('unit:request', {}); // no ack: nothing to answer, nothing breaks
    assert.equal((await socket.emitWithAck('unit:request', {})).ok, true);
    socket.close();
  });

  test('a flood of events is rate limited, then the connection is dropped', async () => {
    const socket = rawSocket(c.url);
    await connected(socket);
    await socket.emitWithAck('hello', { device });
    const replies = await Promise.all(
      Array.from({ length: 400 }, () =>
        socket
          .timeout(5_000)
          .emitWithAck('unit:request', {})
          .catch(() => null),
      ),
    );
    const limited = replies.filter((r) => r?.error?.code === 'RATE_LIMITED').length;
    assert.ok(limited > 0, 'some events were refused');
    const disconnected = disconnectWithin(
      socket,
      DISCONNECT_WITHIN_MS,
      'more than 200 refused events',
    );
    for (let i = 0; i < 1000; i++) socket.emit('unit:request', {}, () => undefined);
    await disconnected;
    socket.close();
  });

  test('oversized messages close the connection', async () => {
    const socket = rawSocket(c.url);
    await connected(socket);
    const disconnected = disconnectWithin(socket, DISCONNECT_WITHIN_MS, 'a 2 MiB message');
    socket.emit('hello', { device, junk: 'x'.repeat(2 * 1024 * 1024) });
    try {
      await disconnected;
    } finally {
      socket.close();
    }
  });

  test('fuzzed events never crash the coordinator or change its state', async () => {
    // Its own coordinator, with leases that outlast the test, holding state worth guarding: one
    // completed workload, one running with units validated and the rest leased to two volunteers
    // who keep their connections open (so nothing is left to lease: a well-formed fuzzed request
    // finds no work), one cancelled.
    const guarded = await startTestCoordinator({ scheduler: { leaseDurationMs: 600_000 } });
    const holders: Socket[] = [];
    let socket: Socket | null = null;
    try {
      const samplesPerUnit = 4_096;
      const submit = async (name: string, units: number, seed: number) => {
        const spec = { estimator: 'pi', samples: units * samplesPerUnit, samplesPerUnit, seed };
        const res = await api(guarded.url, 'POST', '/api/workloads', {
          kind: 'montecarlo',
          name,
          spec,
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body.id as string;
      };
      const lease = async (s: Socket) => {
        const reply = await s.timeout(5_000).emitWithAck('unit:request', {});
        assert.equal(reply.ok, true, JSON.stringify(reply));
        assert.ok(reply.lease, 'a unit was leased');
        return reply.lease as { replicaId: number; unitIndex: number; task: unknown };
      };
      const answer = async (s: Socket, l: { replicaId: number; task: unknown }) => {
        const result = pi.runReference(pi.taskSchema.parse(l.task));
        const reply = await s
          .timeout(5_000)
          .emitWithAck('unit:result', { replicaId: l.replicaId, result, elapsedMs: 1 });
        assert.equal(reply.ok, true, JSON.stringify(reply));
      };
      for (let i = 0; i < 2; i++) {
        holders.push(rawSocket(guarded.url));
        await connected(holders[i]!);
        assert.equal((await holders[i]!.emitWithAck('hello', { device })).ok, true);
      }
      const [a, b] = holders as [Socket, Socket];

      // Completed: both volunteers return both replicas of all 3 units.
      const completed = await submit('completed', 3, 1);
      for (let i = 0; i < 3; i++) for (const s of holders) await answer(s, await lease(s));
      // Running: 4 units, each leased to both volunteers (4 leases per connection at most, one
      // replica of a unit per volunteer); units 0 and 1 validated, 2 and 3 still in flight.
      const running = await submit('running', 4, 2);
      for (const s of [a, b]) {
        const held = await Promise.all([0, 1, 2, 3].map(() => lease(s)));
        assert.deepEqual(held.map((l) => l.unitIndex).sort(), [0, 1, 2, 3]);
        for (const l of held.filter((l) => l.unitIndex < 2)) await answer(s, l);
      }
      const cancelled = await submit('cancelled', 2, 3);
      assert.equal((await api(guarded.url, 'DELETE', `/api/workloads/${cancelled}`)).status, 200);

      const ids = [completed, running, cancelled];
      /** What must not move: each workload's status, progress and answer, and the replica counts. */
      const state = async () => ({
        workloads: await Promise.all(
          ids.map(async (id) => {
            const view = (await api(guarded.url, 'GET', `/api/workloads/${id}`)).body;
            const result = await api(guarded.url, 'GET', `/api/workloads/${id}/result`);
            return {
              id,
              status: view.status,
              progress: view.progress,
              failureReason: view.failureReason,
              result: result.body,
            };
          }),
        ),
        replicas: (await api(guarded.url, 'GET', '/api/stats')).body.replicas,
      });
      const before = await state();
      // The state is what it was built to be, so the comparison below guards something.
      assert.deepEqual(
        before.workloads.map((w) => [
          w.status,
          w.progress.unitsValidated,
          w.progress.unitsInFlight,
        ]),
        [
          ['completed', 3, 0],
          ['running', 2, 2],
          ['cancelled', 0, 0],
        ],
      );
      assert.equal(before.workloads[0]!.result.final, true);
      assert.equal(before.workloads[1]!.result.samples, 2 * samplesPerUnit);
      assert.equal(before.replicas.in_flight, 4);
      assert.equal(before.replicas.valid, 10);

      // A fresh connection every 40 events stays under the rate limit's burst, so the schemas are
      // what answer the fuzz, not the limiter.
      let sent = 0;
      const events = VOLUNTEER_EVENTS;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...events), fc.anything(), async (event, payload) => {
          if (!socket || !socket.connected || sent % 40 === 0) {
            socket?.close();
            socket = rawSocket(guarded.url);
            await connected(socket);
            await socket.emitWithAck('hello', { device });
          }
          sent += 1;
          const reply = await socket.timeout(2_000).emitWithAck(event, payload);
          assert.equal(typeof reply, 'object');
          assert.equal(typeof reply.ok, 'boolean');
          if (!reply.ok) assert.match(reply.error.code, /^[A-Z_]+$/);
        }),
        { numRuns: 400, seed: 42 },
      );
      (socket as Socket | null)?.close();
      const stray = rawSocket(guarded.url);
      await connected(stray);
      stray.emit('nonsense', { a: 1 }); // unknown events are dropped without an answer
      stray.close();
      // A connection's close releases what it held ([L5]) a moment later: give any replica a
      // fuzzed request might have leased the time to come back, so the comparison sees it.
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(await state(), before);
      // Still serving volunteers.
      const v = new SimulatedVolunteer({ url: guarded.url });
      await v.connect();
      assert.ok(v.volunteerId);
      v.close();
      await waitFor(
        async () => (await api(guarded.url, 'GET', '/healthz')).status === 200,
        2_000,
        'health',
      );
    } finally {
      (socket as Socket | null)?.close();
      holders.forEach((s) => s.close());
      await guarded.cleanup();
    }
  });
});

describe('per-address rate limit', () => {
  test('[L8] many connections from one public address share one budget', async () => {
    // Loopback counts as a public address here, as it would without the private exemption.
    const c = await startTestCoordinator({ scheduler: { exemptPrivateNetworks: false } });
    try {
      const sockets = Array.from({ length: 12 }, () => rawSocket(c.url));
      await Promise.all(sockets.map((s) => connected(s)));
      // 12 x 190 events: each connection stays inside its own burst, the address does not.
      const replies = await Promise.all(
        sockets.flatMap((s) =>
          Array.from({ length: 190 }, () =>
            s
              .timeout(10_000)
              .emitWithAck('unit:request', {})
              .catch(() => null),
          ),
        ),
      );
      const limited = replies.filter((r) => r?.error?.code === 'RATE_LIMITED').length;
      assert.ok(limited > 0, 'the address budget refused some events');
      assert.ok(limited < replies.length, 'and served the rest');
      sockets.forEach((s) => s.close());
    } finally {
      await c.cleanup();
    }
  });
});
