// Several coordinator processes as one (DESIGN.md section 3, "Past one machine"), the Redis side:
// two coordinator servers in this process share one repository object (standing in for the
// shared PostgreSQL) and one real Redis, each on its own port, and real socket.io clients check
// that each node shows and serves the whole cluster: volunteers online, wake-ups, the dashboard,
// broadcasts. Then Redis unreachable from the start, and Redis gone and back mid-run (a private
// redis-server on its own port, killed and restarted). Every run uses its own key prefix and
// deletes its keys at the end.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createClient } from 'redis';
import { io, type Socket } from 'socket.io-client';
import {
  DASHBOARD_NAMESPACE,
  DASHBOARD_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  dashboardSnapshotSchema,
  type DashboardSnapshot,
  type Lease,
} from '@tessera/shared';
import { systemClock } from '../../src/clock';
import { onlineKeys } from '../../src/realtime/cluster/clusterOnlineVolunteers';
import type { ClusterTimingsInput } from '../../src/realtime/cluster/clusterOptions';
import {
  createCoordinatorServer,
  type CoordinatorServer,
  type CoordinatorServerOptions,
} from '../../src/server';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';
import { TEST_TOKEN, api, tempDir, waitFor } from '../support/testCoordinator';

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** This run's keys; each test adds its own suffix. */
const RUN_PREFIX = `tessera-test-${process.pid}-${randomBytes(3).toString('hex')}`;
/** Short timings so expiry and caching show within a test. */
const TIMINGS: ClusterTimingsInput = {
  heartbeatMs: 200,
  onlineTtlMs: 1_000,
  onlineCacheMs: 50,
  relayDelayMs: 20,
  commandTimeoutMs: 500,
};
/** Every wait in this file gives up after this (a regression fails, it does not hang). */
const WAIT_MS = 10_000;

