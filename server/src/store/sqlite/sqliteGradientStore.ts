// Gradient workloads in the embedded SQLite store (tables of migration 3): the parameter
// server's state, the open round's units and replicas, and per-step metrics. It shares the
// SqliteStore's connection, so its transactions serialize with the Monte Carlo ones and touch
// the same workloads and volunteers rows. Rules follow server/SPEC.md where they apply: [V1]
// results only from the lease holder, [V2] malformed results judged invalid at once, [Q1]-[Q4]
// quorum via decideQuorum, [L4] a unit whose replicas keep failing fails the workload, [R6] an
// invalid gradient catches its volunteer as a wrong Monte Carlo answer does ([R4][R5]).
import type Database from 'better-sqlite3';
import type { Redundancy, WorkloadStatus } from '@tessera/shared';
import type { GradientResult } from '@tessera/shared/kinds/gradient/gradientReference';
import { decideQuorum } from '../../validation/quorum';
import type { TrustPolicy } from '../../scheduler/trustPolicy';
import { DEFAULT_TRUST_POLICY } from '../../scheduler/schedulerOptions';
import {
  GRADIENT_REPLICA_ID_BASE,
  type GradientLeaseRequest,
  type GradientState,
  type GradientStore,
  type GradientSubmission,
  type GradientSubmitOutcome,
  type LeasedGradientUnit,
  type NewGradientWorkload,
  type RoundHooks,
  type ShardPlan,
  type StepMetrics,
} from '../../gradient/gradientStore';
import type { ReleaseOutcome } from '../store';
import { closeInFlight, StatementCache, timeOutInFlight } from './sqliteReplicas';

interface UnitRow {
  workload_id: string;
  step: number;
  shard: number;
  start: number;
  count: number;
  shard_hash: string;
  state: 'open' | 'validated';
  quorum: number;
  wanted: number;
  in_flight: number;
  returned: number;
  errors: number;
  canonical: Buffer | null;
  version: number | null;
}

interface ReplicaRow {
  id: number;
  workload_id: string;
  step: number;
  shard: number;
  volunteer_id: string;
  state: string;
  result: Buffer | null;
}

interface WorkloadRow {
  id: string;
  name: string;
  spec: string;
  redundancy: string;
  status: WorkloadStatus;
  units_validated: number;
  units_total: number;
}

interface StateRow {
  workload_id: string;
  version: number;
  steps: number;
  params: Buffer;
  optimizer: Buffer;
}

interface CandidateUnit {
  id: string;
  name: string;
  spec: string;
  step: number;
  shard: number;
  start: number;
  count: number;
  shard_hash: string;
  /** The unit's parameter version once leased, else null. */
  version: number | null;
  /** The workload's current parameter version. */
  current: number;
}

/** A unit computing this many times longer than the round's mean unit is a straggler... */
export const STRAGGLER_FACTOR = 3;
/** ...and never before this long (round-trip noise on fast rounds). */
export const STRAGGLER_FLOOR_MS = 250;

/**
 * [L9] Sort key putting units whose partition the asking connection holds (@held, a JSON array
 * of hashes) before the rest. Only an order: every open unit stays leasable by anyone, so a
 * round never waits for the tab that holds a partition.
 */
const HELD_FIRST = 'u.shard_hash IN (SELECT value FROM json_each(@held)) DESC';

/** Credit work of a unit: examples times parameters, about its multiply-adds per pass. */
function unitWork(count: number, result: GradientResult): number {
  return count * result.gradSum.length;
}

/** [R6] A judged gradient replica, from its volunteer's side. */
export interface GradientVerdict {
  volunteerId: string;
  valid: boolean;
  /** Credit work of the unit (0 for a result refused at the edge). */
  work: number;
  now: number;
  trust: TrustPolicy;
}

/**
 * [C1][R4][R5][R6] What a verdict means for the volunteer platform-wide, kept by the Monte Carlo
 * store so both kinds share one record: credit for a valid replica; for an invalid one the
 * offense, suspension at the limit, Monte Carlo re-checks and its work in flight taken back.
 * Runs inside the caller's transaction on the same connection. Returns who was credited and the
 * Monte Carlo workloads reopened.
 */
