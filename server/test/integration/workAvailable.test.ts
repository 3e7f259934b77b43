// [L10] Tabs idling for want of work hear about new units at once instead of polling: a
// workload submitted, and replicas released by a closed connection, push 'work:available' to
// connections whose last request came back empty, and only to them. retryAfterMs is a minute
// here, so only the push can explain a prompt second request.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, VOLUNTEER_NAMESPACE } from '@tessera/shared';
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';

const PUSH_WAIT_MS = 5_000;

interface Tab {
  socket: Socket;
  pushes: number;
  request(): Promise<Lease[]>;
}

async function openTab(c: TestCoordinator): Promise<Tab> {
  const socket = io(`${c.url}${VOLUNTEER_NAMESPACE}`, {
    auth: { protocolVersion: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const hello = await socket.emitWithAck('hello', { device: { backend: 'cpu', cores: 1 } });
  assert.equal(hello.ok, true);
  const tab: Tab = {
    socket,
    pushes: 0,
    async request() {
      const reply = await socket.emitWithAck('unit:request', {});
      assert.equal(reply.ok, true, JSON.stringify(reply));
      return reply.leases;
    },
  };
  socket.on('work:available', () => {
    tab.pushes += 1;
  });
  return tab;
}

async function pushed(tab: Tab, count: number): Promise<void> {
  const deadline = Date.now() + PUSH_WAIT_MS;
  while (tab.pushes < count) {
    assert.ok(Date.now() < deadline, `no work:available within ${PUSH_WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const submitPi = (c: TestCoordinator, units: number) =>
  api(c.url, 'POST', '/api/workloads', {
    kind: 'montecarlo',
    spec: { estimator: 'pi', samples: units * 4096, seed: 3, samplesPerUnit: 4096 },
    redundancy: { quorum: 1 },
  });

describe('work:available', () => {
  test('[L10] an idle tab is told when a workload is submitted; a busy one is not', async () => {
    const c = await startTestCoordinator({ scheduler: { retryAfterMs: 60_000 } });
    const idle = await openTab(c);
    const busy = await openTab(c);
    try {
      await submitPi(c, 1);
      assert.equal((await busy.request()).length, 1, 'busy takes the only unit');
      assert.deepEqual(await idle.request(), [], 'nothing left for idle');
      await submitPi(c, 1);
      await pushed(idle, 1);
      assert.equal((await idle.request()).length, 1, 'the push was true: a unit is there');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(busy.pushes, 0, 'busy never asked in vain, so it is not woken');
    } finally {
      idle.socket.close();
      busy.socket.close();
      await c.cleanup();
    }
  });

  test('[L10] units released by a closed tab wake the idle ones, once per idle request', async () => {
    const c = await startTestCoordinator({ scheduler: { retryAfterMs: 60_000 } });
    const holder = await openTab(c);
    const idle = await openTab(c);
    try {
      await submitPi(c, 1);
      assert.equal((await holder.request()).length, 1);
      assert.deepEqual(await idle.request(), []);
      holder.socket.close();
      await pushed(idle, 1);
      assert.equal((await idle.request()).length, 1, 'the released unit is leased again');
      // Holding a unit now, idle left the room: more work does not push to it again.
      await submitPi(c, 1);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(idle.pushes, 1);
    } finally {
      idle.socket.close();
      await c.cleanup();
    }
  });
});
