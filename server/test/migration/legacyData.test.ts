// A data folder written by commit 02e3f9e (schema version 8,
// server/test/fixtures/legacy-v8, made by server/test/fixtures/make-legacy-data.ts) is copied to
// a temp folder and opened by today's coordinator, which must migrate it at start and still show,
// over its public APIs only, what expected.json read from the legacy file with plain SQL: every
// workload (status, progress, result), the gradient runs (version, step metrics, parameters
// byte for byte), each volunteer's credit and validated units, and the researcher token. Then
// the two workloads the legacy coordinator was killed in the middle of finish from where it left.
//
// Checked against commit 02e3f9e itself (no migration to run there): both tests pass.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from '../../src/repository/sqlite/migrations';
import { io } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  estimatorFor,
  type Ack,
  type HelloReply,
  type Lease,
  type UnitRequestReply,
} from '@tessera/shared';
import { GradientVolunteer } from '../../src/sim/gradientVolunteer';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import {
  api,
  startTestCoordinator,
  tempDir,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';
import { singleProcessResult, type SampleEstimate } from '../support/workloadRuns';

const FIXTURE = fileURLToPath(new URL('../fixtures/legacy-v8/', import.meta.url));

interface ExpectedWorkload {
  id: string;
  name: string;
  kind: 'montecarlo' | 'gradient';
  estimator: string;
  status: string;
  unitsTotal: number;
  unitsValidated: number;
  unitsFailed: number;
  failureReason: string | null;
  spec: Record<string, unknown>;
  redundancy: { quorum: number; maxReplicas: number };
  aggregate?: unknown;
  /** The estimator's finalize of the aggregate (NaN written as null). */
  result?: {
    estimate: number;
    stderr: number | null;
    ci95: [number | null, number | null];
    samples: number;
  };
}

interface Expected {
  schemaVersion: number;
  tokens: { count: number; legacy: { name: string; secret: string; hash: string } };
  workloads: ExpectedWorkload[];
  gradients: Array<{
    workloadId: string;
    version: number;
    steps: number;
    stepMetricsCount: number;
    stepMetrics: Array<{ step: number; loss: number; accuracy: number | null }>;
    paramsBytes: number;
    paramsSha256: string;
  }>;
  volunteers: Array<{
    id: string;
    displayName: string;
    secret: string | null;
    credit: number;
    creditMicro: number;
    unitsValid: number;
  }>;
}

const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as Expected;
const LEGACY_TOKEN = expected.tokens.legacy.secret;
const byName = (name: string) => expected.workloads.find((w) => w.name === name)!;

/** hello with a volunteer's stored credentials, on a connection of its own. */
async function helloAs(url: string, volunteerId: string, secret: string) {
  const socket = io(`${url}${VOLUNTEER_NAMESPACE}`, {
    auth: { protocolVersion: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return (await socket.timeout(10_000).emitWithAck('hello', {
      credentials: { volunteerId, secret },
      device: { backend: 'cpu', cores: 1 },
    })) as Ack<HelloReply>;
  } finally {
    socket.disconnect();
  }
}

/**
 * An honest volunteer for both kinds: SimulatedVolunteer's connection, Monte Carlo units by the
 * reference, gradient units by GradientVolunteer.compute (a round that waits on its last shards
 * hands out Monte Carlo units, which a plain GradientVolunteer would refuse).
 */
class MixedVolunteer {
  readonly socket: SimulatedVolunteer;
  private readonly gradient: GradientVolunteer;
  private stopped = false;

  constructor(url: string, name: string) {
    this.socket = new SimulatedVolunteer({ url, displayName: name });
    this.gradient = new GradientVolunteer({ url });
  }

  async run(): Promise<void> {
    await this.socket.connect();
    while (!this.stopped) {
      const reply = await this.socket.call<UnitRequestReply>('unit:request', {});
      const lease: Lease | null = reply.ok ? reply.lease : null;
      if (!lease) {
        await new Promise((r) => setTimeout(r, reply.ok ? 20 : 1_000));
        continue;
      }
      let result: unknown;
      if (lease.kind === 'gradient') {
        try {
          result = await this.gradient.compute(lease);
        } catch (error) {
          await this.socket.call('unit:error', {
            replicaId: lease.replicaId,
            error: { name: 'FetchError', message: String((error as Error).message).slice(0, 200) },
          });
          continue;
        }
      } else {
        const estimator = estimatorFor(lease.estimator);
        result = estimator.runReference(estimator.taskSchema.parse(lease.task));
      }
      await this.socket.call('unit:result', { replicaId: lease.replicaId, result, elapsedMs: 1 });
    }
  }

  close(): void {
    this.stopped = true;
    this.socket.close();
  }
}

describe('a data folder written by commit 02e3f9e (schema 8) is migrated at start', () => {
  let c: TestCoordinator;
  before(async () => {
    const dataDir = tempDir('tessera-legacy-v8-');
    copyFileSync(join(FIXTURE, 'tessera.sqlite'), join(dataDir, 'tessera.sqlite'));
    c = await startTestCoordinator({
      dataDir,
      scheduler: { leaseDurationMs: 10_000, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
    // As main.ts does at start: the killed process's leases go back at once.
    await c.server.coordinator.releaseOrphanedLeases();
  });
  after(async () => {
    await c?.cleanup();
  });

  test('the fixture was at schema 8 and is migrated to the current schema', () => {
    assert.equal(expected.schemaVersion, 8);
    assert.equal(expected.workloads.length, 7);
    assert.equal(c.repository.schemaVersion(), SQLITE_MIGRATIONS.at(-1)!.version);
  });

  test('the platform counts start from the tables as they were (migration 12)', async () => {
    const counts = await c.server.coordinator.reads.counts(10_000);
    const db = new Database(c.repository.path, { readonly: true });
    try {
      const rows = db
        .prepare('SELECT state, COUNT(*) AS n FROM replicas GROUP BY state')
        .all() as Array<{ state: keyof typeof counts.replicasByState; n: number }>;
      assert.ok(rows.length >= 2, JSON.stringify(rows));
      for (const r of rows) assert.equal(counts.replicasByState[r.state], r.n, r.state);
      const volunteers = db.prepare('SELECT COUNT(*) AS n FROM volunteers').get() as { n: number };
      assert.equal(counts.volunteersTotal, volunteers.n);
    } finally {
      db.close();
    }
  });

  test('every workload keeps its name, kind, status, progress and spec', async () => {
    const list = (await api(c.url, 'GET', '/api/workloads')).body as Array<{ id: string }>;
    assert.deepEqual(list.map((w) => w.id).sort(), expected.workloads.map((w) => w.id).sort());
    for (const want of expected.workloads) {
      const res = await api(c.url, 'GET', `/api/workloads/${want.id}`);
      assert.equal(res.status, 200, want.name);
      const view = res.body;
      assert.equal(view.id, want.id);
      assert.equal(view.name, want.name);
      assert.equal(view.kind, want.kind, want.name);
      assert.equal(view.status, want.status, want.name);
      assert.equal(view.progress.unitsTotal, want.unitsTotal, want.name);
      assert.equal(view.progress.unitsValidated, want.unitsValidated, want.name);
      assert.equal(view.progress.unitsFailed, want.unitsFailed, want.name);
      assert.equal(view.failureReason, want.failureReason, want.name);
      assert.deepEqual(view.spec, want.spec, want.name);
      assert.equal(view.redundancy.quorum, want.redundancy.quorum, want.name);
      assert.equal(view.redundancy.maxReplicas, want.redundancy.maxReplicas, want.name);
      // Released at start: nothing of the killed process is still in flight.
      assert.equal(view.progress.unitsInFlight, 0, want.name);
    }
  });

  test('Monte Carlo results are the legacy aggregates finalized, number for number', async () => {
    for (const want of expected.workloads.filter((w) => w.kind === 'montecarlo')) {
      const res = await api(c.url, 'GET', `/api/workloads/${want.id}/result`);
      if (want.unitsValidated === 0) {
        assert.equal(res.status, 409, `${want.name}: no validated unit, no result yet`);
        continue;
      }
      assert.equal(res.status, 200, want.name);
      assert.equal(res.body.estimate, want.result!.estimate, want.name);
      assert.equal(res.body.stderr, want.result!.stderr, want.name);
      assert.deepEqual(res.body.ci95, want.result!.ci95, want.name);
      assert.equal(res.body.samples, want.result!.samples, want.name);
      assert.equal(res.body.final, want.status === 'completed', want.name);
      assert.equal(res.body.unitsValidated, want.unitsValidated, want.name);
    }
  });

  test('gradient runs keep their version, step metrics and parameters byte for byte', async () => {
    for (const want of expected.gradients) {
      const res = await api(c.url, 'GET', `/api/workloads/${want.workloadId}/result`);
      assert.equal(res.status, 200);
      assert.equal(res.body.version, want.version);
      assert.equal(res.body.stepsTotal, want.steps);
      assert.equal(res.body.steps.length, want.stepMetricsCount);
      assert.deepEqual(
        res.body.steps.map((s: { step: number; loss: number }) => [s.step, s.loss]),
        want.stepMetrics.map((s) => [s.step, s.loss]),
      );
      const bin = await fetch(`${c.url}/api/workloads/${want.workloadId}/result?format=bin`);
      assert.equal(bin.status, 200);
      assert.equal(bin.headers.get('x-tessera-version'), String(want.version));
      const bytes = Buffer.from(await bin.arrayBuffer());
      assert.equal(bytes.length, want.paramsBytes);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), want.paramsSha256);
    }
  });

  test('volunteers keep their identity, credit and validated units', async () => {
    const stats = (await api(c.url, 'GET', '/api/stats')).body;
    assert.equal(stats.volunteersTotal, expected.volunteers.length);
    for (const want of expected.volunteers.filter((v) => v.secret !== null)) {
      const reply = await helloAs(c.url, want.id, want.secret!);
      assert.ok(reply.ok, `${want.displayName}: ${JSON.stringify(reply)}`);
      assert.equal(reply.volunteer.volunteerId, want.id);
      assert.equal(reply.volunteer.displayName, want.displayName);
      assert.equal(Math.round(reply.volunteer.credit * 1e6), want.creditMicro, want.displayName);
      assert.equal(reply.volunteer.unitsValidated, want.unitsValid, want.displayName);
      assert.equal(reply.secret, undefined, 'a returning volunteer gets no new secret');
    }
  });

  test('the stored researcher token still opens the API; a wrong one does not', async () => {
    const known = await api(
      c.url,
      'DELETE',
      '/api/workloads/no-such-workload',
      undefined,
      LEGACY_TOKEN,
    );
    assert.equal(known.status, 404);
    const unknown = await api(
      c.url,
      'DELETE',
      '/api/workloads/no-such-workload',
      undefined,
      'tsr_wrong-token-000000',
    );
    assert.equal(unknown.status, 401);
  });

  test('the workloads the legacy coordinator was killed in finish from where they were', async () => {
    const pi = byName('legacy pi running');
    const gradient = byName('legacy gradient running');
    const crew = [new MixedVolunteer(c.url, 'after-1'), new MixedVolunteer(c.url, 'after-2')];
    const running = crew.map((v) => v.run());
    try {
      for (const want of [pi, gradient]) {
        const view = await waitFor(
          async () => {
            const v = (await api(c.url, 'GET', `/api/workloads/${want.id}`)).body;
            return ['completed', 'failed', 'cancelled'].includes(v.status) ? v : null;
          },
          60_000,
          `${want.name} to finish`,
        );
        assert.equal(view.status, 'completed', `${want.name}: ${view.failureReason}`);
      }
    } finally {
      crew.forEach((v) => v.close());
      await Promise.all(running);
    }
    const piResult = (await api(c.url, 'GET', `/api/workloads/${pi.id}/result`)).body;
    const single = singleProcessResult<SampleEstimate>(pi.spec as { estimator: string });
    assert.equal(piResult.estimate, single.estimate);
    assert.equal(piResult.stderr, single.stderr);
    const trained = (await api(c.url, 'GET', `/api/workloads/${gradient.id}/result`)).body;
    assert.deepEqual(
      trained.steps.map((s: { step: number }) => s.step),
      Array.from({ length: gradient.spec.steps as number }, (_, i) => i),
      'every step closed exactly once, the legacy ones included',
    );
    const legacySteps = expected.gradients.find((g) => g.workloadId === gradient.id)!.stepMetrics;
    assert.deepEqual(
      trained.steps.slice(0, legacySteps.length).map((s: { loss: number }) => s.loss),
      legacySteps.map((s) => s.loss),
    );
  });
});
