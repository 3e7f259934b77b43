// The hostile-volunteer simulator: a real coordinator (in process, temp SQLite file, port 0 on
// loopback) and a crowd of simulated volunteers over real socket.io connections, a share of them
// hostile in one way (mode). Workloads go in through the REST API; when they are done the store
// is audited against the TypeScript reference (canonicalAudit.ts). Every choice is seeded: who
// is hostile, what each volunteer draws, the coordinator's scheduling draws. The interleaving
// of real sockets is the OS's, so two runs with one seed agree on everything that is decided by
// a draw and differ only in timing-dependent counts (see README "Trust under attack").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_REDUNDANCY, estimatorFor } from '@tessera/shared';
import { systemClock } from '../clock';
import type { SchedulerOptionsInput } from '../scheduler/schedulerOptions';
import { createCoordinatorServer } from '../server';
import { SqliteRepository } from '../repository/sqlite/sqliteRepository';
import { auditRun, type RunAudit } from './canonicalAudit';
import { ColluderBlackboard, DEFAULT_HOLD_MS, type RingFigures } from './coordinatedAttack';
import { drawInt, mulberry32, substreamSeed } from './seededRandom';
import {
  SimulatedVolunteer,
  type Behavior,
  type SimulatedVolunteerOptions,
} from './simulatedVolunteer';

export const SIM_MODES = [
  'random',
  'colluding',
  'flaky',
  'slow',
  'flood',
  'timed-colluders',
  'error-saboteur',
] as const;
export type SimMode = (typeof SIM_MODES)[number];

/** The volunteer behavior each mode gives its hostile share. */
export const BEHAVIOR_OF_MODE = {
  random: 'randomLiar',
  colluding: 'colluder',
  flaky: 'flaky',
  slow: 'slow',
  flood: 'flood',
  'timed-colluders': 'timedColluder',
  'error-saboteur': 'errorSaboteur',
} as const satisfies Record<SimMode, Behavior>;

/** The simulator's own scheduler defaults: short polls and sweeps, so a run is minutes, not hours. */
export const SIM_SCHEDULER_DEFAULTS = {
  retryAfterMs: 200,
  sweepIntervalMs: 250,
  leaseDurationMs: 30_000,
} as const satisfies SchedulerOptionsInput;
/** slow mode: a lease short enough that late answers meet the deadline within the run. */
export const SLOW_MODE_LEASE_MS = 2_000;

export const simulationOptionsSchema = z
  .object({
    /** Simulated volunteers, each its own socket.io connection. Default 200. */
    volunteers: z.number().int().min(2).max(2_000).default(200),
    /** Share of them that behave as the mode says; the rest are honest. Default 0.2. */
    bad: z.number().min(0).max(1).default(0.2),
    mode: z.enum(SIM_MODES),
    /** Units in all, split evenly over the workloads. Default 10,000. */
    units: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Workloads submitted at the start. Default 1. */
    workloads: z.number().int().min(1).max(100).default(1),
    /** pi samples per unit: the smallest allowed keeps the kernel cheap. Default 1,024. */
    samplesPerUnit: z
      .number()
      .int()
      .min(1_024)
      .max(2 ** 24)
      .default(1_024),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    /** redundancy.adaptive of every workload (server/SPEC.md R1-R5). Default off. */
    adaptive: z.boolean().default(false),
    /** randomLiar and colluder: the share of units lied on. Default 1. */
    lieRate: z.number().min(0).max(1).default(1),
    /** flaky: the chance per unit of closing the tab mid-unit. Default 0.3. */
    closeRate: z.number().min(0).max(1).default(0.3),
    /** flood: hostile events per burst (one burst after each unit). Default 20. */
    floodBurst: z.number().int().min(1).max(500).default(20),
    /** timed-colluders: how long a colluder waits for an honest result. Default 2,000 ms. */
    holdMs: z.number().int().min(10).max(600_000).default(DEFAULT_HOLD_MS),
    /** redundancy.maxReplicas of every workload. Default 10 (the platform's). */
    maxReplicas: z.number().int().min(2).max(20).default(DEFAULT_REDUNDANCY.maxReplicas),
    /** redundancy.maxErrors of every workload. Default 8 (the platform's). */
    maxErrors: z.number().int().min(0).max(50).default(8),
    /** Scheduler options passed to the coordinator, over SIM_SCHEDULER_DEFAULTS. */
    scheduler: z.record(z.string(), z.unknown()).default({}),
    /** Give up (and say so) after this long. Default 10 minutes. */
    timeoutMs: z.number().int().min(1_000).default(600_000),
    /** Keep the coordinator's data folder (its SQLite file) for a look afterwards. Default off. */
    keepData: z.boolean().default(false),
  })
  .strict();

export type SimulationOptions = z.infer<typeof simulationOptionsSchema>;
export type SimulationOptionsInput = z.input<typeof simulationOptionsSchema>;

