// The embedded store: one SQLite file (WAL) under the data folder. better-sqlite3 is
// synchronous, so each Store method is one `db.transaction(...)`: nothing else can interleave,
// and a SIGKILL leaves either all of a state change or none of it.
import Database from 'better-sqlite3';
import { estimatorFor, type Redundancy, type WorkloadStatus } from '@tessera/shared';
import { decideQuorum } from '../../validation/quorum';
import { DEFAULT_TRUST_POLICY } from '../../scheduler/schedulerOptions';
import {
  isEstablished,
  runsAlone,
  suspendedUntil,
  type TrustPolicy,
} from '../../scheduler/trustPolicy';
import { creditFor } from '../../validation/credit';
import {
  REPLICA_STATES,
  type LeaseRequest,
  type LeasedReplica,
  type NewWorkload,
  type PlatformCounts,
  type ReleaseOutcome,
  type ReplicaState,
  type ResultSubmission,
  type Store,
  type SubmitOutcome,
  type VolunteerRecord,
  type VolunteerStanding,
  type WorkloadRecord,
} from '../store';
import { SQLITE_MIGRATIONS } from './migrations';
import { closeInFlight, StatementCache, timeOutInFlight } from './sqliteReplicas';
import { SqliteGradientStore, type GradientVerdict } from './sqliteGradientStore';

interface WorkloadRow {
  id: string;
  name: string;
  kind: WorkloadRecord['kind'];
  estimator: string;
  spec: string;
  redundancy: string;
  status: WorkloadStatus;
  units_total: number;
  units_validated: number;
  units_failed: number;
  units_in_flight: number;
  aggregate: string;
  failure_reason: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

interface UnitRow {
  workload_id: string;
  idx: number;
  state: 'open' | 'validated' | 'failed';
  wanted: number;
  in_flight: number;
  returned: number;
  errors: number;
  work: number;
  canonical: string | null;
  quorum: number;
  verified: number;
}

interface ReplicaRow {
  id: number;
  workload_id: string;
  unit_idx: number;
  volunteer_id: string;
  state: ReplicaState;
  result: string | null;
  deadline: number;
}

interface VolunteerRow {
  id: string;
  secret_hash: string;
  display_name: string;
  credit: number;
  units_valid: number;
  units_invalid: number;
  units_errored: number;
  consecutive_valid: number;
  offenses: number;
  suspended_until: number | null;
  created_at: number;
  last_seen: number;
}

/** For views only: counting units in flight costs an index scan, internal reads skip it. */
/**
 * [L7] How many of the lowest leasable units a randomized lease picks among: enough that
 * volunteers asking at the same moment can't predict who shares their unit, few enough that
 * units still complete roughly in order.
 */
export const LEASE_CHOICES = 8;

const WORKLOAD_COLUMNS = `w.*, (SELECT COUNT(*) FROM units u INDEXED BY units_in_flight
  WHERE u.workload_id = w.id AND u.state = 'open' AND u.in_flight > 0)
  + (SELECT COUNT(*) FROM gradient_units g
  WHERE g.workload_id = w.id AND g.state = 'open' AND g.in_flight > 0) AS units_in_flight`;

function toWorkload(row: WorkloadRow): WorkloadRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    estimator: row.estimator,
    spec: JSON.parse(row.spec),
    redundancy: JSON.parse(row.redundancy) as Redundancy,
    status: row.status,
    unitsTotal: row.units_total,
    unitsValidated: row.units_validated,
    unitsInFlight: row.units_in_flight,
    unitsFailed: row.units_failed,
    aggregate: JSON.parse(row.aggregate),
    failureReason: row.failure_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  };
}

