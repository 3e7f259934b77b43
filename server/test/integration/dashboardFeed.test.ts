// The /dashboard namespace against a real coordinator (SQLite file, socket.io on port 0) with
// socket.io-client watchers and SimulatedVolunteers (GradientVolunteers for training) doing real
// work: snapshots arrive, follow a workload to its answer, never exceed the configured rate, and
// bad input from a watcher is refused without harm.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import {
  DASHBOARD_NAMESPACE,
  DASHBOARD_PROTOCOL_VERSION,
  TRAINING_CURVE_POINTS,
  dashboardSnapshotSchema,
  workloadDetailSchema,
  type DashboardSnapshot,
  type DashboardWorkload,
  type WorkloadDetail,
} from '@tessera/shared';
import { systemClock } from '../../src/clock';
import { DASHBOARD_MAX_REFUSALS } from '../../src/realtime/dashboardNamespace';
import { GradientVolunteer } from '../../src/sim/gradientVolunteer';
import type { DashboardOptionsInput } from '../../src/realtime/dashboard/dashboardOptions';
import { createCoordinatorServer, type CoordinatorServer } from '../../src/server';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';
import { TEST_TOKEN, api, tempDir, waitFor } from '../support/testCoordinator';

interface Coordinator {
  server: CoordinatorServer;
  url: string;
  stop(): Promise<void>;
}