let testCount = 0;
const nextPrefix = () => `${RUN_PREFIX}-${++testCount}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node {
  name: string;
  server: CoordinatorServer;
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

interface Cluster {
  repository: SqliteRepository;
  nodes: Node[];
  start(name: string, options?: Partial<CoordinatorServerOptions>): Promise<Node>;
  stop(): Promise<void>;
}

/** Nodes that share one repository (the shared database) and, by default, one Redis prefix. */
function cluster(redisUrl: string = REDIS_URL, prefix: string = nextPrefix()): Cluster {
  const dir = tempDir('tessera-cluster-');
  const repository = new SqliteRepository(join(dir, 'tessera.sqlite'));
  const nodes: Node[] = [];
  return {
    repository,
    nodes,
    async start(name, options = {}) {
      const logs: string[] = [];
      const server = createCoordinatorServer({
        repository,
        clock: systemClock,
        envToken: TEST_TOKEN,
        scheduler: { retryAfterMs: 60_000 },
        clientDist: null,
        log: (m) => logs.push(m),
        redisUrl,
        redisPrefix: prefix,
        instanceId: `${prefix}-${name}`,
        cluster: TIMINGS,
        ...options,
      });
      const port = await server.listen(0, '127.0.0.1');
      let stopped = false;
      const node: Node = {
        name,
        server,
        url: `http://127.0.0.1:${port}`,
        logs,
        async stop() {
          if (stopped) return;
          stopped = true;
          await server.close();
        },
      };
      nodes.push(node);
      return node;
    },
    async stop() {
      for (const node of nodes) await node.stop();
      await repository.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

after(async () => {
  // Whatever this run left in the shared Redis (stream, node tables) goes.
  const redis = createClient({ url: REDIS_URL });
  redis.on('error', () => undefined);
  await redis.connect();
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${RUN_PREFIX}*`, COUNT: 100 })) {
    keys.push(...batch);
  }
  if (keys.length > 0) await redis.del(keys);
  redis.destroy();
});

interface Tab {
  socket: Socket;
  volunteerId: string;
  pushes: number;
  ended: string[];
  credits: number[];
  request(): Promise<Lease[]>;
  close(): void;
}

async function openTab(
  url: string,
  backend: 'cpu' | 'webgpu' = 'cpu',
  credentials?: { volunteerId: string; secret: string },
): Promise<Tab> {
  const socket = io(`${url}${VOLUNTEER_NAMESPACE}`, {
    auth: { protocolVersion: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: WAIT_MS,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const hello = await socket.timeout(WAIT_MS).emitWithAck('hello', {
    ...(credentials ? { credentials } : {}),
    device: backend === 'cpu' ? { backend, cores: 1 } : { backend },
  });
  assert.equal(hello.ok, true, JSON.stringify(hello));
  const tab: Tab = {
    socket,
    volunteerId: (hello as { volunteer: { volunteerId: string } }).volunteer.volunteerId,
    pushes: 0,
    ended: [],
    credits: [],
    async request() {
      const reply = await socket.timeout(WAIT_MS).emitWithAck('unit:request', {});
      assert.equal(reply.ok, true, JSON.stringify(reply));
      return reply.leases as Lease[];
    },
    close: () => socket.close(),
  };
  socket.on('work:available', () => (tab.pushes += 1));
  socket.on('workload:ended', (p: { workloadId: string }) => tab.ended.push(p.workloadId));
  socket.on('credit', (s: { credit: number }) => tab.credits.push(s.credit));
  return tab;
}

/** A dashboard watcher that records every snapshot. */
async function openWatcher(url: string) {
  const socket = io(`${url}${DASHBOARD_NAMESPACE}`, {
    auth: { dashboardVersion: DASHBOARD_PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: WAIT_MS,
  });
  const snapshots: DashboardSnapshot[] = [];
  socket.on('snapshot', (raw: unknown) => snapshots.push(dashboardSnapshotSchema.parse(raw)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, snapshots, latest: () => snapshots.at(-1) };
}

async function stats(node: Node) {
  const res = await api(node.url, 'GET', '/api/stats');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as {
    volunteersOnline: number;
    volunteersByBackend: { webgpu: number; cpu: number };
    unitsValidated: number;
  };
}

const onlineIs = (node: Node, n: number) =>
  waitFor(
    async () => (await stats(node)).volunteersOnline === n,
    WAIT_MS,
    `${n} volunteers online on node ${node.name}`,
  );

async function submitPi(node: Node, units: number, samplesPerUnit = 4096): Promise<string> {
  const res = await api(node.url, 'POST', '/api/workloads', {
    kind: 'montecarlo',
    spec: { estimator: 'pi', samples: units * samplesPerUnit, seed: 7, samplesPerUnit },
    redundancy: { quorum: 1 },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

describe('coordinators sharing Redis', () => {
  test('a volunteer connected to node A is counted in /api/stats and /metrics on node B', async () => {
    const c = cluster();
    try {
      const a = await c.start('A');
      const b = await c.start('B');
      const gpu = await openTab(a.url, 'webgpu');
      const cpu = await openTab(b.url, 'cpu');
      await onlineIs(b, 2);
      await onlineIs(a, 2);
      assert.deepEqual((await stats(b)).volunteersByBackend, { webgpu: 1, cpu: 1 });
      const metrics = (await api(b.url, 'GET', '/metrics')).body as string;
      assert.match(metrics, /tessera_volunteers_online\{backend="webgpu"[^}]*\} 1/);
      // The engine's view (units waiting for a volunteer) is the cluster's too.
      assert.deepEqual(
        b.server.coordinator.reads.online?.volunteerIds(),
        new Set([gpu.volunteerId, cpu.volunteerId]),
      );
      gpu.close();
      await onlineIs(b, 1);
      assert.deepEqual((await stats(b)).volunteersByBackend, { webgpu: 0, cpu: 1 });
      cpu.close();
      await onlineIs(a, 0);
    } finally {
      await c.stop();
    }
  });

  test('[L10] an idle tab on node B is woken once when a workload is submitted on node A', async () => {
    const c = cluster();
    const tabs: Tab[] = [];
    try {
      const a = await c.start('A');
      const b = await c.start('B');
      const idleB = await openTab(b.url);
      const idleA = await openTab(a.url);
      tabs.push(idleA, idleB);
      assert.deepEqual(await idleB.request(), [], 'nothing to do yet');
      assert.deepEqual(await idleA.request(), [], 'nothing to do yet');
      await submitPi(a, 2);
      await waitFor(async () => idleB.pushes >= 1, WAIT_MS, 'work:available on node B');
      await waitFor(async () => idleA.pushes >= 1, WAIT_MS, 'work:available on node A');
      // Node B serves the unit from the shared store.
      assert.equal((await idleB.request()).length, 1, 'the push was true: a unit is there');
      await sleep(300);
      assert.equal(idleB.pushes, 1, 'woken once, not once per node');
      assert.equal(idleA.pushes, 1, 'woken once, not once per node');
    } finally {
      tabs.forEach((t) => t.close());
      await c.stop();
    }
  });

  test('a dashboard on node B follows work done through node A, each snapshot once', async () => {
    const c = cluster();
    const crew: SimulatedVolunteer[] = [];
    const tabs: Tab[] = [];
    try {
      const a = await c.start('A', { dashboard: { sampleIntervalMs: 200 } });
      // No heartbeat on B during the test: only the notices from A can tell it of the work.
      const b = await c.start('B', {
        dashboard: { sampleIntervalMs: 60_000, maxSnapshotsPerSecond: 10 },
      });
      const watcher = await openWatcher(b.url);
      // A watches too: its publisher sends snapshots, which must reach A's watchers only.
      const watcherA = await openWatcher(a.url);
      await waitFor(async () => watcher.latest(), WAIT_MS, 'the first snapshot on B');

      const worker = new SimulatedVolunteer({ url: a.url, displayName: 'Ada', idleMs: 20 });
      crew.push(worker);
      await worker.connect();
      // The same volunteer with a tab on node B hears of its credit through the adapter.
      const twin = await openTab(b.url, 'cpu', {
        volunteerId: worker.volunteerId!,
        secret: worker.secret!,
      });
      tabs.push(twin);
      const id = await submitPi(a, 6, 2 ** 16);
      const running = worker.run(() => worker.tally.valid >= 6);
      const done = await waitFor(
        async () =>
          watcher.latest()?.workloads.find((w) => w.id === id && w.status === 'completed'),
        WAIT_MS * 3,
        'the workload completed on node B',
      );
      worker.close();
      await running;
      assert.equal(done.progress.fraction, 1);
      assert.ok(
        watcher.snapshots.some((s) => s.volunteers.online >= 2),
        'the volunteer on node A counted on node B',
      );
      assert.equal(watcher.latest()!.leaderboard[0]?.displayName, 'Ada');

      // One stream: B's own publisher's, never A's copies as well (its seq would repeat or go back).
      const seqs = watcher.snapshots.map((s) => s.seq);
      for (let i = 1; i < seqs.length; i++) {
        assert.ok(seqs[i]! > seqs[i - 1]!, `snapshot seq ${seqs.join(',')}`);
      }
      assert.equal(watcher.snapshots.filter((s) => s.full).length, 1, 'one full snapshot');
      assert.ok(watcherA.snapshots.length > 0, "A's watcher has its own stream");
      const seqsA = watcherA.snapshots.map((s) => s.seq);
      for (let i = 1; i < seqsA.length; i++) {
        assert.ok(seqsA[i]! > seqsA[i - 1]!, `snapshot seq on A ${seqsA.join(',')}`);
      }
      watcherA.socket.close();

      await waitFor(async () => twin.ended.includes(id), WAIT_MS, 'workload:ended on node B');
      await waitFor(async () => twin.credits.length > 0, WAIT_MS, 'a credit push on node B');
      assert.equal(twin.ended.filter((x) => x === id).length, 1, 'workload:ended once');
      watcher.socket.close();
    } finally {
      crew.forEach((v) => v.close());
      tabs.forEach((t) => t.close());
      await c.stop();
    }
  });

  test("a node's volunteers leave the others' counts when it closes, or within the TTL when it dies", async () => {
    const prefix = nextPrefix();
    const c = cluster(REDIS_URL, prefix);
    const redis = createClient({ url: REDIS_URL });
    redis.on('error', () => undefined);
    try {
      const a = await c.start('A');
      const b = await c.start('B');
      await openTab(a.url);
      await openTab(a.url, 'webgpu');
      await onlineIs(b, 2);
      const closedAt = Date.now();
      await a.stop();
      await onlineIs(b, 0);
      assert.ok(Date.now() - closedAt < WAIT_MS);

      // A node that stopped heartbeating (SIGKILL, a partition) leaves its table behind, with
      // the TTL its last heartbeat set: B counts it until then, and not after.
      await redis.connect();
      const keys = onlineKeys(prefix);
      const ghost = keys.node(`${prefix}-ghost`);
      await redis
        .multi()
        .hSet(ghost, {
          '@node': `${prefix}-ghost`,
          c1: JSON.stringify({ volunteerId: 'v-ghost', backend: 'webgpu' }),
        })
        .pExpire(ghost, TIMINGS.onlineTtlMs!)
        .sAdd(keys.nodes, `${prefix}-ghost`)
        .exec();
      const wroteAt = Date.now();
      await onlineIs(b, 1);
      assert.deepEqual((await stats(b)).volunteersByBackend, { webgpu: 1, cpu: 0 });
      await onlineIs(b, 0);
      assert.ok(Date.now() - wroteAt < TIMINGS.onlineTtlMs! + 1_000, 'gone within the TTL');
      assert.equal(await redis.sIsMember(keys.nodes, `${prefix}-ghost`), 0, 'forgotten');
    } finally {
      redis.destroy();
      await c.stop();
    }
  });

  test('with Redis unreachable a node starts and serves volunteers, REST and its own counts', async () => {
    const c = cluster('redis://127.0.0.1:1');
    try {
      const a = await c.start('A');
      const watcher = await openWatcher(a.url);
      const busy = await openTab(a.url);
      const idle = await openTab(a.url, 'webgpu');
      const s = await stats(a);
      assert.equal(s.volunteersOnline, 2);
      assert.deepEqual(s.volunteersByBackend, { webgpu: 1, cpu: 1 });

      await submitPi(a, 1);
      assert.equal((await busy.request()).length, 1, 'a lease without Redis');
      assert.deepEqual(await idle.request(), []);
      await submitPi(a, 1);
      await waitFor(async () => idle.pushes >= 1, WAIT_MS, 'a local wake-up without Redis');
      await waitFor(
        async () => watcher.latest()?.workloads.length === 2,
        WAIT_MS,
        'the dashboard without Redis',
      );
      assert.equal(
        a.logs.filter((m) => m.includes('unreachable')).length,
        1,
        `one line for the outage, not one per retry: ${a.logs.join('\n')}`,
      );
      busy.close();
      idle.close();
      watcher.socket.close();
      const closing = Date.now();
      await a.stop();
      assert.ok(Date.now() - closing < 5_000, 'closes without waiting for Redis');
    } finally {
      await c.stop();
    }
  });

  test('Redis gone for a while: work goes on on every node; counts, wake-ups and dashboards resume', async () => {
    const redis = await PrivateRedis.start();
    const c = cluster(redis.url);
    const crew: SimulatedVolunteer[] = [];
    const tabs: Tab[] = [];
    try {
      const a = await c.start('A');
      const b = await c.start('B', {
        dashboard: { sampleIntervalMs: 60_000, maxSnapshotsPerSecond: 10 },
      });
      tabs.push(await openTab(a.url));
      await onlineIs(b, 1);
      const watcher = await openWatcher(b.url);

      await redis.stop();
      // Work goes on through A: a workload submitted there is computed there.
      const worker = new SimulatedVolunteer({ url: a.url, displayName: 'Ada', idleMs: 20 });
      crew.push(worker);
      await worker.connect();
      const during = await submitPi(a, 3);
      const running = worker.run(() => worker.tally.valid >= 3);
      await waitFor(
        async () =>
          (await api(a.url, 'GET', `/api/workloads/${during}`)).body.status === 'completed',
        WAIT_MS,
        'a workload completed while Redis is away',
      );
      worker.close();
      await running;
      // B answers at once, from what it knows: its own table once A's has expired.
      await onlineIs(b, 0);

      await redis.restart();
      // A writes its table again on reconnection; B reads it.
      await onlineIs(b, 1);
      // B's dashboard catches up on what it missed (the completed workload) ...
      await waitFor(
        async () =>
          watcher.latest()?.workloads.some((w) => w.id === during && w.status === 'completed'),
        WAIT_MS,
        "B's dashboard caught up",
      );
      // ... and wake-ups cross nodes again.
      const idleB = await openTab(b.url);
      tabs.push(idleB);
      assert.deepEqual(await idleB.request(), []);
      await waitFor(
        async () => {
          if (idleB.pushes === 0) await submitPi(a, 1);
          return idleB.pushes > 0;
        },
        WAIT_MS,
        'a wake-up from A on B after the outage',
      );
      watcher.socket.close();
    } finally {
      crew.forEach((v) => v.close());
      tabs.forEach((t) => t.close());
      await c.stop();
      await redis.stop();
    }
  });
});

/** A redis-server of this test's own, so it can be killed and restarted on the same port. */
class PrivateRedis {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const redis = new PrivateRedis(port);
    await redis.restart();
    return redis;
  }

  async restart(): Promise<void> {
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const client = createClient({ url: this.url, socket: { reconnectStrategy: 50 } });
    client.on('error', () => undefined);
    try {
      await waitFor(
        async () => {
          if (!client.isOpen) await client.connect().catch(() => undefined);
          return client.isReady && (await client.ping()) === 'PONG';
        },
        WAIT_MS,
        'the private redis-server to answer',
      );
    } finally {
      client.destroy();
    }
  }

  /** SIGKILL: the nodes see their connections drop, as in a crash. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
