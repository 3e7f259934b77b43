// The embedded store: one SQLite file (WAL) under the data folder. better-sqlite3 is
// synchronous, so each Store method is one `db.transaction(...)`: nothing else can interleave,
// and a SIGKILL leaves either all of a state change or none of it.
import Database from 'better-sqlite3';
import { estimatorFor, type Redundancy, type WorkloadStatus } from '@tessera/shared';
import { decideQuorum } from '../../validation/quorum';
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
  type WorkloadRecord,
} from '../store';
import { SQLITE_MIGRATIONS } from './migrations';

interface WorkloadRow {
  id: string;
  name: string;
  kind: 'montecarlo';
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
}

interface ReplicaRow {
  id: number;
  workload_id: string;
  unit_idx: number;
  volunteer_id: string;
  state: ReplicaState;
  result: string | null;
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
  created_at: number;
  last_seen: number;
}

/** For views only: counting units in flight costs an index scan, internal reads skip it. */
const WORKLOAD_COLUMNS = `w.*, (SELECT COUNT(*) FROM units u INDEXED BY units_in_flight
  WHERE u.workload_id = w.id AND u.state = 'open' AND u.in_flight > 0) AS units_in_flight`;

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
    createdAt: row.created_at,
    lastSeen: row.last_seen,
  };
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (SIGKILL); only power loss can undo a commit.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once, reused: compiling SQL costs more than running these small statements. */
  private sql(source: string): Database.Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
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
      'INSERT INTO units (workload_id, idx, state, wanted, work) VALUES (?, ?, ?, ?, ?)',
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
        insertUnit.run(workload.id, idx, 'open', workload.redundancy.quorum, work),
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
      // [L1] oldest active workload first; within it the lowest open unit that wants a replica.
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
         LIMIT 1`,
      );
      let candidate:
        | { workload_id: string; idx: number; name: string; estimator: string; spec: string }
        | undefined;
      for (const w of active) {
        const unit = pickUnit.get({
          workload: w.id,
          volunteer: request.volunteerId,
          net: request.netGroup,
        }) as { idx: number } | undefined;
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

  async submitResult(submission: ResultSubmission): Promise<SubmitOutcome> {
    return this.db.transaction((): SubmitOutcome => {
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
        this.markInvalid(replica.volunteer_id);
        if (unit.state === 'open')
          this.reconsiderUnit(replica.workload_id, unit.idx, submission.now);
        return { kind: 'refused', code: 'INVALID_RESULT', message: `result refused: ${problem}` };
      }
      this.recordReturn(replica, 'returned', submission, JSON.stringify(parsed.data), null);
      if (unit.state === 'validated') {
        // [Q5] a late replica of a settled unit is judged against the canonical result.
        const agrees = estimator.sameResult(parsed.data, JSON.parse(unit.canonical!));
        const credited = this.judge(replica.volunteer_id, replica.id, agrees, unit.work);
        return {
          kind: 'accepted',
          verdict: agrees ? 'valid' : 'invalid',
          workloadId: workload.id,
          unitIndex: unit.idx,
          credited,
          workloadEnded: null,
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
  private judge(volunteerId: string, replicaId: number, valid: boolean, work: number): string[] {
    this.sql('UPDATE replicas SET state = ? WHERE id = ?').run(
      valid ? 'valid' : 'invalid',
      replicaId,
    );
    if (!valid) {
      this.markInvalid(volunteerId);
      return [];
    }
    this.sql(
      `UPDATE volunteers SET credit = credit + ?, units_valid = units_valid + 1,
           consecutive_valid = consecutive_valid + 1 WHERE id = ?`,
    ).run(creditFor(work), volunteerId);
    return [volunteerId];
  }

  private markInvalid(volunteerId: string): void {
    this.sql(
      'UPDATE volunteers SET units_invalid = units_invalid + 1, consecutive_valid = 0 WHERE id = ?',
    ).run(volunteerId);
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
      quorum: redundancy.quorum,
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
        const credited: string[] = [];
        for (const id of decision.agreeing)
          credited.push(...this.judge(owner.get(id)!, id, true, unit.work));
        for (const id of decision.disagreeing) this.judge(owner.get(id)!, id, false, unit.work);
        this.sql(
          `UPDATE units SET state = 'validated', canonical = ?, validated_at = ?
             WHERE workload_id = ? AND idx = ?`,
        ).run(JSON.stringify(decision.canonical), now, workloadId, idx);
        // [A1] the fold happens in the same transaction as the unit's validation: exactly once.
        const aggregate = estimator.fold(JSON.parse(workload.aggregate), decision.canonical);
        const validated = workload.units_validated + 1;
        this.sql(
          `UPDATE workloads SET aggregate = ?, units_validated = ?, updated_at = ? WHERE id = ?`,
        ).run(JSON.stringify(aggregate), validated, now, workloadId);
        if (validated === workload.units_total && workload.status === 'running') {
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
    const failedWorkloads = new Set<string>();
    for (const row of rows) {
      // A workload failing inside this loop already closed its other replicas.
      const current = this.sql('SELECT state FROM replicas WHERE id = ?').get(row.id) as {
        state: ReplicaState;
      };
      if (current.state !== 'in_flight') continue;
      const failed = this.closeReplica(row, state, reason, now);
      if (failed) failedWorkloads.add(failed);
    }
    return { released: rows.length, failedWorkloads: [...failedWorkloads] };
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
    return this.db.transaction((): ReleaseOutcome => {
      const rows = this.sql(
        `SELECT * FROM replicas WHERE state = 'in_flight' AND deadline < ? ORDER BY id`,
      ).all(now) as ReplicaRow[];
      return this.closeReplicas(rows, 'timed_out', 'lease expired', now);
    })();
  }

  async releaseConnection(connectionId: string, now: number): Promise<ReleaseOutcome> {
    return this.db.transaction((): ReleaseOutcome => {
      const rows = this.sql(
        `SELECT * FROM replicas WHERE connection_id = ? AND state = 'in_flight' ORDER BY id`,
      ).all(connectionId) as ReplicaRow[];
      return this.closeReplicas(rows, 'timed_out', 'volunteer disconnected', now);
    })();
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
      for (const row of this.sql(
        'SELECT state, COUNT(*) AS n FROM replicas GROUP BY state',
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
      const volunteers = this.sql('SELECT COUNT(*) AS n FROM volunteers').get() as {
        n: number;
      };
      return {
        workloadsByStatus,
        unitsValidated: validated.n,
        replicasByState,
        volunteersTotal: volunteers.n,
        recent: { windowMs, units: recent.units, work: recent.work },
      };
    })();
  }
}