export interface HostileRecord {
  behavior: Behavior;
  /** Hostile volunteers in the crowd. */
  total: number;
  /** ... with at least one result judged invalid (caught). */
  detected: number;
  /** ... suspended at the end of the run ([R5]). */
  suspended: number;
  /** Honest volunteers with an invalid verdict: outvoted by the hostile ones. */
  honestPenalized: number;
  /** Honest volunteers suspended at the end of the run: wrongly ([R5]). */
  honestSuspended: number;
}

export interface SimulationReport {
  options: SimulationOptions;
  /** The coordinator's data folder; gone after the run unless keepData. */
  dataDir: string;
  scheduler: SchedulerOptionsInput;
  /** Every workload completed (none failed, none left running). */
  completed: boolean;
  /** Workloads by final status (running or queued ones: the run timed out). */
  workloadsByStatus: Record<string, number>;
  /** Units failed ([L4], [Q4]), and units neither validated nor failed when the run ended. */
  unitsFailed: number;
  unitsOpen: number;
  timedOut: boolean;
  seconds: number;
  audit: RunAudit;
  /** units validated / result-bearing replicas; 0.5 for fixed replication 2. */
  efficiency: number;
  /** The same over the second half of the units (lease order): after warm-up. */
  efficiencyAfterWarmup: number;
  unitsPerSecond: number;
  /** Events the coordinator refused, by error code (its own counters). */
  refused: Record<string, number>;
  hostile: HostileRecord;
  /** Totals over the crowd's own tallies. */
  crowd: {
    leases: number;
    results: number;
    closed: number;
    dropped: number;
    flooded: number;
    /** How the coordinator answered the flood, by code: OK would be a hole. */
    floodAnswers: Record<string, number>;
    /** Units reported failed (`unit:error`) and acknowledged. */
    errorsReported: number;
  };
  /** timed-colluders: what the ring did (null in other modes). */
  ring: RingFigures | null;
}

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
      if (await allFinal()) break;
    }
    const seconds = ((timedOut ? performance.now() : finished) - started) / 1000;
    const audit = auditRun(databasePath, workloadIds);
    const hostileRecord: HostileRecord = {
      behavior,
      total: hostile.size,
      detected: 0,
      suspended: 0,
      honestPenalized: 0,
      honestSuspended: 0,
    };
    const now = Date.now();
    for (const [i, v] of crowd.entries()) {
      const volunteerId = v.volunteerId;
      const record = volunteerId
        ? await store.transaction(Date.now(), (tx) => tx.volunteer(volunteerId))
        : null;
      if (!record) continue;
      if (hostile.has(i)) {
        if (record.unitsInvalid > 0) hostileRecord.detected += 1;
        if (record.suspendedUntil !== null && record.suspendedUntil > now)
          hostileRecord.suspended += 1;
      } else {
        if (record.unitsInvalid > 0) hostileRecord.honestPenalized += 1;
        if (record.suspendedUntil !== null && record.suspendedUntil > now)
          hostileRecord.honestSuspended += 1;
      }
    }
    const refused: Record<string, number> = {};
    for (const [key, n] of server.coordinator.counters.entries()) {
      const code = /^tessera_events_refused_total\{code="([A-Z_]+)"\}$/.exec(key)?.[1];
      if (code) refused[code] = n;
    }
    if (internalErrors.length > 0) refused.LOGGED_ERRORS = internalErrors.length;
    const sum = (pick: (v: SimulatedVolunteer) => number) => crowd.reduce((n, v) => n + pick(v), 0);
    const workloadsByStatus: Record<string, number> = {};
    for (const w of audit.workloads)
      workloadsByStatus[w.status] = (workloadsByStatus[w.status] ?? 0) + 1;
    const unitsFailed = audit.workloads.reduce((n, w) => n + w.unitsFailed, 0);
    return {
      options,
      dataDir,
      scheduler,
      completed: audit.workloads.every((w) => w.status === 'completed'),
      workloadsByStatus,
      unitsFailed,
      unitsOpen: audit.unitsTotal - audit.unitsValidated - unitsFailed,
      timedOut,
      seconds,
      audit,
      efficiency: audit.resultBearing === 0 ? 0 : audit.unitsValidated / audit.resultBearing,
      efficiencyAfterWarmup:
        audit.secondHalf.resultBearing === 0
          ? 0
          : audit.secondHalf.units / audit.secondHalf.resultBearing,
      unitsPerSecond: audit.unitsValidated / seconds,
      refused,
      hostile: hostileRecord,
      crowd: {
        leases: sum((v) => v.tally.leases),
        results: sum((v) => v.tally.results),
        closed: sum((v) => v.tally.closed),
        dropped: sum((v) => v.tally.dropped),
        flooded: sum((v) => v.tally.flooded),
        floodAnswers: crowd.reduce<Record<string, number>>((all, v) => {
          for (const [code, n] of Object.entries(v.tally.floodAnswers))
            all[code] = (all[code] ?? 0) + n;
          return all;
        }, {}),
        errorsReported: sum((v) => v.tally.errorsReported),
      },
      ring: blackboard ? { ...blackboard.figures } : null,
    };
  } finally {
    for (const v of crowd) v.close();
    await server.close();
    await store.close();
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  }
}