async function startCoordinator(dashboard: DashboardOptionsInput): Promise<Coordinator> {
  const dir = tempDir('tessera-dashboard-');
  const store = new SqliteRepository(join(dir, 'tessera.sqlite'));
  const server = createCoordinatorServer({
    repository: store,
    clock: systemClock,
    envToken: TEST_TOKEN,
    scheduler: { retryAfterMs: 20, leaseDurationMs: 5_000 },
    dashboard,
    clientDist: null,
    log: () => undefined,
  });
  const port = await server.listen(0, '127.0.0.1');
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A watcher that records every snapshot and detail, each parsed by the protocol's schema. */
class Watcher {
  readonly socket: Socket;
  readonly snapshots: Array<DashboardSnapshot & { receivedAt: number }> = [];
  readonly details: WorkloadDetail[] = [];

  constructor(url: string, auth: object = { dashboardVersion: DASHBOARD_PROTOCOL_VERSION }) {
    this.socket = io(`${url}${DASHBOARD_NAMESPACE}`, {
      auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    this.socket.on('snapshot', (raw: unknown) => {
      this.snapshots.push({ ...dashboardSnapshotSchema.parse(raw), receivedAt: Date.now() });
    });
    this.socket.on('workload:detail', (raw: unknown) => {
      this.details.push(workloadDetailSchema.parse(raw));
    });
  }

  async connected(): Promise<this> {
    if (this.socket.connected) return this;
    await new Promise<void>((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
    return this;
  }

  latest(): DashboardSnapshot | undefined {
    return this.snapshots.at(-1);
  }

  close(): void {
    this.socket.close();
  }
}

async function submitPi(url: string, units: number, samplesPerUnit: number): Promise<string> {
  const res = await api(url, 'POST', '/api/workloads', {
    kind: 'montecarlo',
    name: 'dashboard pi',
    spec: { estimator: 'pi', samples: units * samplesPerUnit, seed: 99, samplesPerUnit },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

/** Runs the crew until the watcher sees the workload completed; its listing then. */
async function runToCompletion(
  watcher: Watcher,
  id: string,
  crew: Array<{ run(): Promise<void>; close(): void }>,
  what: string,
): Promise<DashboardWorkload> {
  const running = crew.map((v) => v.run());
  const done = await waitFor(
    async () => watcher.latest()?.workloads.find((x) => x.id === id && x.status === 'completed'),
    60_000,
    what,
  );
  crew.forEach((v) => v.close());
  await Promise.all(running);
  return done;
}

async function crew(url: string, names: string[]): Promise<SimulatedVolunteer[]> {
  const list = names.map((displayName) => new SimulatedVolunteer({ url, displayName, idleMs: 20 }));
  await Promise.all(list.map((v) => v.connect()));
  return list;
}

describe('dashboard feed over real sockets', () => {
  let c: Coordinator;
  before(async () => {
    c = await startCoordinator({ maxSnapshotsPerSecond: 10, sampleIntervalMs: 200 });
  });
  after(async () => {
    await c.stop();
  });

  test('a new watcher gets the full snapshot at once; an empty platform says so', async () => {
    const w = await new Watcher(c.url).connected();
    const first = await waitFor(async () => w.snapshots[0], 5_000, 'the first snapshot');
    assert.equal(first.full, true);
    assert.equal(first.version, DASHBOARD_PROTOCOL_VERSION);
    assert.deepEqual(first.volunteers, { online: 0, byBackend: { webgpu: 0, cpu: 0 }, known: 0 });
    assert.deepEqual(first.workloads, []);
    assert.deepEqual(first.leaderboard, []);
    // Idle: the heartbeat keeps snapshots and throughput points coming.
    await waitFor(async () => w.snapshots.length >= 4, 5_000, 'heartbeat snapshots');
    const points = w.snapshots.flatMap((s) => s.throughput.points);
    assert.ok(points.length >= 2, `${points.length} throughput points`);
    assert.ok(points.every((p) => p.workPerSecond === 0));
    w.close();
  });

  test('snapshots follow a workload as volunteers compute it, to the answer REST gives', async () => {
    const w = await new Watcher(c.url).connected();
    const follower = await new Watcher(c.url).connected();
    // Units big enough (2^18 samples) that the run spans several snapshots even on a fast
    // machine: ETA and partial progress need at least two of them mid-run.
    const id = await submitPi(c.url, 40, 2 ** 18);
    const sub = await follower.socket.emitWithAck('subscribe', { workloadId: id });
    assert.equal(sub.ok, true, JSON.stringify(sub));
    assert.equal(workloadDetailSchema.parse(sub.detail).full, true);

    const volunteers = await crew(c.url, ['Ada', 'Grace']);
    await waitFor(
      async () => w.latest()?.volunteers.online === 2 && w.latest(),
      5_000,
      'two volunteers online',
    );
    assert.deepEqual(w.latest()!.volunteers.byBackend, { webgpu: 0, cpu: 2 });
    const done = await runToCompletion(
      w,
      id,
      volunteers,
      'the workload completed on the dashboard',
    );

    const fractions = w.snapshots
      .map((s) => s.workloads.find((x) => x.id === id)?.progress.fraction)
      .filter((f): f is number => f !== undefined);
    for (let i = 1; i < fractions.length; i++) {
      assert.ok(fractions[i]! >= fractions[i - 1]!, 'progress never goes back');
    }
    const partial = new Set(fractions.filter((f) => f > 0 && f < 1));
    assert.ok(partial.size >= 2, `progress seen only at ${[...new Set(fractions)].join(', ')}`);
    assert.ok(
      w.snapshots.some((s) => s.workloads.some((x) => x.id === id && x.etaSeconds !== null)),
      'an ETA while it ran',
    );
    assert.ok(
      w.snapshots.some((s) => s.throughput.points.some((p) => p.workPerSecond > 0)),
      'throughput rose',
    );

    const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
    assert.equal(done.progress.fraction, 1);
    assert.equal(done.etaSeconds, null);
    assert.equal(done.training, null);
    assert.deepEqual(done.headline, {
      series: 'estimate',
      value: result.estimate,
      lo: result.ci95[0],
      hi: result.ci95[1],
    });

    // The follower's series: time-ordered points ending at the final answer, intervals
    // narrowing as samples accumulate.
    await waitFor(
      async () => follower.details.some((d) => d.result?.final === true),
      5_000,
      'the final result pushed to the follower',
    );
    const points = [...(workloadDetailSchema.parse(sub.detail).series.estimate ?? [])];
    for (const d of follower.details) points.push(...(d.series.estimate ?? []));
    assert.ok(points.length >= 3, `${points.length} estimate points`);
    const last = points.at(-1)!;
    assert.equal(last.value, result.estimate);
    const first = points[0]!;
    assert.ok(last.hi! - last.lo! < first.hi! - first.lo!, 'the interval narrowed');
    assert.deepEqual(
      follower.details.findLast((d) => d.result !== null)?.result,
      result,
      'the pushed result is the REST result',
    );

    // The leaderboard: both volunteers, by validated credit, by name and a short handle only.
    // A snapshot reads counts, workloads and the leaderboard one after another, so one taken
    // while results commit may differ by a few units; the next snapshot settles it.
    const settled = (latest = w.latest()) =>
      latest?.leaderboard.length === 2 &&
      latest.leaderboard.reduce((n, e) => n + e.unitsValidated, 0) === latest.validation.agreed
        ? latest
        : null;
    const snapshot = await waitFor(
      async () => settled(),
      5_000,
      'two volunteers on a settled leaderboard',
    );
    const board = snapshot.leaderboard;
    assert.deepEqual(board.map((e) => e.displayName).sort(), ['Ada', 'Grace']);
    assert.ok(board[0]!.credit >= board[1]!.credit);
    // Every one of the 40 units has at least one credited replica (how many more depends on the
    // redundancy policy), and the board and the validation figures count the same ones.
    const credited = board.reduce((n, e) => n + e.unitsValidated, 0);
    assert.ok(credited >= 40, `${credited} validated replicas credited`);
    const everything = JSON.stringify([w.snapshots, follower.details]);
    for (const v of volunteers) {
      assert.ok(!everything.includes(v.secret!), 'no secret on the dashboard');
      assert.ok(!everything.includes(v.volunteerId!), 'no full volunteer id on the dashboard');
    }
    const figures = snapshot.validation;
    assert.equal(figures.agreed, credited);
    assert.equal(figures.disagreed, 0);
    w.close();
    follower.close();
  });

  test('another estimator (ising-2d) is charted by its observables, the first as headline', async () => {
    const follower = await new Watcher(c.url).connected();
    const res = await api(c.url, 'POST', '/api/workloads', {
      kind: 'montecarlo',
      name: 'dashboard ising',
      spec: {
        estimator: 'ising-2d',
        params: { size: 16, temperature: 2.5, sweeps: 200, burnIn: 20 },
        chains: 4,
        seed: 5,
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const id = res.body.id as string;
    const sub = await follower.socket.emitWithAck('subscribe', { workloadId: id });
    assert.equal(sub.ok, true, JSON.stringify(sub));
    const volunteers = await crew(c.url, ['Emmy', 'Lise']);
    const done = await runToCompletion(
      follower,
      id,
      volunteers,
      'the ising workload completed on the dashboard',
    );
    const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body;
    assert.equal(done.headline?.series, 'magnetization');
    assert.equal(done.headline?.value, result.magnetization.mean);
    await waitFor(
      async () => follower.details.some((d) => d.result?.final === true),
      5_000,
      'the final ising result pushed',
    );
    const names = new Set(follower.details.flatMap((d) => Object.keys(d.series)));
    for (const name of ['magnetization', 'energy']) assert.ok(names.has(name), [...names].join());
    const energy = follower.details.flatMap((d) => d.series.energy ?? []).at(-1)!;
    assert.equal(energy.value, result.energy.mean);
    follower.close();
  });

  test('a gradient workload shows its steps, loss and accuracy, and its curve by step', async () => {
    const w = await new Watcher(c.url).connected();
    const follower = await new Watcher(c.url).connected();
    // 600 examples in batches of 50 for 4 epochs: 48 steps, more than a small chart's points.
    const res = await api(c.url, 'POST', '/api/workloads', {
      kind: 'gradient',
      name: 'dashboard blobs',
      spec: {
        model: 'softmax',
        dataset: 'blobs',
        blobs: { train: 600, test: 200, inputSize: 8, classes: 3, seed: 3 },
        optimizer: { name: 'adam', lr: 0.05 },
        batchSize: 50,
        epochs: 4,
        shards: 2,
        seed: 11,
        evalEvery: 4,
      },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const id = res.body.id as string;
    const queued = await waitFor(
      async () => w.latest()?.workloads.find((x) => x.id === id),
      5_000,
      'the gradient workload listed',
    );
    assert.deepEqual(queued.training, {
      stepsDone: 0,
      stepsTotal: 48,
      loss: null,
      accuracy: null,
      curve: [],
    });
    assert.equal(queued.headline, null);
    const sub = await follower.socket.emitWithAck('subscribe', { workloadId: id });
    assert.equal(sub.ok, true, JSON.stringify(sub));

    const volunteers = ['Alan', 'Ida'].map(
      (displayName) => new GradientVolunteer({ url: c.url, displayName }),
    );
    await Promise.all(volunteers.map((v) => v.connect()));
    const done = await runToCompletion(
      w,
      id,
      volunteers,
      'the gradient workload completed on the dashboard',
    );

    const stepsSeen = w.snapshots
      .map((s) => s.workloads.find((x) => x.id === id)?.training?.stepsDone)
      .filter((n): n is number => n !== undefined);
    for (let i = 1; i < stepsSeen.length; i++) {
      assert.ok(stepsSeen[i]! >= stepsSeen[i - 1]!, 'steps never go back');
    }
    assert.ok(
      stepsSeen.some((n) => n > 0 && n < 48),
      `steps seen only at ${[...new Set(stepsSeen)].join(', ')}`,
    );

    const result = (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body as {
      steps: Array<{ step: number; loss: number; accuracy?: number }>;
      loss: number;
      accuracy: number;
    };
    const training = done.training!;
    assert.equal(training.stepsDone, 48);
    assert.equal(training.loss, result.loss);
    assert.equal(training.accuracy, result.accuracy);
    assert.ok(result.accuracy > 0.8, `accuracy ${result.accuracy}`);
    // The small chart: the whole run thinned, ending at the last step with the final accuracy.
    assert.ok(training.curve.length <= TRAINING_CURVE_POINTS, `${training.curve.length} points`);
    assert.ok(training.curve.length >= TRAINING_CURVE_POINTS / 2, `${training.curve.length}`);
    assert.equal(training.curve.at(-1)!.step, 47);
    assert.ok(Math.abs(training.curve.at(-1)!.accuracy! - result.accuracy) < 1e-3);
    assert.ok(training.curve[0]!.loss! > training.curve.at(-1)!.loss!, 'the loss came down');

    // The follower's steps, merged by step, are the result's steps; its result leaves them out.
    await waitFor(
      async () => follower.details.some((d) => d.result?.final === true),
      5_000,
      'the final gradient result pushed to the follower',
    );
    const byStep = new Map<number, unknown>();
    for (const d of [workloadDetailSchema.parse(sub.detail), ...follower.details]) {
      for (const p of d.steps) byStep.set(p.step, p);
    }
    assert.deepEqual(
      [...byStep.values()],
      result.steps.map((s) => ({ step: s.step, loss: s.loss, accuracy: s.accuracy ?? null })),
    );
    const pushed = follower.details.findLast((d) => d.result !== null)!.result!;
    assert.equal('steps' in pushed, false);
    const { steps: _steps, ...rest } = result;
    assert.deepEqual(pushed, rest);
    // A new subscriber gets the whole curve at once.
    const late = await new Watcher(c.url).connected();
    const full = await late.socket.emitWithAck('subscribe', { workloadId: id });
    assert.equal(workloadDetailSchema.parse(full.detail).steps.length, 48);
    late.close();
    w.close();
    follower.close();
  });
});

describe('dashboard throttle', () => {
  let c: Coordinator;
  const RATE = 4;
  before(async () => {
    c = await startCoordinator({ maxSnapshotsPerSecond: RATE, sampleIntervalMs: 1_000 });
  });
  after(async () => {
    await c.stop();
  });

  test('however many changes, snapshots go out at most maxSnapshotsPerSecond', async () => {
    const watchers = await Promise.all([0, 1, 2].map(() => new Watcher(c.url).connected()));
    await waitFor(async () => watchers.every((w) => w.snapshots.length > 0), 5_000, 'first');
    let changes = 0;
    c.server.coordinator.on('workload', () => {
      changes += 1;
    });
    // Tiny units: every lease and every result is a change, hundreds per second.
    const id = await submitPi(c.url, 400, 2 ** 10);
    const volunteers = await crew(c.url, ['a', 'b', 'c', 'd']);
    const from = Date.now();
    const counted = watchers.map((w) => w.snapshots.length);
    const running = volunteers.map((v) => v.run());
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const elapsed = Date.now() - from;
    const sent = watchers.map((w, i) => w.snapshots.length - counted[i]!);
    volunteers.forEach((v) => v.close());
    await Promise.all(running);
    await api(c.url, 'DELETE', `/api/workloads/${id}`);

    const ceiling = Math.ceil((elapsed / 1000) * RATE) + 2;
    for (const n of sent)
      assert.ok(n <= ceiling, `${n} snapshots in ${elapsed} ms (ceiling ${ceiling})`);
    assert.ok(changes > 5 * Math.max(...sent), `${changes} changes coalesced into ${sent}`);
    assert.ok(Math.min(...sent) >= 3, `${sent}: snapshots kept flowing under load`);
    // Build times come from the server: consecutive ones are at least the interval apart.
    const at = watchers[0]!.snapshots.map((s) => s.at);
    for (let i = 1; i < at.length; i++) {
      assert.ok(
        at[i]! - at[i - 1]! >= 1000 / RATE - 2,
        `snapshots ${i - 1}, ${i}: ${at[i]! - at[i - 1]!} ms`,
      );
    }
    watchers.forEach((w) => w.close());
  });
});

describe('dashboard edge', () => {
  let c: Coordinator;
  before(async () => {
    c = await startCoordinator({});
  });
  after(async () => {
    await c.stop();
  });

  test('a watcher speaking another dashboard version is refused at connect', async () => {
    const w = new Watcher(c.url, { dashboardVersion: DASHBOARD_PROTOCOL_VERSION + 1 });
    await assert.rejects(w.connected(), /dashboard protocol mismatch/);
    w.close();
    const none = new Watcher(c.url, {});
    await assert.rejects(none.connected());
    none.close();
  });

  test('malformed, unknown and disallowed events are refused; the feed goes on', async () => {
    const w = await new Watcher(c.url).connected();
    const s = w.socket;
    for (const payload of [
      undefined,
      null,
      42,
      'x',
      {},
      { workloadId: 7 },
      { workloadId: '../etc' },
      { workloadId: null, extra: 1 },
    ]) {
      const reply = await s.emitWithAck('subscribe', payload);
      assert.equal(reply.ok, false, JSON.stringify(payload));
      assert.equal(reply.error.code, 'BAD_REQUEST');
    }
    const unknown = await s.emitWithAck('subscribe', { workloadId: 'no-such-workload' });
    assert.deepEqual(unknown, {
      ok: false,
      error: { code: 'NOT_FOUND', message: 'no workload with id no-such-workload' },
    });
    const writer = await s.emitWithAck('unit:result', { replicaId: 1, result: {} });
    assert.equal(writer.ok, false);
    assert.match(writer.error.message, /read-only/);
    s.emit('hello', { device: { backend: 'cpu' } });
    const none = await s.emitWithAck('subscribe', { workloadId: null });
    assert.deepEqual(none, { ok: true, detail: null });
    const before = w.snapshots.length;
    await waitFor(async () => w.snapshots.length > before, 5_000, 'snapshots after bad input');
    w.close();
  });

  test('a watcher that floods is rate-limited, then dropped; others are unaffected', async () => {
    const flooder = await new Watcher(c.url).connected();
    const bystander = await new Watcher(c.url).connected();
    const disconnected = new Promise<void>((resolve) =>
      flooder.socket.once('disconnect', () => resolve()),
    );
    const codes = new Map<string, number>();
    for (let i = 0; i < DASHBOARD_MAX_REFUSALS + 30 && flooder.socket.connected; i++) {
      flooder.socket.emit(
        'subscribe',
        { workloadId: null },
        (reply: { ok: boolean; error?: { code: string } }) => {
          const code = reply.ok ? 'ok' : reply.error!.code;
          codes.set(code, (codes.get(code) ?? 0) + 1);
        },
      );
    }
    await disconnected;
    assert.ok((codes.get('RATE_LIMITED') ?? 0) > 0, JSON.stringify([...codes]));
    const seen = bystander.snapshots.length;
    await waitFor(async () => bystander.snapshots.length > seen, 5_000, 'the bystander still fed');
    assert.equal((await api(c.url, 'GET', '/healthz')).status, 200);
    bystander.close();
  });
});