function toVolunteer(row: VolunteerRow): VolunteerRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    displayName: row.display_name,
    credit: row.credit,
    unitsValid: row.units_valid,
    unitsInvalid: row.units_invalid,
    unitsErrored: row.units_errored,
    consecutiveValid: row.consecutive_valid,
    offenses: row.offenses,
    suspendedUntil: row.suspended_until,
    createdAt: row.created_at,
    lastSeen: row.last_seen,
  };
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** Gradient workloads, on this same connection (sqliteGradientStore.ts). */
  readonly gradients: SqliteGradientStore;

  constructor(readonly path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (SIGKILL); only power loss can undo a commit.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.statements = new StatementCache(this.db);
    this.migrate();
    this.gradients = new SqliteGradientStore(this.db, (verdict) =>
      this.judgeGradientVolunteer(verdict),
    );
  }

  /** Prepared once, reused: compiling SQL costs more than running these small statements. */
  private readonly statements: StatementCache;

  private sql(source: string): Database.Statement {
    return this.statements.get(source);
  }

  private migrate(): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    const applied = new Set(
      this.sql('SELECT version FROM schema_migrations')
        .all()
        .map((row) => (row as { version: number }).version),
    );
    for (const migration of SQLITE_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.sql('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
          migration.version,
          Date.now(),
        );
      })();
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }

  // --- tokens -------------------------------------------------------------------------------

  async addToken(name: string, hash: string, now: number): Promise<void> {
    this.sql('INSERT INTO tokens (name, hash, created_at) VALUES (?, ?, ?)').run(name, hash, now);
  }

  async hasToken(hash: string): Promise<boolean> {
    return this.sql('SELECT 1 FROM tokens WHERE hash = ?').get(hash) !== undefined;
  }

  async countTokens(): Promise<number> {
    return (this.sql('SELECT COUNT(*) AS n FROM tokens').get() as { n: number }).n;
  }

  // --- workloads ----------------------------------------------------------------------------

  async createWorkload(workload: NewWorkload, now: number): Promise<WorkloadRecord> {
    const insertUnit = this.sql(
      'INSERT INTO units (workload_id, idx, state, wanted, quorum, work) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      this.sql(
        `INSERT INTO workloads (id, name, kind, estimator, spec, redundancy, status, units_total,
             aggregate, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
      ).run(
        workload.id,
        workload.name,
        workload.kind,
        workload.estimator,
        JSON.stringify(workload.spec),
        JSON.stringify(workload.redundancy),
        workload.unitWork.length,
        JSON.stringify(workload.aggregate),
        now,
        now,
      );
      workload.unitWork.forEach((work, idx) =>
        insertUnit.run(
          workload.id,
          idx,
          'open',
          workload.redundancy.quorum,
          workload.redundancy.quorum,
          work,
        ),
      );
    })();
    return this.requireWorkload(workload.id);
  }

  private workloadRow(id: string): WorkloadRow | undefined {
    return this.sql(`SELECT ${WORKLOAD_COLUMNS} FROM workloads w WHERE w.id = ?`).get(id) as
      WorkloadRow | undefined;
  }

  /** The workload row without view-only columns: what transactions read. */
  private workloadState(id: string): Omit<WorkloadRow, 'units_in_flight'> {
    const row = this.sql('SELECT * FROM workloads WHERE id = ?').get(id) as
      Omit<WorkloadRow, 'units_in_flight'> | undefined;
    if (!row) throw new Error(`workload ${id} vanished inside its own transaction`);
    return row;
  }

  private requireWorkload(id: string): WorkloadRecord {
    const row = this.workloadRow(id);
    if (!row) throw new Error(`workload ${id} vanished inside its own transaction`);
    return toWorkload(row);
  }

  async getWorkload(id: string): Promise<WorkloadRecord | null> {
    const row = this.workloadRow(id);
    return row ? toWorkload(row) : null;
  }

  async listWorkloads(): Promise<WorkloadRecord[]> {
    const rows = this.sql(
      `SELECT ${WORKLOAD_COLUMNS} FROM workloads w ORDER BY w.created_at DESC, w.id`,
    ).all() as WorkloadRow[];
    return rows.map(toWorkload);
  }

  async cancelWorkload(id: string, now: number): Promise<WorkloadRecord | null> {
    return this.db.transaction(() => {
      const row = this.workloadRow(id);
      if (!row) return null;
      if (row.status === 'queued' || row.status === 'running') {
        this.endWorkload(id, 'cancelled', 'cancelled by the researcher', now);
        this.sql(
          `UPDATE replicas SET state = 'timed_out', error = 'workload cancelled'
             WHERE workload_id = ? AND state = 'in_flight'`,
        ).run(id);
        this.sql(`UPDATE units SET in_flight = 0 WHERE workload_id = ? AND in_flight > 0`).run(id);
      }
      return this.requireWorkload(id);
    })();
  }

  private endWorkload(
    id: string,
    status: WorkloadStatus,
    reason: string | null,
    now: number,
  ): void {
    this.sql(
      `UPDATE workloads SET status = ?, failure_reason = ?, updated_at = ?, completed_at = ?
         WHERE id = ?`,
    ).run(status, reason, now, now, id);
  }

  // --- volunteers ---------------------------------------------------------------------------

  async createVolunteer(v: {
    id: string;
    secretHash: string;
    displayName: string;
    now: number;
  }): Promise<VolunteerRecord> {
    this.sql(
      `INSERT INTO volunteers (id, secret_hash, display_name, created_at, last_seen)
         VALUES (?, ?, ?, ?, ?)`,
    ).run(v.id, v.secretHash, v.displayName, v.now, v.now);
    return (await this.getVolunteer(v.id))!;
  }

  async getVolunteer(id: string): Promise<VolunteerRecord | null> {
    const row = this.sql('SELECT * FROM volunteers WHERE id = ?').get(id) as
      VolunteerRow | undefined;
    return row ? toVolunteer(row) : null;
  }

  async touchVolunteer(id: string, now: number, displayName?: string): Promise<void> {
    this.sql(
      'UPDATE volunteers SET last_seen = ?, display_name = COALESCE(?, display_name) WHERE id = ?',
    ).run(now, displayName ?? null, id);
  }

  // --- scheduling ---------------------------------------------------------------------------

  async leaseReplica(request: LeaseRequest): Promise<LeasedReplica | null> {
    return this.db.transaction((): LeasedReplica | null => {
      const held = this.sql(
        `SELECT COUNT(*) AS n FROM replicas WHERE connection_id = ? AND state = 'in_flight'`,
      ).get(request.connectionId) as { n: number };
      if (held.n >= request.maxLeasesPerConnection) return null;
      // [L1] oldest active workload first; within it one of the lowest open units that want a
      // replica, chosen at random when the request carries a draw (L7).
      const active = this.sql(
        `SELECT id, name, estimator, spec FROM workloads INDEXED BY workloads_active
           WHERE status IN ('queued', 'running') ORDER BY created_at, id`,
      ).all() as Array<{ id: string; name: string; estimator: string; spec: string }>;
      // [L2] never two live replicas of a unit on one volunteer or one public network.
      const pickUnit = this.sql(
        `SELECT u.idx FROM units u INDEXED BY units_leasable
         WHERE u.workload_id = @workload AND u.state = 'open' AND u.open_slots > 0
           AND NOT EXISTS (
             SELECT 1 FROM replicas r
             WHERE r.workload_id = u.workload_id AND r.unit_idx = u.idx
               AND r.state IN ('in_flight', 'returned', 'valid', 'invalid')
               AND (r.volunteer_id = @volunteer OR r.net_group = @net))
         ORDER BY u.idx
         LIMIT @choices`,
      );
      const choices = request.pickDraw === undefined ? 1 : LEASE_CHOICES;
      let candidate:
        | { workload_id: string; idx: number; name: string; estimator: string; spec: string }
        | undefined;
      for (const w of active) {
        const units = pickUnit.all({
          workload: w.id,
          volunteer: request.volunteerId,
          net: request.netGroup,
          choices,
        }) as Array<{ idx: number }>;
        const unit = units[Math.floor((request.pickDraw ?? 0) * units.length)];
        if (unit) {
          candidate = {
            workload_id: w.id,
            idx: unit.idx,
            name: w.name,
            estimator: w.estimator,
            spec: w.spec,
          };
          break;
        }
      }
      if (!candidate) return null;
      this.maybeRunAlone(candidate.workload_id, candidate.idx, request);
      const deadline = request.now + request.leaseDurationMs;
      const inserted = this.sql(
        `INSERT INTO replicas (workload_id, unit_idx, volunteer_id, connection_id, net_group,
             state, leased_at, deadline)
           VALUES (?, ?, ?, ?, ?, 'in_flight', ?, ?)`,
      ).run(
        candidate.workload_id,
        candidate.idx,
        request.volunteerId,
        request.connectionId,
        request.netGroup,
        request.now,
        deadline,
      );
      this.sql('UPDATE units SET in_flight = in_flight + 1 WHERE workload_id = ? AND idx = ?').run(
        candidate.workload_id,
        candidate.idx,
      );
      this.sql(
        `UPDATE workloads SET status = 'running', updated_at = ? WHERE id = ? AND status = 'queued'`,
      ).run(request.now, candidate.workload_id);
      return {
        replicaId: Number(inserted.lastInsertRowid),
        workloadId: candidate.workload_id,
        workloadName: candidate.name,
        estimator: candidate.estimator,
        spec: JSON.parse(candidate.spec),
        unitIndex: candidate.idx,
        deadline,
      };
    })();
  }

  /**
   * [R1][R2] A unit nobody holds or has answered, leased to a trusted volunteer of an adaptive
   * workload, may be run by that volunteer alone: its quorum drops to 1 and nobody else is sent it.
   */
  private maybeRunAlone(workloadId: string, idx: number, request: LeaseRequest): void {
    if (!request.trust || request.draw === undefined) return;
    const unit = this.unitRow(workloadId, idx);
    if (unit.in_flight !== 0 || unit.returned !== 0) return;
    const redundancy = JSON.parse(this.workloadState(workloadId).redundancy) as Redundancy;
    if (!redundancy.adaptive || redundancy.quorum < 2) return;
    const volunteer = this.sql('SELECT consecutive_valid FROM volunteers WHERE id = ?').get(
      request.volunteerId,
    ) as { consecutive_valid: number } | undefined;
    if (!volunteer || !runsAlone(volunteer.consecutive_valid, request.trust, request.draw)) return;
    this.sql('UPDATE units SET quorum = 1, wanted = 1 WHERE workload_id = ? AND idx = ?').run(
      workloadId,
      idx,
    );
  }

  /** [R2] A lone run that ended without a valid result: the unit goes back to full replication. */
  private endLoneRun(workloadId: string, idx: number): void {
    const redundancy = JSON.parse(this.workloadState(workloadId).redundancy) as Redundancy;
    this.sql(
      `UPDATE units SET quorum = ?, wanted = MAX(wanted, ?)
       WHERE workload_id = ? AND idx = ? AND state = 'open' AND quorum < ?`,
    ).run(redundancy.quorum, redundancy.quorum, workloadId, idx, redundancy.quorum);
  }

  async renewReplica(
    replicaId: number,
    volunteerId: string,
    now: number,
    leaseDurationMs: number,
  ): Promise<number | null> {
    const deadline = now + leaseDurationMs;
    const changed = this.sql(
      `UPDATE replicas SET deadline = ?
         WHERE id = ? AND volunteer_id = ? AND state = 'in_flight' AND deadline >= ?`,
    ).run(deadline, replicaId, volunteerId, now).changes;
    return changed === 1 ? deadline : null;
  }

  /** The reputation policy of the transaction in progress (transactions never interleave). */
  private trust: TrustPolicy = DEFAULT_TRUST_POLICY;
  /** Workloads reopened by re-checks in the transaction in progress. */
  private reopened = new Set<string>();

  async submitResult(submission: ResultSubmission): Promise<SubmitOutcome> {
    return this.db.transaction((): SubmitOutcome => {
      this.trust = submission.trust ?? DEFAULT_TRUST_POLICY;
      this.reopened = new Set();
      const replica = this.sql('SELECT * FROM replicas WHERE id = ?').get(submission.replicaId) as
        ReplicaRow | undefined;
      // [V1] a result is only taken from the volunteer that holds the replica, once.
      if (!replica || replica.volunteer_id !== submission.volunteerId) {
        return { kind: 'refused', code: 'NOT_LEASED', message: 'this unit is not leased to you' };
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
      if (replica.deadline < submission.now) {
        // [L4] past its deadline is expired, whether or not the sweep has run yet.
        this.closeReplica(replica, 'timed_out', 'lease expired', submission.now);
        return {
          kind: 'refused',
          code: 'LEASE_EXPIRED',
          message: 'the lease on this unit expired',
        };
      }
      const workload = this.workloadState(replica.workload_id);
      const unit = this.unitRow(replica.workload_id, replica.unit_idx);
      if (workload.status === 'cancelled' || workload.status === 'failed') {
        this.closeReplica(replica, 'timed_out', `workload ${workload.status}`, submission.now);
        return {
          kind: 'refused',
          code: 'LEASE_EXPIRED',
          message: `the workload was ${workload.status}`,
        };
      }
      const estimator = estimatorFor(workload.estimator);
      const task = estimator.taskFor(
        estimator.specSchema.parse(JSON.parse(workload.spec)),
        unit.idx,
      );
      const parsed = estimator.resultSchema.safeParse(submission.result);
      const problem = parsed.success
        ? estimator.implausibility(task, parsed.data)
        : parsed.error.issues
            .map((i) => `${i.path.join('.') || 'result'}: ${i.message}`)
            .join('; ');
      if (problem !== null || !parsed.success) {
        // [V2] malformed or impossible: judged invalid at once, counts against the volunteer.
        this.recordReturn(replica, 'invalid', submission, null, problem);
        if (unit.state === 'open') {
          this.endLoneRun(replica.workload_id, unit.idx);
          this.reconsiderUnit(replica.workload_id, unit.idx, submission.now);
        }
        this.markInvalid(replica.volunteer_id, submission.now);
        return { kind: 'refused', code: 'INVALID_RESULT', message: `result refused: ${problem}` };
      }
      this.recordReturn(replica, 'returned', submission, JSON.stringify(parsed.data), null);
      if (unit.state === 'validated') {
        // [Q5] a late replica of a settled unit is judged against the canonical result.
        const agrees = estimator.sameResult(parsed.data, JSON.parse(unit.canonical!));
        const credited = this.judge(
          replica.volunteer_id,
          replica.id,
          agrees,
          unit.work,
          submission.now,
        );
        return {
          kind: 'accepted',
          verdict: agrees ? 'valid' : 'invalid',
          workloadId: workload.id,
          unitIndex: unit.idx,
          credited,
          workloadEnded: null,
          reopened: [...this.reopened],
          work: unit.work,
        };
      }
      const { ended, credited } = this.reconsiderUnit(
        replica.workload_id,
        unit.idx,
        submission.now,
      );
      const verdict = (
        this.sql('SELECT state FROM replicas WHERE id = ?').get(replica.id) as {
          state: ReplicaState;
        }
      ).state;
      return {
        kind: 'accepted',
        verdict: verdict === 'valid' ? 'valid' : verdict === 'invalid' ? 'invalid' : 'pending',
        workloadId: workload.id,
        unitIndex: unit.idx,
        credited,
        workloadEnded: ended,
        reopened: [...this.reopened].filter((id) => id !== workload.id),
        work: unit.work,
      };
    })();
  }

  /** A replica came back with a result (or an unusable one): out of flight, one more returned. */
  private recordReturn(
    replica: ReplicaRow,
    state: 'returned' | 'invalid',
    submission: ResultSubmission,
    resultJson: string | null,
    error: string | null,
  ): void {
    this.sql(
      `UPDATE replicas SET state = ?, returned_at = ?, elapsed_ms = ?, result = ?, error = ?
       WHERE id = ?`,
    ).run(state, submission.now, submission.elapsedMs, resultJson, error, replica.id);
    this.sql(
      `UPDATE units SET in_flight = in_flight - 1, returned = returned + 1
       WHERE workload_id = ? AND idx = ?`,
    ).run(replica.workload_id, replica.unit_idx);
  }

  private unitRow(workloadId: string, idx: number): UnitRow {
    return this.sql('SELECT * FROM units WHERE workload_id = ? AND idx = ?').get(
      workloadId,
      idx,
    ) as UnitRow;
  }

  /** Grants or withholds credit for one judged replica; returns the credited volunteer ids. */
  private judge(
    volunteerId: string,
    replicaId: number,
    valid: boolean,
    work: number,
    now: number,
  ): string[] {
    this.sql('UPDATE replicas SET state = ? WHERE id = ?').run(
      valid ? 'valid' : 'invalid',
      replicaId,
    );
    return this.judgeVolunteer(volunteerId, valid, work, now);
  }

  /** [C1][R4][R5] The volunteer's side of a verdict; returns the credited volunteer ids. */
  private judgeVolunteer(volunteerId: string, valid: boolean, work: number, now: number) {
    if (!valid) {
      this.markInvalid(volunteerId, now);
      return [];
    }
    this.sql(
      `UPDATE volunteers SET credit = credit + ?, units_valid = units_valid + 1,
           consecutive_valid = consecutive_valid + 1 WHERE id = ?`,
    ).run(creditFor(work), volunteerId);
    return [volunteerId];
  }

  /**
   * [R3][R4][R5] A volunteer was caught with a wrong result: its streak resets, the offense is
   * counted (suspension at the limit), and every unverified unit its results helped settle is
   * taken back out of its workload's answer and recomputed.
   */
  private markInvalid(volunteerId: string, now: number): void {
    const before = this.sql('SELECT offenses FROM volunteers WHERE id = ?').get(volunteerId) as
      { offenses: number } | undefined;
    const offenses = (before?.offenses ?? 0) + 1;
    this.sql(
      `UPDATE volunteers SET units_invalid = units_invalid + 1, consecutive_valid = 0,
         offenses = ?, suspended_until = COALESCE(?, suspended_until) WHERE id = ?`,
    ).run(offenses, suspendedUntil(offenses, now, this.trust), volunteerId);
    const unverified = this.sql(
      `SELECT r.id, r.workload_id, r.unit_idx FROM replicas r INDEXED BY replicas_volunteer_valid
       JOIN units u ON u.workload_id = r.workload_id AND u.idx = r.unit_idx
       WHERE r.volunteer_id = ? AND r.state = 'valid' AND u.state = 'validated' AND u.verified = 0`,
    ).all(volunteerId) as Array<{ id: number; workload_id: string; unit_idx: number }>;
    for (const row of unverified) this.reopenUnit(row.workload_id, row.unit_idx, row.id, now);
    // Nothing it is still computing can settle a unit (alone or in a pair) after this.
    const inFlight = this.sql(
      `SELECT * FROM replicas WHERE volunteer_id = ? AND state = 'in_flight' ORDER BY id`,
    ).all(volunteerId) as ReplicaRow[];
    this.closeReplicas(inFlight, 'timed_out', 'volunteer caught with a wrong result', now);
    this.gradients.takeBackInFlight(volunteerId, now);
  }

  /**
   * [R6] A gradient replica was judged (inside the gradient store's transaction, on this
   * connection): its volunteer is credited, or caught, exactly as for a Monte Carlo replica.
   */
  private judgeGradientVolunteer(verdict: GradientVerdict): {
    credited: string[];
    reopened: string[];
  } {
    const outer = { trust: this.trust, reopened: this.reopened };
    this.trust = verdict.trust;
    this.reopened = new Set();
    try {
      const { volunteerId, valid, work, now } = verdict;
      const credited = this.judgeVolunteer(volunteerId, valid, work, now);
      return { credited, reopened: [...this.reopened] };
    } finally {
      this.trust = outer.trust;
      this.reopened = outer.reopened;
    }
  }

  /**
   * [R4] Takes an unverified canonical result back out of the aggregate (estimator.unfold) and
   * reopens the unit: the caught volunteer's replica becomes invalid, the other agreeing
   * replicas become plain returned votes again, and all of them lose the unit's credit until a
   * verified quorum settles it anew.
   */
  private reopenUnit(workloadId: string, idx: number, caughtReplicaId: number, now: number): void {
    const workload = this.workloadState(workloadId);
    const estimator = estimatorFor(workload.estimator);
    if (!estimator.unfold || workload.status === 'cancelled' || workload.status === 'failed')
      return;
    const unit = this.unitRow(workloadId, idx);
    const redundancy = JSON.parse(workload.redundancy) as Redundancy;
    const aggregate = estimator.unfold(JSON.parse(workload.aggregate), JSON.parse(unit.canonical!));
    this.sql(
      `UPDATE workloads SET aggregate = ?, units_validated = units_validated - 1, status = 'running',
         completed_at = NULL, updated_at = ? WHERE id = ?`,
    ).run(JSON.stringify(aggregate), now, workloadId);
    this.sql(
      `UPDATE units SET state = 'open', canonical = NULL, validated_at = NULL, verified = 1,
         quorum = ?, wanted = MAX(wanted, ?) WHERE workload_id = ? AND idx = ?`,
    ).run(redundancy.quorum, redundancy.quorum, workloadId, idx);
    const credit = creditFor(unit.work);
    const valid = this.sql(
      `SELECT id, volunteer_id FROM replicas WHERE workload_id = ? AND unit_idx = ? AND state = 'valid'`,
    ).all(workloadId, idx) as Array<{ id: number; volunteer_id: string }>;
    for (const replica of valid) {
      const caught = replica.id === caughtReplicaId;
      this.sql(`UPDATE replicas SET state = ?, withdrawn = ? WHERE id = ?`).run(
        caught ? 'invalid' : 'returned',
        caught ? 1 : 0,
        replica.id,
      );
      this.sql(
        'UPDATE volunteers SET credit = credit - ?, units_valid = units_valid - 1 WHERE id = ?',
      ).run(credit, replica.volunteer_id);
    }
    // Replicas outvoted by the withdrawn result were judged by a bad vote: they become votes
    // again and their offense is withdrawn (their streak cannot be given back). Not those
    // withdrawn when an earlier re-check of this unit caught their volunteer: they stay out.
    const outvoted = this.sql(
      `SELECT id, volunteer_id FROM replicas
       WHERE workload_id = ? AND unit_idx = ? AND state = 'invalid' AND result IS NOT NULL
         AND withdrawn = 0 AND id != ?`,
    ).all(workloadId, idx, caughtReplicaId) as Array<{ id: number; volunteer_id: string }>;
    for (const replica of outvoted) {
      this.sql(`UPDATE replicas SET state = 'returned' WHERE id = ?`).run(replica.id);
      this.sql(
        `UPDATE volunteers SET units_invalid = MAX(units_invalid - 1, 0),
           offenses = MAX(offenses - 1, 0) WHERE id = ?`,
      ).run(replica.volunteer_id);
    }
    // The replica budget counts the votes still standing, not the withdrawn ones.
    this.sql(
      `UPDATE units SET returned = (SELECT COUNT(*) FROM replicas
         WHERE workload_id = ? AND unit_idx = ? AND state = 'returned')
       WHERE workload_id = ? AND idx = ?`,
    ).run(workloadId, idx, workloadId, idx);
    this.reopened.add(workloadId);
    this.reconsiderUnit(workloadId, idx, now);
  }

  /**
   * Applies the quorum decision to an open unit after one of its replicas returned. Returns the
   * workload's new final status when this decision ended it, and who was credited.
   */
  private reconsiderUnit(
    workloadId: string,
    idx: number,
    now: number,
  ): { ended: WorkloadStatus | null; credited: string[] } {
    const unit = this.unitRow(workloadId, idx);
    const workload = this.workloadState(workloadId);
    const redundancy = JSON.parse(workload.redundancy) as Redundancy;
    const estimator = estimatorFor(workload.estimator);
    const returned = (
      this.sql(
        `SELECT id, volunteer_id, result FROM replicas
           WHERE workload_id = ? AND unit_idx = ? AND state = 'returned' ORDER BY returned_at, id`,
      ).all(workloadId, idx) as Array<{ id: number; volunteer_id: string; result: string }>
    ).map((row) => ({
      replicaId: row.id,
      volunteerId: row.volunteer_id,
      result: JSON.parse(row.result) as unknown,
    }));
    const decision = decideQuorum({
      returned,
      inFlight: unit.in_flight,
      resultsSoFar: unit.returned,
      quorum: unit.quorum,
      maxReplicas: redundancy.maxReplicas,
      same: (a, b) => estimator.sameResult(a, b),
    });
    switch (decision.kind) {
      case 'wait':
        return { ended: null, credited: [] };
      case 'issue':
        this.sql('UPDATE units SET wanted = MAX(wanted, ?) WHERE workload_id = ? AND idx = ?').run(
          decision.wanted,
          workloadId,
          idx,
        );
        return { ended: null, credited: [] };
      case 'fail':
        return { ended: this.failUnit(workloadId, idx, decision.reason, now), credited: [] };
      case 'validated': {
        const owner = new Map(returned.map((r) => [r.replicaId, r.volunteerId]));
        // [R3] verified: at least two agree and one of them has an established record (read
        // before this verdict adds to anyone's streak).
        const streaks = decision.agreeing.map(
          (id) =>
            (
              this.sql('SELECT consecutive_valid FROM volunteers WHERE id = ?').get(
                owner.get(id)!,
              ) as { consecutive_valid: number }
            ).consecutive_valid,
        );
        const verified =
          decision.agreeing.length >= 2 && streaks.some((n) => isEstablished(n, this.trust));
        this.sql(
          `UPDATE units SET state = 'validated', canonical = ?, validated_at = ?, verified = ?
             WHERE workload_id = ? AND idx = ?`,
        ).run(JSON.stringify(decision.canonical), now, verified ? 1 : 0, workloadId, idx);
        const credited: string[] = [];
        for (const id of decision.agreeing)
          credited.push(...this.judge(owner.get(id)!, id, true, unit.work, now));
        for (const id of decision.disagreeing)
          this.judge(owner.get(id)!, id, false, unit.work, now);
        // [A1] the fold happens in the same transaction as the unit's validation: exactly once.
        // Read the workload again: a verdict above may have reopened one of its units.
        const current = this.workloadState(workloadId);
        const aggregate = estimator.fold(JSON.parse(current.aggregate), decision.canonical);
        const validated = current.units_validated + 1;
        this.sql(
          `UPDATE workloads SET aggregate = ?, units_validated = ?, updated_at = ? WHERE id = ?`,
        ).run(JSON.stringify(aggregate), validated, now, workloadId);
        if (validated === current.units_total && current.status === 'running') {
          this.endWorkload(workloadId, 'completed', null, now);
          return { ended: 'completed', credited };
        }
        return { ended: null, credited };
      }
    }
  }

  private failUnit(workloadId: string, idx: number, reason: string, now: number): WorkloadStatus {
    this.sql(`UPDATE units SET state = 'failed' WHERE workload_id = ? AND idx = ?`).run(
      workloadId,
      idx,
    );
    this.sql('UPDATE workloads SET units_failed = units_failed + 1 WHERE id = ?').run(workloadId);
    // [Q4] one unit that cannot be settled fails the workload, with the reason, at once.
    this.endWorkload(workloadId, 'failed', `unit ${idx}: ${reason}`, now);
    this.sql(
      `UPDATE replicas SET state = 'timed_out', error = 'workload failed'
         WHERE workload_id = ? AND state = 'in_flight'`,
    ).run(workloadId);
    this.sql('UPDATE units SET in_flight = 0 WHERE workload_id = ?').run(workloadId);
    return 'failed';
  }

  /** Takes a replica out of flight without a result (timeout, disconnect, kernel error). */
  private closeReplica(
    replica: ReplicaRow,
    state: 'timed_out' | 'errored',
    reason: string,
    now: number,
  ): string | null {
    this.sql('UPDATE replicas SET state = ?, error = ?, returned_at = ? WHERE id = ?').run(
      state,
      reason,
      now,
      replica.id,
    );
    this.sql(
      `UPDATE units SET in_flight = MAX(in_flight - 1, 0), errors = errors + 1
         WHERE workload_id = ? AND idx = ?`,
    ).run(replica.workload_id, replica.unit_idx);
    this.sql('UPDATE volunteers SET units_errored = units_errored + 1 WHERE id = ?').run(
      replica.volunteer_id,
    );
    this.endLoneRun(replica.workload_id, replica.unit_idx);
    const unit = this.unitRow(replica.workload_id, replica.unit_idx);
    const workload = this.workloadState(replica.workload_id);
    const redundancy = JSON.parse(workload.redundancy) as Redundancy;
    // [L4] a unit whose replicas keep failing fails the workload instead of cycling forever.
    if (
      unit.state === 'open' &&
      unit.errors > redundancy.maxErrors &&
      (workload.status === 'running' || workload.status === 'queued')
    ) {
      this.failUnit(
        replica.workload_id,
        replica.unit_idx,
        `${unit.errors} replicas timed out or errored (maxErrors ${redundancy.maxErrors})`,
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
    return closeInFlight(this.statements, 'replicas', rows, (row) =>
      this.closeReplica(row, state, reason, now),
    );
  }

  async reportError(
    replicaId: number,
    volunteerId: string,
    message: string,
    now: number,
  ): Promise<ReleaseOutcome | null> {
    return this.db.transaction((): ReleaseOutcome | null => {
      const replica = this.sql(
        `SELECT * FROM replicas WHERE id = ? AND volunteer_id = ? AND state = 'in_flight'`,
      ).get(replicaId, volunteerId) as ReplicaRow | undefined;
      if (!replica) return null;
      return this.closeReplicas([replica], 'errored', message, now);
    })();
  }

  async expireLeases(now: number): Promise<ReleaseOutcome> {
    return this.timeOutInFlight(' AND deadline < ?', [now], 'lease expired', now);
  }

  async releaseConnection(connectionId: string, now: number): Promise<ReleaseOutcome> {
    return this.timeOutInFlight(
      ' AND connection_id = ?',
      [connectionId],
      'volunteer disconnected',
      now,
    );
  }

  async releaseAllConnections(now: number): Promise<ReleaseOutcome> {
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
      'replicas',
      filter,
      args,
      (rows: ReplicaRow[]) => this.closeReplicas(rows, 'timed_out', reason, now),
    );
  }

  async counts(now: number, windowMs: number): Promise<PlatformCounts> {
    return this.db.transaction((): PlatformCounts => {
      const workloadsByStatus = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
      for (const row of this.sql(
        'SELECT status, COUNT(*) AS n FROM workloads GROUP BY status',
      ).all() as Array<{ status: WorkloadStatus; n: number }>) {
        workloadsByStatus[row.status] = row.n;
      }
      const replicasByState = Object.fromEntries(REPLICA_STATES.map((s) => [s, 0])) as Record<
        ReplicaState,
        number
      >;
      // Gradient replicas count with the Monte Carlo ones: the same lifecycle, the same states.
      for (const row of this.sql(
        `SELECT state, COUNT(*) AS n FROM (
           SELECT state FROM replicas UNION ALL SELECT state FROM gradient_replicas
         ) GROUP BY state`,
      ).all() as Array<{ state: ReplicaState; n: number }>) {
        replicasByState[row.state] = row.n;
      }
      const validated = this.sql(
        'SELECT COALESCE(SUM(units_validated), 0) AS n FROM workloads',
      ).get() as { n: number };
      const recent = this.sql(
        `SELECT COUNT(*) AS units, COALESCE(SUM(work), 0) AS work FROM units
           WHERE validated_at IS NOT NULL AND validated_at > ?`,
      ).get(now - windowMs) as { units: number; work: number };
      // Gradient units are deleted when their round closes; their valid replicas stay, stamped
      // when returned. Their work (examples) is not added to the Monte Carlo samples.
      const recentGradient = this.sql(
        `SELECT COUNT(*) AS units FROM (
           SELECT DISTINCT workload_id, step, shard FROM gradient_replicas
            WHERE state = 'valid' AND returned_at > ?)`,
      ).get(now - windowMs) as { units: number };
      const volunteers = this.sql('SELECT COUNT(*) AS n FROM volunteers').get() as {
        n: number;
      };
      return {
        workloadsByStatus,
        unitsValidated: validated.n,
        replicasByState,
        volunteersTotal: volunteers.n,
        recent: { windowMs, units: recent.units + recentGradient.units, work: recent.work },
      };
    })();
  }

  async leaderboard(limit: number): Promise<VolunteerStanding[]> {
    const rows = this.sql(
      `SELECT id, display_name, credit, units_valid FROM volunteers WHERE credit > 0
         ORDER BY credit DESC, units_valid DESC, created_at ASC, id ASC LIMIT ?`,
    ).all(Math.max(0, Math.floor(limit))) as Array<
      Pick<VolunteerRow, 'id' | 'display_name' | 'credit' | 'units_valid'>
    >;
    return rows.map((row) => ({
      volunteerId: row.id,
      displayName: row.display_name,
      credit: row.credit,
      unitsValidated: row.units_valid,
    }));
  }
}
