// A bare volunteer tab over real socket.io for the L10/L13 tests: connected, greeted, counting
// the 'work:available' pushes it hears; and a one-replica pi workload to give it work.
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, VOLUNTEER_NAMESPACE } from '@tessera/shared';
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import type { SchedulerOptionsInput } from '../../src/scheduler/schedulerOptions';
import { api, startTestCoordinator, type TestCoordinator } from './testCoordinator';

const ACK_TIMEOUT_MS = 20_000;

/** Every acked event a volunteer may send (the fuzz tests send each of them junk). */
export const VOLUNTEER_EVENTS = [
  'hello',
  'unit:request',
  'unit:renew',
  'unit:result',
  'unit:error',
  'unit:wait-cancel',
] as const;

export interface RequestReply {
  ok: boolean;
  leases?: Lease[];
  error?: { code: string };
}

export interface Tab {
  socket: Socket;
  /** 'work:available' pushes heard so far. */
  pushes: number;
  /** One unit:request with `payload`, its raw reply. */
  request(payload?: object): Promise<RequestReply>;
}

export async function openTab(c: TestCoordinator): Promise<Tab> {
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
    request: (payload = {}) =>
      socket.timeout(ACK_TIMEOUT_MS).emitWithAck('unit:request', payload) as Promise<RequestReply>,
  };
  socket.on('work:available', () => {
    tab.pushes += 1;
  });
  return tab;
}

/** Resolves once `tab` has heard `count` pushes; fails after `withinMs`. */
export async function pushed(tab: Tab, count: number, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (tab.pushes < count) {
    assert.ok(Date.now() < deadline, `no work:available within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A pi workload of `units` units, one replica each. */
export const submitPi = (c: TestCoordinator, units: number) =>
  api(c.url, 'POST', '/api/workloads', {
    kind: 'montecarlo',
    spec: { estimator: 'pi', samples: units * 4096, seed: 3, samplesPerUnit: 4096 },
    redundancy: { quorum: 1 },
  });

/** A tuple of `N` tabs. */
type Tabs<N extends number, A extends Tab[] = []> = A['length'] extends N
  ? A
  : Tabs<N, [...A, Tab]>;

/**
 * A coordinator with `count` tabs connected, for `body`; tabs and coordinator are closed after,
 * whatever happens. retryAfterMs is a minute unless `scheduler` says otherwise, so only a push or
 * a held request can explain a prompt lease.
 */
export async function withTabs<N extends 1 | 2 | 3>(
  count: N,
  body: (c: TestCoordinator, tabs: Tabs<N>) => Promise<void>,
  scheduler: SchedulerOptionsInput = {},
): Promise<void> {
  const c = await startTestCoordinator({ scheduler: { retryAfterMs: 60_000, ...scheduler } });
  const tabs: Tab[] = [];
  try {
    for (let i = 0; i < count; i++) tabs.push(await openTab(c));
    await body(c, tabs as Tabs<N>);
  } finally {
    for (const tab of tabs) tab.socket.close();
    await c.cleanup();
  }
}
