// The hostile-volunteer simulator: a real coordinator (in process, temp SQLite file, port 0 on
// loopback) and a crowd of simulated volunteers over real socket.io connections, a share of them
// hostile in one way (mode). Workloads go in through the REST API; when they are done the store
// is audited against the TypeScript reference (canonicalAudit.ts). Every choice is seeded: who
// is hostile, what each volunteer draws, the coordinator's scheduling draws. The interleaving
// of real sockets is the OS's, so two runs with one seed agree on everything that is decided by
// a draw and differ only in timing-dependent counts (see README "Trust under attack").
// The options are simulationOptions.ts, the report simulationReport.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { estimatorFor } from '@tessera/shared';
import { systemClock } from '../clock';
import type { SchedulerOptionsInput } from '../scheduler/schedulerOptions';
import { createCoordinatorServer } from '../server';
import { SqliteRepository } from '../repository/sqlite/sqliteRepository';
import { auditRun } from './canonicalAudit';
import { ColluderBlackboard } from './coordinatedAttack';
import { drawInt, mulberry32, substreamSeed } from './seededRandom';
import {
  BEHAVIOR_OF_MODE,
  SIM_SCHEDULER_DEFAULTS,
  SLOW_MODE_LEASE_MS,
  simulationOptionsSchema,
  type SimulationOptions,
  type SimulationOptionsInput,
} from './simulationOptions';
import { summarizeRun, type SimulationReport } from './simulationReport';
import {
  SimulatedVolunteer,
  type Behavior,
  type SimulatedVolunteerOptions,
} from './simulatedVolunteer';

export {
  BEHAVIOR_OF_MODE,
  SIM_MODES,
  SIM_SCHEDULER_DEFAULTS,
  SLOW_MODE_LEASE_MS,
  simulationOptionsSchema,
  type SimMode,
  type SimulationOptions,
  type SimulationOptionsInput,
} from './simulationOptions';
export { type HostileRecord, type SimulationReport } from './simulationReport';