export type JudgeVolunteer = (verdict: GradientVerdict) => {
  credited: string[];
  reopened: string[];
};

export class SqliteGradientStore implements GradientStore {
  private readonly statements: StatementCache;
  /** The reputation policy of the submission in progress (transactions never interleave). */
  private trust: TrustPolicy = DEFAULT_TRUST_POLICY;
  /** Monte Carlo workloads reopened by catches in the submission in progress. */
  private reopened = new Set<string>();

  constructor(
    private readonly db: Database.Database,
    private readonly judgeVolunteer: JudgeVolunteer,
  ) {
    this.statements = new StatementCache(db);
  }

  private sql(source: string): Database.Statement {
    return this.statements.get(source);
  }

  createWorkload(w: NewGradientWorkload, now: number): void {
    this.db.transaction(() => {
      this.sql(
        `INSERT INTO workloads (id, name, kind, estimator, spec, redundancy, status, units_total,
             aggregate, created_at, updated_at)
           VALUES (?, ?, 'gradient', 'gradient', ?, ?, 'queued', ?, '{}', ?, ?)`,
      ).run(
        w.id,
        w.name,
        JSON.stringify(w.spec),
        JSON.stringify(w.redundancy),
        w.unitsTotal,
        now,
        now,
      );
      this.sql(
        `INSERT INTO gradient_state (workload_id, version, steps, params, optimizer)
           VALUES (?, 0, ?, ?, ?)`,
      ).run(w.id, w.steps, Buffer.from(w.params), Buffer.from(w.optimizer));
      w.firstRounds.forEach((plans, step) =>
        this.openRound(w.id, step, plans, w.redundancy.quorum),
      );
    })();
  }

