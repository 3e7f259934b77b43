// The socket edge: every inbound event is checked before any logic runs; bad input gets an
// error ack (or a disconnect), never a crash, and loses no state.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, VOLUNTEER_NAMESPACE } from '@tessera/shared';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import {
  api,
  startTestCoordinator,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';

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

const device = { backend: 'cpu' as const };

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
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
    for (let i = 0; i < 1000; i++) socket.emit('unit:request', {}, () => undefined);
    await disconnected;
    socket.close();
  });

  test('oversized messages close the connection', async () => {
    const socket = rawSocket(c.url);
    await connected(socket);
    const disconnected = new Promise((resolve) => socket.once('disconnect', resolve));
    socket.emit('hello', { device, junk: 'x'.repeat(2 * 1024 * 1024) });
    await disconnected;
    socket.close();
  });

  test('fuzzed events never crash the coordinator or change its state', async () => {
    const before = (await api(c.url, 'GET', '/api/stats')).body;
    // A fresh connection every 40 events stays under the rate limit's burst, so the schemas are what
    // answer the fuzz, not the limiter.
    let socket: Socket | null = null;
    let sent = 0;
    const events = ['hello', 'unit:request', 'unit:renew', 'unit:result', 'unit:error'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...events), fc.anything(), async (event, payload) => {
        if (!socket || !socket.connected || sent % 40 === 0) {
          socket?.close();
          socket = rawSocket(c.url);
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
    const stray = rawSocket(c.url);
    await connected(stray);
    stray.emit('nonsense', { a: 1 }); // unknown events are dropped without an answer
    stray.close();
    const afterStats = (await api(c.url, 'GET', '/api/stats')).body;
    assert.deepEqual(afterStats.workloads, before.workloads);
    // Still serving volunteers.
    const v = new SimulatedVolunteer({ url: c.url });
    await v.connect();
    assert.ok(v.volunteerId);
    v.close();
    await waitFor(
      async () => (await api(c.url, 'GET', '/healthz')).status === 200,
      2_000,
      'health',
    );
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
