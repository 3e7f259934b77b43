// What a hostile-volunteer simulation reports (hostileSimulation.ts runs it): the report's shape,
// and its summary of a finished run: the audit's figures, who was caught and who wrongly punished,
// the events the coordinator refused, and the crowd's own tallies.
import type { Counters } from '../metrics';
import type { SchedulerOptionsInput } from '../scheduler/schedulerOptions';
import type { SqliteRepository } from '../repository/sqlite/sqliteRepository';
import type { RunAudit } from './canonicalAudit';
import type { ColluderBlackboard, RingFigures } from './coordinatedAttack';
import type { SimulationOptions } from './simulationOptions';
import type { Behavior, VolunteerTally } from './volunteerBehaviors';

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
  /** [R9] Sub-range spot checks by outcome (passed, failed, skipped, error). */
  spotChecks: Record<string, number>;
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

/** One simulated volunteer as the summary sees it. */
export interface CrowdMember {
  readonly volunteerId: string | null;
  readonly tally: VolunteerTally;
}

/** A finished run, as runSimulation leaves it: the coordinator still up, the crowd stopped. */
export interface FinishedRun {
  options: SimulationOptions;
  dataDir: string;
  scheduler: SchedulerOptionsInput;
  timedOut: boolean;
  seconds: number;
  audit: RunAudit;
  /** The coordinator's store, read for each volunteer's record. */
  store: SqliteRepository;
  /** The coordinator's counters, read for its refusals. */
  counters: Counters;
  /** Lines the coordinator logged during the run. */
  internalErrors: readonly string[];
  crowd: readonly CrowdMember[];
  /** Indexes into `crowd` of the hostile volunteers, and the behavior they were given. */
  hostile: ReadonlySet<number>;
  behavior: Behavior;
  blackboard: ColluderBlackboard | null;
}

/** Sums up a finished run into its report. */
export async function summarizeRun(run: FinishedRun): Promise<SimulationReport> {
  const { options, dataDir, scheduler, timedOut, seconds, audit, crowd, blackboard } = run;
  const hostileRecord = await tallyHostile(run);
  const refused: Record<string, number> = {};
  for (const [key, n] of run.counters.entries()) {
    const code = /^tessera_events_refused_total\{code="([A-Z_]+)"\}$/.exec(key)?.[1];
    if (code) refused[code] = n;
  }
  const spotChecks: Record<string, number> = {};
  for (const [key, n] of run.counters.entries()) {
    const outcome = /^tessera_spot_checks_total\{outcome="([a-z]+)"\}$/.exec(key)?.[1];
    if (outcome) spotChecks[outcome] = n;
  }
  if (run.internalErrors.length > 0) refused.LOGGED_ERRORS = run.internalErrors.length;
  const sum = (pick: (v: CrowdMember) => number) => crowd.reduce((n, v) => n + pick(v), 0);
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
    spotChecks,
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
}

/** Who of the crowd was caught or suspended, hostile and honest apart, by the store's records. */
async function tallyHostile({
  store,
  crowd,
  hostile,
  behavior,
}: FinishedRun): Promise<HostileRecord> {
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
  return hostileRecord;
}