  private openRound(workloadId: string, step: number, plans: ShardPlan[], quorum: number): void {
    const insert = this.sql(
      `INSERT INTO gradient_units (workload_id, step, shard, start, count, shard_hash, state,
           quorum, wanted) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
    );
    for (const p of plans)
      insert.run(workloadId, step, p.shard, p.start, p.count, p.hash, quorum, quorum);
  }

  state(workloadId: string): GradientState | null {
    const row = this.sql('SELECT * FROM gradient_state WHERE workload_id = ?').get(workloadId) as
      StateRow | undefined;
    if (!row) return null;
    return {
      workloadId: row.workload_id,
      version: row.version,
      steps: row.steps,
      params: row.params,
      optimizer: row.optimizer,
    };
  }

  paramsAt(workloadId: string, version: number): Uint8Array | null {
    const state = this.state(workloadId);
    if (!state) return null;
    if (version === state.version) return state.params;
    const row = this.sql(
      'SELECT params FROM gradient_params WHERE workload_id = ? AND version = ?',
    ).get(workloadId, version) as { params: Buffer } | undefined;
    return row?.params ?? null;
  }

  stepMetrics(workloadId: string): StepMetrics[] {
    const rows = this.sql('SELECT * FROM gradient_steps WHERE workload_id = ? ORDER BY step').all(
      workloadId,
    ) as Array<{
      step: number;
      loss: number;
      train_correct: number;
      examples: number;
      accuracy: number | null;
      versions: string | null;
    }>;
    return rows.map((r) => ({
      step: r.step,
      loss: r.loss,
      trainCorrect: r.train_correct,
      examples: r.examples,
      accuracy: r.accuracy,
      // Steps closed before version 5 of the schema were all synchronous.
      versions: r.versions === null ? [] : (JSON.parse(r.versions) as number[]),
    }));
  }

  replicaWorkload(replicaId: number): string | null {
    const row = this.sql('SELECT workload_id FROM gradient_replicas WHERE id = ?').get(
      replicaId,
    ) as { workload_id: string } | undefined;
    return row?.workload_id ?? null;
  }

  shardByHash(hash: string) {
    const row = this.sql(
      'SELECT workload_id, step, start, count FROM gradient_units WHERE shard_hash = ? LIMIT 1',
    ).get(hash) as { workload_id: string; step: number; start: number; count: number } | undefined;
    return row
      ? { workloadId: row.workload_id, step: row.step, start: row.start, count: row.count }
      : null;
  }

  /**
   * Oldest active gradient workload first; in its open rounds (one, or [A3] up to
   * maxStaleness + 1 with asynchronous rounds), the earliest step first, and among the shards
   * that want a replica and that this volunteer neither holds nor answered (replicas must be
   * independent), [L9] one whose partition the connection already holds, else the lowest.
   */
  private openUnit(request: GradientLeaseRequest): CandidateUnit | undefined {
    return this.sql(
      `SELECT w.id, w.name, w.spec, u.step, u.shard, u.start, u.count, u.shard_hash, u.version,
              s.version AS current
         FROM workloads w
         JOIN gradient_state s ON s.workload_id = w.id
         JOIN gradient_units u ON u.workload_id = w.id
        WHERE w.status IN ('queued', 'running') AND w.kind = 'gradient'
          AND u.state = 'open' AND u.wanted - u.in_flight - u.returned > 0
          AND NOT EXISTS (
            SELECT 1 FROM gradient_replicas r
             WHERE r.workload_id = u.workload_id AND r.step = u.step AND r.shard = u.shard
               AND (r.volunteer_id = @volunteer OR r.net_group = @net)
               AND r.state IN ('in_flight', 'returned', 'valid', 'invalid'))
        ORDER BY w.created_at, w.id, u.step, ${HELD_FIRST}, u.shard
        LIMIT 1`,
    ).get({
      volunteer: request.volunteerId,
      net: request.netGroup,
      held: JSON.stringify(request.preferHashes),
    }) as CandidateUnit | undefined;
  }

  /**
   * A straggler's backup: near the end of a round (at most a quarter of its shards, or one,
   * still open), a unit whose replica has been computing longer than STRAGGLER_FACTOR times
   * the round's mean unit time (and at least STRAGGLER_FLOOR_MS) gets one more replica, within
   * maxReplicas. Whichever result completes the quorum first counts; the round's close makes
   * the other stale. Without a returned unit in the round there is no yardstick and no backup.
   */
  private stragglingUnit(request: GradientLeaseRequest): CandidateUnit | undefined {
    const unit = this.sql(
      `SELECT w.id, w.name, w.spec, u.step, u.shard, u.start, u.count, u.shard_hash, u.version,
              s.version AS current
         FROM workloads w
         JOIN gradient_state s ON s.workload_id = w.id
         JOIN gradient_units u ON u.workload_id = w.id AND u.step = s.version
        WHERE w.status IN ('queued', 'running') AND w.kind = 'gradient'
          AND u.state = 'open' AND u.in_flight > 0 AND u.backups = 0
          AND u.wanted < json_extract(w.redundancy, '$.maxReplicas')
          AND (SELECT COUNT(*) FROM gradient_units o
                WHERE o.workload_id = u.workload_id AND o.step = u.step AND o.state = 'open')
              <= MAX(1, (SELECT COUNT(*) FROM gradient_units a
                          WHERE a.workload_id = u.workload_id AND a.step = u.step) / 4)
          AND (SELECT MIN(r.leased_at) FROM gradient_replicas r
                WHERE r.workload_id = u.workload_id AND r.step = u.step AND r.shard = u.shard
                  AND r.state = 'in_flight')
              < @now - MAX(@floor, @factor * (
                  SELECT AVG(r.returned_at - r.leased_at) FROM gradient_replicas r
                   WHERE r.workload_id = u.workload_id AND r.step = u.step
                     AND r.state IN ('returned', 'valid', 'invalid')))
          AND NOT EXISTS (
            SELECT 1 FROM gradient_replicas r
             WHERE r.workload_id = u.workload_id AND r.step = u.step AND r.shard = u.shard
               AND (r.volunteer_id = @volunteer OR r.net_group = @net)
               AND r.state IN ('in_flight', 'returned', 'valid', 'invalid'))
        ORDER BY w.created_at, w.id, ${HELD_FIRST}, u.shard
        LIMIT 1`,
    ).get({
      volunteer: request.volunteerId,
      net: request.netGroup,
      held: JSON.stringify(request.preferHashes),
      now: request.now,
      floor: STRAGGLER_FLOOR_MS,
      factor: STRAGGLER_FACTOR,
    }) as CandidateUnit | undefined;
    if (unit) {
      this.sql(
        `UPDATE gradient_units SET wanted = wanted + 1, backups = backups + 1
          WHERE workload_id = ? AND step = ? AND shard = ?`,
      ).run(unit.id, unit.step, unit.shard);
    }
    return unit;
  }

  leaseUnit(request: GradientLeaseRequest): LeasedGradientUnit | null {
    return this.db.transaction((): LeasedGradientUnit | null => {
      const held = this.sql(
        `SELECT (SELECT COUNT(*) FROM replicas WHERE connection_id = @c AND state = 'in_flight')
              + (SELECT COUNT(*) FROM gradient_replicas WHERE connection_id = @c AND state = 'in_flight')
              AS n`,
      ).get({ c: request.connectionId }) as { n: number };
      if (held.n >= request.maxLeasesPerConnection) return null;
      const unit = this.openUnit(request) ?? this.stragglingUnit(request);
      if (!unit) return null;
      const deadline = request.now + request.leaseDurationMs;
      const inserted = this.sql(
        `INSERT INTO gradient_replicas (id, workload_id, step, shard, volunteer_id, connection_id,
             net_group, state, leased_at, deadline)
           VALUES (COALESCE((SELECT MAX(id) FROM gradient_replicas), ? - 1) + 1, ?, ?, ?, ?, ?, ?,
             'in_flight', ?, ?)`,
      ).run(
        GRADIENT_REPLICA_ID_BASE,
        unit.id,
        unit.step,
        unit.shard,
        request.volunteerId,
        request.connectionId,
        request.netGroup,
        request.now,
        deadline,
      );
      // [A3] The first lease fixes the unit's parameter version (the newest there is), so all
      // its replicas compute the same thing; in synchronous rounds that is always its step.
      const version = unit.version ?? unit.current;
      this.sql(
        `UPDATE gradient_units SET in_flight = in_flight + 1, version = ?
           WHERE workload_id = ? AND step = ? AND shard = ?`,
      ).run(version, unit.id, unit.step, unit.shard);
      this.sql(
        `UPDATE workloads SET status = 'running', updated_at = ? WHERE id = ? AND status = 'queued'`,
      ).run(request.now, unit.id);
      return {
        replicaId: Number(inserted.lastInsertRowid),
        workloadId: unit.id,
        workloadName: unit.name,
        spec: JSON.parse(unit.spec),
        step: unit.step,
        shard: unit.shard,
        start: unit.start,
        count: unit.count,
        shardHash: unit.shard_hash,
        version,
        deadline,
      };
    })();
  }

  renewReplica(replicaId: number, volunteerId: string, now: number, leaseDurationMs: number) {
    const deadline = now + leaseDurationMs;
    const changed = this.sql(
      `UPDATE gradient_replicas SET deadline = ?
         WHERE id = ? AND volunteer_id = ? AND state = 'in_flight' AND deadline >= ?`,
    ).run(deadline, replicaId, volunteerId, now).changes;
    return changed === 1 ? deadline : null;
  }

  private workload(id: string): WorkloadRow {
    return this.sql('SELECT * FROM workloads WHERE id = ?').get(id) as WorkloadRow;
  }

  private unit(workloadId: string, step: number, shard: number): UnitRow | undefined {
    return this.sql(
      'SELECT * FROM gradient_units WHERE workload_id = ? AND step = ? AND shard = ?',
    ).get(workloadId, step, shard) as UnitRow | undefined;
  }

  submitResult(submission: GradientSubmission, hooks: RoundHooks): GradientSubmitOutcome {
    return this.db.transaction((): GradientSubmitOutcome => {
      this.trust = submission.trust;
      this.reopened = new Set();
      const replica = this.sql('SELECT * FROM gradient_replicas WHERE id = ?').get(
        submission.replicaId,
      ) as ReplicaRow | undefined;
      if (!replica || replica.volunteer_id !== submission.volunteerId) {
        return { kind: 'refused', code: 'NOT_LEASED', message: 'this unit is not leased to you' };
      }
      const state = this.state(replica.workload_id)!;
      // The lease names a parameter version; once that round has closed the result is stale
      // whatever became of the lease (synchronous rounds: no staleness is tolerated).
      if (replica.step < state.version) {
        if (replica.state === 'in_flight') {
          this.closeReplica(replica, 'timed_out', 'round closed', submission.now);
        }
        return {
          kind: 'refused',
          code: 'LEASE_EXPIRED',
          message: `stale result: computed at parameter version ${replica.step}, the workload is at version ${state.version}`,
        };
      }
      if (replica.state !== 'in_flight') {
        return replica.state === 'timed_out' || replica.state === 'errored'
          ? { kind: 'refused', code: 'LEASE_EXPIRED', message: 'the lease on this unit expired' }
          : {
              kind: 'refused',
              code: 'NOT_LEASED',
              message: 'a result for this lease was already returned',
            };
      }
      const workload = this.workload(replica.workload_id);
      if (workload.status !== 'running' && workload.status !== 'queued') {
        this.closeReplica(replica, 'timed_out', `workload ${workload.status}`, submission.now);
        return {
          kind: 'refused',
          code: 'LEASE_EXPIRED',
          message: `the workload was ${workload.status}`,
        };
      }
      const spec = JSON.parse(workload.spec) as unknown;
      const unit = this.unit(replica.workload_id, replica.step, replica.shard)!;
      const parsed = hooks.parse(spec, unit.count, submission.result);
      this.sql(
        `UPDATE gradient_units SET in_flight = in_flight - 1, returned = returned + 1
           WHERE workload_id = ? AND step = ? AND shard = ?`,
      ).run(unit.workload_id, unit.step, unit.shard);
      if ('problem' in parsed) {
        // [V2] refused at the edge: invalid at once, and the unit asks for another replica.
        this.sql(
          `UPDATE gradient_replicas SET state = 'invalid', returned_at = ?, error = ? WHERE id = ?`,
        ).run(submission.now, parsed.problem, replica.id);
        const failed = this.reconsider(
          unit.workload_id,
          unit.step,
          unit.shard,
          spec,
          hooks,
          submission.now,
        );
        this.markInvalid(replica.volunteer_id, submission.now);
        return {
          kind: 'refused',
          code: 'INVALID_RESULT',
          message: `result refused: ${parsed.problem}${failed ? ' (the workload failed)' : ''}`,
          reopened: [...this.reopened],
        };
      }
      this.sql(
        `UPDATE gradient_replicas SET state = 'returned', returned_at = ?, result = ? WHERE id = ?`,
      ).run(submission.now, Buffer.from(hooks.encode(parsed.result)), replica.id);
      const work = unitWork(unit.count, parsed.result);
      if (unit.state === 'validated') {
        const agrees = hooks.same(spec, parsed.result, hooks.decode(unit.canonical!));
        const credited = this.judge(replica.volunteer_id, replica.id, agrees, work, submission.now);
        return {
          kind: 'accepted',
          verdict: agrees ? 'valid' : 'invalid',
          workloadId: workload.id,
          credited,
          newVersion: null,
          workloadEnded: null,
          work,
          reopened: [...this.reopened],
        };
      }
      const decided = this.reconsider(
        unit.workload_id,
        unit.step,
        unit.shard,
        spec,
        hooks,
        submission.now,
      );
      const verdict = this.sql('SELECT state FROM gradient_replicas WHERE id = ?').get(
        replica.id,
      ) as {
        state: string;
      };
      return {
        kind: 'accepted',
        verdict:
          verdict.state === 'valid' ? 'valid' : verdict.state === 'invalid' ? 'invalid' : 'pending',
        workloadId: workload.id,
        credited: decided?.credited ?? [],
        newVersion: decided?.newVersion ?? null,
        workloadEnded: decided?.ended ?? null,
        work,
        reopened: [...this.reopened],
      };
    })();
  }

  private judge(
    volunteerId: string,
    replicaId: number,
    valid: boolean,
    work: number,
    now: number,
  ): string[] {
    this.sql('UPDATE gradient_replicas SET state = ? WHERE id = ?').run(
      valid ? 'valid' : 'invalid',
      replicaId,
    );
    return this.judgeVolunteerOf({ volunteerId, valid, work, now });
  }

  private judgeVolunteerOf(verdict: Omit<GradientVerdict, 'trust'>): string[] {
    const { credited, reopened } = this.judgeVolunteer({ ...verdict, trust: this.trust });
    for (const id of reopened) this.reopened.add(id);
    return credited;
  }

  /**
   * [V2][R6] A result refused at the edge catches its volunteer as an outvoted one does (judge):
   * streak reset, offense counted, suspension at the limit, its work in flight taken back.
   * Gradient units it helped settle stay settled: their rounds have stepped the optimizer,
   * which cannot be undone.
   */
  private markInvalid(volunteerId: string, now: number): void {
    this.judgeVolunteerOf({ volunteerId, valid: false, work: 0, now });
  }

  /**
   * [R4][R6] A caught volunteer's gradient replicas still in flight time out at once, so nothing
   * it is computing can settle a unit; their units are open for others. Runs inside the
   * caller's transaction.
   */
  takeBackInFlight(volunteerId: string, now: number): ReleaseOutcome {
    const rows = this.sql(
      `SELECT * FROM gradient_replicas WHERE volunteer_id = ? AND state = 'in_flight' ORDER BY id`,
    ).all(volunteerId) as ReplicaRow[];
    return this.closeReplicas(rows, 'timed_out', 'volunteer caught with a wrong result', now);
  }

  /**
   * The quorum decision for an open unit after a replica returned; when it validates the
   * last open shard of the round, the round closes (aggregate, optimizer step, metrics, next
   * round) in this same transaction. Returns what changed, or null when nothing was decided.
   */
  private reconsider(
    workloadId: string,
    step: number,
    shard: number,
    spec: unknown,
    hooks: RoundHooks,
    now: number,
  ): { credited: string[]; newVersion: number | null; ended: WorkloadStatus | null } | null {
    const unit = this.unit(workloadId, step, shard)!;
    const redundancy = JSON.parse(this.workload(workloadId).redundancy) as Redundancy;
    const returned = (
      this.sql(
        `SELECT id, volunteer_id, result FROM gradient_replicas
          WHERE workload_id = ? AND step = ? AND shard = ? AND state = 'returned'
          ORDER BY returned_at, id`,
      ).all(workloadId, step, shard) as Array<{ id: number; volunteer_id: string; result: Buffer }>
    ).map((r) => ({
      replicaId: r.id,
      volunteerId: r.volunteer_id,
      result: hooks.decode(r.result),
    }));
    const decision = decideQuorum({
      returned,
      inFlight: unit.in_flight,
      resultsSoFar: unit.returned,
      quorum: unit.quorum,
      maxReplicas: redundancy.maxReplicas,
      same: (a, b) => hooks.same(spec, a, b),
    });
    switch (decision.kind) {
      case 'wait':
        return null;
      case 'issue':
        this.sql(
          'UPDATE gradient_units SET wanted = MAX(wanted, ?) WHERE workload_id = ? AND step = ? AND shard = ?',
        ).run(decision.wanted, workloadId, step, shard);
        return null;
      case 'fail':
        this.failWorkload(workloadId, `step ${step} shard ${shard}: ${decision.reason}`, now);
        return { credited: [], newVersion: null, ended: 'failed' };
      case 'validated': {
        const owner = new Map(returned.map((r) => [r.replicaId, r.volunteerId]));
        const work = unitWork(unit.count, decision.canonical);
        const credited: string[] = [];
        for (const id of decision.agreeing)
          credited.push(...this.judge(owner.get(id)!, id, true, work, now));
        for (const id of decision.disagreeing) this.judge(owner.get(id)!, id, false, work, now);
        // Taking back a caught volunteer's work in flight can exhaust a unit's error budget.
        const status = this.workload(workloadId).status;
        if (status !== 'running' && status !== 'queued') {
          return { credited, newVersion: null, ended: status };
        }
        this.sql(
          `UPDATE gradient_units SET state = 'validated', canonical = ?
             WHERE workload_id = ? AND step = ? AND shard = ?`,
        ).run(Buffer.from(hooks.encode(decision.canonical)), workloadId, step, shard);
        this.sql(
          'UPDATE workloads SET units_validated = units_validated + 1, updated_at = ? WHERE id = ?',
        ).run(now, workloadId);
        return { credited, ...this.closeReadyRounds(workloadId, spec, hooks, redundancy, now) };
      }
    }
  }

  /**
   * Closes the current round while every shard of it is validated: once in synchronous
   * rounds; [A3] with asynchronous ones, later rounds whose shards all came in early close
   * right after, in step order. Returns the version reached, or null when none closed.
   */
  private closeReadyRounds(
    workloadId: string,
    spec: unknown,
    hooks: RoundHooks,
    redundancy: Redundancy,
    now: number,
  ): { newVersion: number | null; ended: WorkloadStatus | null } {
    let newVersion: number | null = null;
    for (;;) {
      const state = this.state(workloadId)!;
      const units = this.sql(
        `SELECT COUNT(*) AS n, SUM(state = 'open') AS open FROM gradient_units
          WHERE workload_id = ? AND step = ?`,
      ).get(workloadId, state.version) as { n: number; open: number | null };
      if (units.n === 0 || (units.open ?? 0) > 0) return { newVersion, ended: null };
      const closed = this.closeRound(workloadId, state.version, spec, hooks, redundancy, now);
      newVersion = closed.newVersion;
      if (closed.ended) return closed;
    }
  }

  private closeRound(
    workloadId: string,
    step: number,
    spec: unknown,
    hooks: RoundHooks,
    redundancy: Redundancy,
    now: number,
  ): { newVersion: number; ended: WorkloadStatus | null } {
    const state = this.state(workloadId)!;
    const units = this.sql(
      'SELECT canonical, version FROM gradient_units WHERE workload_id = ? AND step = ? ORDER BY shard',
    ).all(workloadId, step) as Array<{ canonical: Buffer; version: number | null }>;
    const versions = units.map((u) => u.version ?? step);
    const out = hooks.closeRound({
      workloadId,
      spec,
      step,
      steps: state.steps,
      canonicals: units.map((u) => hooks.decode(u.canonical)),
      versions,
      params: state.params,
      optimizer: state.optimizer,
    });
    const version = step + 1;
    const { maxStaleness } = out;
    if (maxStaleness > 0) {
      // [A3] Units of the open rounds may still be computed at the versions this one replaces.
      this.sql('INSERT INTO gradient_params (workload_id, version, params) VALUES (?, ?, ?)').run(
        workloadId,
        step,
        Buffer.from(state.params),
      );
      this.sql('DELETE FROM gradient_params WHERE workload_id = ? AND version < ?').run(
        workloadId,
        version - maxStaleness,
      );
    }
    this.sql(
      'UPDATE gradient_state SET version = ?, params = ?, optimizer = ? WHERE workload_id = ?',
    ).run(version, Buffer.from(out.params), Buffer.from(out.optimizer), workloadId);
    const m = out.metrics;
    this.sql(
      `INSERT INTO gradient_steps (workload_id, step, loss, train_correct, examples, accuracy,
           closed_at, versions)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      workloadId,
      step,
      m.loss,
      m.trainCorrect,
      m.examples,
      m.accuracy,
      now,
      JSON.stringify(versions),
    );
    // Backup replicas still computing this round are no longer needed: their results are stale.
    this.sql(
      `UPDATE gradient_replicas SET state = 'timed_out', error = 'round closed', returned_at = ?
         WHERE workload_id = ? AND step = ? AND state = 'in_flight'`,
    ).run(now, workloadId, step);
    this.sql('DELETE FROM gradient_units WHERE workload_id = ? AND step = ?').run(workloadId, step);
    if (version === state.steps) {
      this.sql('DELETE FROM gradient_params WHERE workload_id = ?').run(workloadId);
      this.sql(
        `UPDATE workloads SET status = 'completed', updated_at = ?, completed_at = ? WHERE id = ?`,
      ).run(now, now, workloadId);
      return { newVersion: version, ended: 'completed' };
    }
    if (out.nextRound !== null) {
      this.openRound(workloadId, version + maxStaleness, out.nextRound, redundancy.quorum);
    }
    return { newVersion: version, ended: null };
  }