const TOKEN = 'simulator-token-0123456789';
const POLL_MS = 100;
/** Volunteers connect in groups this size, so the handshakes do not all land at once. */
const CONNECT_GROUP = 25;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Which volunteers are hostile: a seeded shuffle, the first `count` of it. */
function hostileSet(volunteers: number, count: number, seed: number): Set<number> {
  const order = Array.from({ length: volunteers }, (_, i) => i);
  const random = mulberry32(substreamSeed(seed, 1));
  for (let i = order.length - 1; i > 0; i--) {
    const j = drawInt(random, 0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return new Set(order.slice(0, count));
}

function volunteerOptions(
  options: SimulationOptions,
  url: string,
  index: number,
  behavior: Behavior,
  blackboard: ColluderBlackboard | null,
): SimulatedVolunteerOptions {
  return {
    url,
    behavior,
    displayName: `${behavior}-${index}`,
    ackTimeoutMs: 60_000,
    random: mulberry32(substreamSeed(options.seed, 1_000 + index)),
    lieRate: options.lieRate,
    closeRate: options.closeRate,
    floodBurst: options.floodBurst,
    holdMs: options.holdMs,
    ...(blackboard ? { blackboard } : {}),
  };
}

async function submitWorkloads(url: string, options: SimulationOptions): Promise<string[]> {
  const ids: string[] = [];
  const perWorkload = Math.ceil(options.units / options.workloads);
  for (let w = 0; w < options.workloads; w++) {
    const units = Math.min(perWorkload, options.units - w * perWorkload);
    if (units <= 0) break;
    const response = await fetch(`${url}/api/workloads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'montecarlo',
        name: `simulated ${options.mode} ${w + 1}`,
        spec: {
          estimator: 'pi',
          samples: units * options.samplesPerUnit,
          samplesPerUnit: options.samplesPerUnit,
          seed: substreamSeed(options.seed, 2 + w),
        },
        redundancy: {
          adaptive: options.adaptive,
          maxReplicas: options.maxReplicas,
          maxErrors: options.maxErrors,
        },
      }),
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 201 || !body.id) {
      throw new Error(`workload refused (${response.status}): ${JSON.stringify(body)}`);
    }
    ids.push(body.id);
  }
  return ids;
}

/** Runs one simulation to the end and audits it. `progress` gets a line every few seconds. */
export async function runSimulation(
  input: SimulationOptionsInput,
  progress: (line: string) => void = () => undefined,
): Promise<SimulationReport> {
  const options = simulationOptionsSchema.parse(input);
  const scheduler: SchedulerOptionsInput = {
    ...SIM_SCHEDULER_DEFAULTS,
    ...(options.mode === 'slow' ? { leaseDurationMs: SLOW_MODE_LEASE_MS } : {}),
    ...(options.scheduler as SchedulerOptionsInput),
  };
  // Sanity: the estimator must accept the unit size before any socket opens.
  estimatorFor('pi').specSchema.parse({
    estimator: 'pi',
    samples: options.samplesPerUnit,
    samplesPerUnit: options.samplesPerUnit,
    seed: 0,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-sim-'));
  const databasePath = join(dataDir, 'tessera.sqlite');
  const store = new SqliteRepository(databasePath);
  const internalErrors: string[] = [];
  const server = createCoordinatorServer({
    repository: store,
    clock: systemClock,
    envToken: TOKEN,
    scheduler,
    clientDist: null,
    sweep: true,
    random: mulberry32(substreamSeed(options.seed, 0)),
    log: (line) => internalErrors.push(line),
  });
  const crowd: SimulatedVolunteer[] = [];
  try {
    const port = await server.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${port}`;
    const behavior = BEHAVIOR_OF_MODE[options.mode];
    const hostile = hostileSet(
      options.volunteers,
      Math.round(options.bad * options.volunteers),
      options.seed,
    );
    // Timed colluders learn from the honest crowd's acknowledged results: everyone posts to it.
    const blackboard = options.mode === 'timed-colluders' ? new ColluderBlackboard() : null;
    for (let i = 0; i < options.volunteers; i++) {
      crowd.push(
        new SimulatedVolunteer(
          volunteerOptions(options, url, i, hostile.has(i) ? behavior : 'honest', blackboard),
        ),
      );
    }
    for (let i = 0; i < crowd.length; i += CONNECT_GROUP) {
      await Promise.all(crowd.slice(i, i + CONNECT_GROUP).map((v) => v.connect()));
    }
    const workloadIds = await submitWorkloads(url, options);
    const started = performance.now();
    let lastProgress = started;
    let finished = started;
    let timedOut = false;
    const allFinal = async () => {
      const records = await Promise.all(
        workloadIds.map((id) => server.coordinator.reads.workload(id)),
      );
      return records.every((r) => r && r.status !== 'queued' && r.status !== 'running');
    };
    // A verdict after the last unit validated can reopen a completed workload ([R4]): the crowd
    // is stopped, the statuses read again, and the crowd sent back if anything reopened.
    for (let round = 0; round < 10 && !timedOut; round++) {
      let done = false;
      const running = crowd.map((v) => v.run(() => done));
      while (!done) {
        await sleep(POLL_MS);
        done = await allFinal();
        const now = performance.now();
        // Time to completion: when the last workload ended, not when the last straggler returned.
        if (done) finished = now;
        if (now - started > options.timeoutMs) {
          timedOut = true;
          done = true;
        }
        if (now - lastProgress > 5_000) {
          lastProgress = now;
          const validated = (
            await Promise.all(workloadIds.map((id) => server.coordinator.reads.workload(id)))
          ).reduce((n, r) => n + (r?.unitsValidated ?? 0), 0);
          progress(
            `${((now - started) / 1000).toFixed(0)} s: ${validated} / ${options.units} units validated`,
          );
        }
      }
      await Promise.all(running);
      // [R9] spot checks still queued may catch a volunteer and reopen a workload.
      await server.coordinator.spotChecks.drain();
      if (await allFinal()) break;
    }
    const seconds = ((timedOut ? performance.now() : finished) - started) / 1000;
    const audit = auditRun(databasePath, workloadIds);
    return await summarizeRun({
      options,
      dataDir,
      scheduler,
      timedOut,
      seconds,
      audit,
      store,
      counters: server.coordinator.counters,
      internalErrors,
      crowd,
      hostile,
      behavior,
      blackboard,
    });
  } finally {
    for (const v of crowd) v.close();
    await server.close();
    await store.close();
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  }
}
