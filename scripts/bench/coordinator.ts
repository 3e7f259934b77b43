// Coordinator throughput: validated units per second (lease + result + quorum + fold, SQLite),
// first with the store alone in process (the ceiling), then with simulated volunteers over
// socket.io on loopback. Units are tiny (1,024 samples) so the coordinator, not the kernel,
// is what is measured.
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  estimatorFor,
  DEFAULT_REDUNDANCY,
  MAX_RESULTS_PER_EVENT,
  type SubmitWorkload,
} from '@tessera/shared';
import { systemClock } from '../../server/src/clock';
import { createCoordinatorServer } from '../../server/src/server';
import { SqliteRepository } from '../../server/src/repository/sqlite/sqliteRepository';
import { Coordinator } from '../../server/src/coordinator';
import { schedulerOptionsSchema } from '../../server/src/scheduler/schedulerOptions';
import { tempDir } from '../../server/test/support/testCoordinator';
import type { BenchRow } from './benchRow';

const pi = estimatorFor('pi');
const SAMPLES_PER_UNIT = 1024;
const CREW_SCRIPT = fileURLToPath(new URL('./volunteerCrew.ts', import.meta.url));
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

/** `volunteers` simulated volunteers over socket.io (see overSockets), for profiling scripts. */
export async function benchCoordinatorSockets(
  units: number,
  volunteers: number,
  batch: number,
): Promise<BenchRow> {
  return overSockets(units, volunteers, batch);
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

/** Starts the volunteer crew in a child process; resolves once every volunteer is connected. */
function startCrew(url: string, volunteers: number, batch: number): Promise<ChildProcess> {
  const child = fork(CREW_SCRIPT, [url, String(volunteers), String(batch)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the volunteer crew exited with ${code}`)));
  });
}

/**
 * Volunteers over socket.io on loopback, in a child process, so process.cpuUsage() here is the
 * coordinator's alone (REST, sockets, engine, SQLite).
 */
async function overSockets(units: number, volunteers: number, batch: number): Promise<BenchRow> {
  const dir = tempDir('tessera-bench-');
  const store = new SqliteRepository(join(dir, 'bench.sqlite'));
  const server = createCoordinatorServer({
    repository: store,
    clock: systemClock,
    envToken: 'bench-token-123',
    clientDist: null,
    scheduler: { retryAfterMs: 100, maxLeasesPerConnection: batch },
    log: () => undefined,
  });
  const port = await server.listen(0, '127.0.0.1');
  const crew = await startCrew(`http://127.0.0.1:${port}`, volunteers, batch);
  try {
    // The end is heard, not polled: a poll would be a transaction of this process, counted in
    // the coordinator's CPU.
    const ended = new Map<string, string>();
    let heard = () => {};
    const onEnded = (id: string, status: string) => {
      ended.set(id, status);
      heard();
    };
    server.coordinator.on('workloadEnded', onEnded);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const record = await server.coordinator.submitWorkload({
      kind: 'montecarlo',
      spec: tinySpec(units, 2) as Extract<SubmitWorkload, { kind: 'montecarlo' }>['spec'],
      redundancy: DEFAULT_REDUNDANCY,
    });
    const status = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('stuck'), BENCH_TIMEOUT_MS);
      heard = () => {
        const status = ended.get(record.id);
        if (status === undefined) return;
        clearTimeout(timer);
        resolve(status);
      };
      heard();
    });
    const seconds = (performance.now() - started) / 1000;
    server.coordinator.off('workloadEnded', onEnded);
    const perUnit = cpuPerUnit(cpu, units);
    return {
      name: `${volunteers} volunteers over socket.io loopback, batch ${batch}`,
      work: units,
      unit: 'units',
      seconds,
      note: `coordinator CPU per validated unit: ${perUnit.toFixed(0)} us (volunteers in another process); 2 replicas/unit, ${status}`,
      ...(status === 'completed'
        ? {}
        : {
            problem:
              status === 'stuck'
                ? `stuck at ${(await server.coordinator.reads.workload(record.id))?.unitsValidated}/${units} units`
                : `workload ended ${status}`,
          }),
    };
  } finally {
    crew.send('stop');
    await new Promise((r) => crew.once('exit', r));
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
  options.log(`coordinator: engine alone, ${MAX_RESULTS_PER_EVENT} units per message`);
  const largest = await engineAlone(8000, MAX_RESULTS_PER_EVENT);
  options.log('coordinator: 32 volunteers over sockets, up to 16 units per message');
  const sockets = await overSockets(4000, 32, 16);
  options.log(`coordinator: 32 volunteers over sockets, up to ${MAX_RESULTS_PER_EVENT} units`);
  const socketsLargest = await overSockets(8000, 32, MAX_RESULTS_PER_EVENT);
  const rate = (row: BenchRow) => row.work / row.seconds;
  return [
    { ...baseline, relative: 1 },
    { ...batched, relative: rate(batched) / rate(baseline) },
    { ...largest, relative: rate(largest) / rate(baseline) },
    { ...sockets, relative: rate(sockets) / rate(baseline) },
    { ...socketsLargest, relative: rate(socketsLargest) / rate(baseline) },
  ];
}