  private failWorkload(workloadId: string, reason: string, now: number): void {
    this.sql(
      `UPDATE workloads SET status = 'failed', failure_reason = ?, units_failed = units_failed + 1,
         updated_at = ?, completed_at = ? WHERE id = ?`,
    ).run(reason, now, now, workloadId);
    this.sql(
      `UPDATE gradient_replicas SET state = 'timed_out', error = 'workload failed'
         WHERE workload_id = ? AND state = 'in_flight'`,
    ).run(workloadId);
    this.sql('UPDATE gradient_units SET in_flight = 0 WHERE workload_id = ?').run(workloadId);
  }

  /** Out of flight without a result; returns the workload id when this failed it. */
  private closeReplica(
    replica: ReplicaRow,
    state: 'timed_out' | 'errored',
    reason: string,
    now: number,
  ): string | null {
    this.sql('UPDATE gradient_replicas SET state = ?, error = ?, returned_at = ? WHERE id = ?').run(
      state,
      reason,
      now,
      replica.id,
    );
    this.sql('UPDATE volunteers SET units_errored = units_errored + 1 WHERE id = ?').run(
      replica.volunteer_id,
    );
    const unit = this.unit(replica.workload_id, replica.step, replica.shard);
    if (!unit) return null; // its round has closed
    this.sql(
      `UPDATE gradient_units SET in_flight = MAX(in_flight - 1, 0), errors = errors + 1
         WHERE workload_id = ? AND step = ? AND shard = ?`,
    ).run(unit.workload_id, unit.step, unit.shard);
    const workload = this.workload(replica.workload_id);
    const redundancy = JSON.parse(workload.redundancy) as Redundancy;
    // [L4] a unit whose replicas keep failing fails the workload instead of cycling forever.
    if (
      unit.state === 'open' &&
      unit.errors + 1 > redundancy.maxErrors &&
      (workload.status === 'running' || workload.status === 'queued')
    ) {
      this.failWorkload(
        replica.workload_id,
        `step ${unit.step} shard ${unit.shard}: ${unit.errors + 1} replicas timed out or errored (maxErrors ${redundancy.maxErrors})`,
        now,
      );
      return replica.workload_id;
    }
    return null;
  }

