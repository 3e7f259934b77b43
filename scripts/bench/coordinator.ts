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
import { Coordinator } from '../../server/src/coordinator';
import { schedulerOptionsSchema } from '../../server/src/scheduler/schedulerOptions';
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

/** Coordinator CPU (user + system) per validated unit, in microseconds. */
function cpuPerUnit(since: NodeJS.CpuUsage, units: number): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / units;
}

/**
 * Both replicas of every unit leased and returned straight through the engine (no sockets), in
 * batches of `batch` units per lease request and per results message, as a tab with that many
 * units in flight would. Results are computed before the clock starts: only the coordinator's
 * work (transactions, quorum, fold, credit) is timed.
 */
export async function benchCoordinatorEngineOnly(units: number, batch: number): Promise<BenchRow> {
  return engineAlone(units, batch);
}

async function engineAlone(units: number, batch: number): Promise<BenchRow> {
  const dir = tempDir('tessera-bench-');
  const repository = new SqliteRepository(join(dir, 'bench.sqlite'));
  const coordinator = new Coordinator(
    repository,
    systemClock,
    schedulerOptionsSchema.parse({ maxLeasesPerConnection: batch, leaseWorkSeconds: 3_600 }),
  );
  try {
    const spec = tinySpec(units, 1);
    const results = Array.from({ length: units }, (_, i) => pi.runReference(pi.taskFor(spec, i)));
    const crew = [];
    for (let i = 0; i < 2; i++) {
      const { volunteer } = await coordinator.identify(undefined, `bench-${i}`);
      crew.push({ volunteerId: volunteer.id, connectionId: `bench-${i}`, netGroup: null });
    }
    const record = await coordinator.submitWorkload({
      kind: 'montecarlo',
      spec: spec as Extract<SubmitWorkload, { kind: 'montecarlo' }>['spec'],
      redundancy: DEFAULT_REDUNDANCY,
    });
    const started = performance.now();
    const cpu = process.cpuUsage();
    for (;;) {
      let leased = 0;
      for (const who of crew) {
        const leases = await coordinator.leaseBatch(who, batch);
        leased += leases.length;
        if (leases.length === 0) continue;
        await coordinator.submitResults(
          who,
          leases.map((l) => ({
            replicaId: l.replicaId,
            result: results[l.unitIndex],
            elapsedMs: 1,
          })),
        );
      }
      if (leased === 0) break;
    }
    const seconds = (performance.now() - started) / 1000;
    const perUnit = cpuPerUnit(cpu, units);
    const done = await coordinator.reads.workload(record.id);
    return {
      name: `engine alone, in process, batch ${batch} (2 replicas/unit)`,
      work: units,
      unit: 'units',
      seconds,
      note: `coordinator CPU per validated unit: ${perUnit.toFixed(0)} us; SQLite WAL; ${done?.status}`,
      ...(done?.status === 'completed' ? {} : { problem: `workload ended ${done?.status}` }),
    };
  } finally {
    await repository.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function overSockets(units: number, volunteers: number, batch: number): Promise<BenchRow> {
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
  const crew = Array.from(
    { length: volunteers },
    () => new SimulatedVolunteer({ url, maxUnits: batch }),
  );
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
      name: `${volunteers} volunteers over socket.io loopback, batch ${batch}`,
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
  options.log('coordinator: engine alone, one unit per message');
  const baseline = await engineAlone(2000, 1);
  options.log('coordinator: engine alone, 16 units per message');
  const batched = await engineAlone(4000, 16);
  options.log('coordinator: 32 volunteers over sockets, up to 16 units per message');
  const sockets = await overSockets(4000, 32, 16);
  const rate = (row: BenchRow) => row.work / row.seconds;
  return [
    { ...baseline, relative: 1 },
    { ...batched, relative: rate(batched) / rate(baseline) },
    { ...sockets, relative: rate(sockets) / rate(baseline) },
  ];
}
