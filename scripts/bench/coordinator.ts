// Coordinator throughput: validated units per second (lease + result + quorum + fold, SQLite),
// first with the store alone in process (the ceiling), then with simulated volunteers over
// socket.io on loopback. Units are tiny (1,024 samples) so the coordinator, not the kernel,
// is what is measured.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { estimatorFor, DEFAULT_REDUNDANCY, type SubmitWorkload } from '@tessera/shared';
import { systemClock } from '../../server/src/clock';
import { createCoordinatorServer } from '../../server/src/server';
import { SimulatedVolunteer } from '../../server/src/sim/simulatedVolunteer';
import { SqliteRepository } from '../../server/src/repository/sqlite/sqliteRepository';
import { EngineDriver } from '../../server/test/engine/engineDriver';
import { tempDir } from '../../server/test/support/testCoordinator';
import type { BenchRow } from './benchRow';

const pi = estimatorFor('pi');
const SAMPLES_PER_UNIT = 1024;
/** A run that takes longer than this is reported as a problem, not waited for. */
const BENCH_TIMEOUT_MS = 120_000;

function tinySpec(units: number, seed: number) {
  return pi.specSchema.parse({
    estimator: 'pi',
    samples: units * SAMPLES_PER_UNIT,
    seed,
    samplesPerUnit: SAMPLES_PER_UNIT,
  });
}

/** Lease, compute and submit both replicas of every unit directly against the engine. */
async function storeOnly(units: number): Promise<BenchRow> {
  const dir = tempDir('tessera-bench-');
  const store = new EngineDriver(new SqliteRepository(join(dir, 'bench.sqlite')));
  try {
    const spec = tinySpec(units, 1);
    for (const id of ['a', 'b']) {
      await store.createVolunteer({ id, secretHash: 'h', displayName: id, now: Date.now() });
    }
    await store.createWorkload(
      {
        id: 'bench',
        name: 'bench',
        kind: 'montecarlo',
        estimator: 'pi',
        spec,
        redundancy: DEFAULT_REDUNDANCY,
        unitWork: Array(units).fill(SAMPLES_PER_UNIT),
        aggregate: pi.emptyAggregate(),
      },
      Date.now(),
    );
    const started = performance.now();
    for (let i = 0; i < units; i++) {
      const result = pi.runReference(pi.taskFor(spec, i));
      for (const volunteerId of ['a', 'b']) {
        const lease = await store.leaseReplica({
          volunteerId,
          connectionId: volunteerId,
          netGroup: null,
          now: Date.now(),
          leaseDurationMs: 60_000,
          maxLeasesPerConnection: 4,
        });
        if (!lease) throw new Error('store ran out of units early');
        await store.submitResult({
          replicaId: lease.replicaId,
          volunteerId,
          result,
          elapsedMs: 0,
          now: Date.now(),
        });
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const done = await store.getWorkload('bench');
    return {
      name: 'store alone, in process (2 replicas/unit)',
      work: units,
      unit: 'units',
      seconds,
      note: `SQLite WAL; ${done?.status}`,
      ...(done?.status === 'completed' ? {} : { problem: `workload ended ${done?.status}` }),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function overSockets(units: number, volunteers: number): Promise<BenchRow> {
  const dir = tempDir('tessera-bench-');
  const store = new SqliteRepository(join(dir, 'bench.sqlite'));
  const server = createCoordinatorServer({
    repository: store,
    clock: systemClock,
    envToken: 'bench-token-123',
    clientDist: null,
    scheduler: { retryAfterMs: 100 },
    log: () => undefined,
  });
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const crew = Array.from({ length: volunteers }, () => new SimulatedVolunteer({ url }));
  try {
    await Promise.all(crew.map((v) => v.connect()));
    const started = performance.now();
    const record = await server.coordinator.submitWorkload({
      kind: 'montecarlo',
      spec: tinySpec(units, 2) as Extract<SubmitWorkload, { kind: 'montecarlo' }>['spec'],
      redundancy: DEFAULT_REDUNDANCY,
    });
    let status = 'running';
    const running = crew.map((v) => v.run(() => status !== 'running'));
    const giveUp = Date.now() + BENCH_TIMEOUT_MS;
    for (;;) {
      const current = await server.coordinator.reads.workload(record.id);
      if (current && current.status !== 'running' && current.status !== 'queued') {
        status = current.status;
        break;
      }
      if (Date.now() > giveUp) {
        status = `stuck at ${current?.unitsValidated}/${units} units`;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(running);
    return {
      name: `${volunteers} volunteers over socket.io loopback`,
      work: units,
      unit: 'units',
      seconds,
      note: `2 replicas/unit, ${status}`,
      ...(status === 'completed' ? {} : { problem: `workload ended ${status}` }),
    };
  } finally {
    crew.forEach((v) => v.close());
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchCoordinator(options: {
  log: (line: string) => void;
}): Promise<BenchRow[]> {
  options.log('coordinator: store alone');
  const baseline = await storeOnly(1000);
  options.log('coordinator: 32 volunteers over sockets');
  const sockets = await overSockets(2000, 32);
  const rate = (row: BenchRow) => row.work / row.seconds;
  return [
    { ...baseline, relative: 1 },
    { ...sockets, relative: rate(sockets) / rate(baseline) },
  ];
}