  private closeReplicas(
    rows: ReplicaRow[],
    state: 'timed_out' | 'errored',
    reason: string,
    now: number,
  ): ReleaseOutcome {
    return closeInFlight(this.statements, 'gradient_replicas', rows, (row) =>
      this.closeReplica(row, state, reason, now),
    );
  }

  reportError(
    replicaId: number,
    volunteerId: string,
    message: string,
    now: number,
  ): ReleaseOutcome | null {
    return this.db.transaction((): ReleaseOutcome | null => {
      const row = this.sql(
        `SELECT * FROM gradient_replicas WHERE id = ? AND volunteer_id = ? AND state = 'in_flight'`,
      ).get(replicaId, volunteerId) as ReplicaRow | undefined;
      return row ? this.closeReplicas([row], 'errored', message, now) : null;
    })();
  }

  expireLeases(now: number): ReleaseOutcome {
    return this.timeOutInFlight(' AND deadline < ?', [now], 'lease expired', now);
  }

  releaseWorkload(workloadId: string, now: number): void {
    this.db.transaction(() => {
      this.sql(
        `UPDATE gradient_replicas SET state = 'timed_out', error = 'workload cancelled', returned_at = ?
           WHERE workload_id = ? AND state = 'in_flight'`,
      ).run(now, workloadId);
      this.sql('UPDATE gradient_units SET in_flight = 0 WHERE workload_id = ?').run(workloadId);
    })();
  }

  releaseConnection(connectionId: string, now: number): ReleaseOutcome {
    return this.timeOutInFlight(
      ' AND connection_id = ?',
      [connectionId],
      'volunteer disconnected',
      now,
    );
  }

  releaseAllConnections(now: number): ReleaseOutcome {
    return this.timeOutInFlight('', [], 'the coordinator restarted', now);
  }

  /** Times out the in-flight replicas that `filter` (SQL) also selects. */
  private timeOutInFlight(
    filter: string,
    args: readonly unknown[],
    reason: string,
    now: number,
  ): ReleaseOutcome {
    return timeOutInFlight(
      this.db,
      this.statements,
      'gradient_replicas',
      filter,
      args,
      (rows: ReplicaRow[]) => this.closeReplicas(rows, 'timed_out', reason, now),
    );
  }
}
