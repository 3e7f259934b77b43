// Workload, volunteer and token rows inside one SQLite transaction, with a write-back cache: a
// batch of results touches the same workload and the same few volunteers again and again (fold,
// progress, credit, streaks), so their rows are read once, changed in memory, and written once
// when the transaction commits (flush). Queries that read these tables with SQL flush first.
// The cache lives and dies with its transaction: nothing outlives the commit.
import type { WorkloadStatus } from '@tessera/shared';
import type {
  ActiveWorkload,
  TokenRow,
  VolunteerPatch,
  VolunteerRow,
  WorkloadRow,
} from '../../engine/repository';
import { toVolunteerRow, toWorkloadRow, type SqlVolunteer, type SqlWorkload } from '../rows';
import { SqliteViews } from './sqliteViews';

const FINAL: readonly WorkloadStatus[] = ['completed', 'failed', 'cancelled'];

export class SqliteRecords extends SqliteViews {
  private readonly workloads = new Map<string, WorkloadRow>();
  private readonly dirtyWorkloads = new Set<string>();
  private readonly volunteers = new Map<string, VolunteerRow>();
  private readonly dirtyVolunteers = new Set<string>();

  /** Writes every changed workload and volunteer row. Called before commit and before SQL reads. */
  override flush(): void {
    for (const id of this.dirtyWorkloads) {
      const w = this.workloads.get(id)!;
      this.sql
        .get(
          `UPDATE workloads SET status = ?, failure_reason = ?, units_validated = ?,
             units_failed = ?, aggregate = ?, updated_at = ?, completed_at = ? WHERE id = ?`,
        )
        .run(
          w.status,
          w.failureReason,
          w.unitsValidated,
          w.unitsFailed,
          JSON.stringify(w.aggregate),
          w.updatedAt,
          w.completedAt,
          id,
        );
    }
    this.dirtyWorkloads.clear();
    for (const id of this.dirtyVolunteers) {
      const v = this.volunteers.get(id)!;
      this.sql
        .get(
          `UPDATE volunteers SET credit_micro = ?, units_valid = ?, units_invalid = ?,
             units_errored = ?, consecutive_valid = ?, offenses = ?, suspended_until = ?
           WHERE id = ?`,
        )
        .run(
          v.creditMicro,
          v.unitsValid,
          v.unitsInvalid,
          v.unitsErrored,
          v.consecutiveValid,
          v.offenses,
          v.suspendedUntil,
          id,
        );
    }
    this.dirtyVolunteers.clear();
    super.flush();
  }

  // --- workloads ------------------------------------------------------------------------------

  async insertWorkload(row: Omit<WorkloadRow, 'updatedAt' | 'completedAt'>): Promise<void> {
    this.sql
      .get(
        `INSERT INTO workloads (id, name, kind, estimator, spec, redundancy, status, units_total,
           units_validated, units_failed, aggregate, failure_reason, owner, priority, created_at,
           updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        row.id,
        row.name,
        row.kind,
        row.estimator,
        JSON.stringify(row.spec),
        JSON.stringify(row.redundancy),
        row.status,
        row.unitsTotal,
        row.unitsValidated,
        row.unitsFailed,
        JSON.stringify(row.aggregate),
        row.failureReason,
        row.owner,
        row.priority,
        row.createdAt,
        row.createdAt,
      );
  }

  async workload(id: string): Promise<WorkloadRow | null> {
    const cached = this.workloads.get(id);
    if (cached) return cached;
    const row = this.sql.rows<SqlWorkload>('SELECT * FROM workloads WHERE id = ?').get(id);
    if (!row) return null;
    const parsed = toWorkloadRow(row);
    this.workloads.set(id, parsed);
    return parsed;
  }

  async peekWorkload(id: string): Promise<WorkloadRow | null> {
    // One process, one transaction at a time: a read needs no lock.
    return this.workload(id);
  }

  /** The row to change, marked to be written at flush. */
  private async changing(id: string): Promise<WorkloadRow | null> {
    const w = await this.workload(id);
    if (w) {
      w.updatedAt = this.now;
      this.dirtyWorkloads.add(id);
    }
    return w;
  }

  async setWorkloadStatus(id: string, status: WorkloadStatus, reason: string | null) {
    const w = await this.changing(id);
    if (!w) return;
    w.status = status;
    w.failureReason = reason;
    w.completedAt = FINAL.includes(status) ? this.now : null;
  }

  async startWorkload(id: string): Promise<void> {
    const w = await this.workload(id);
    if (w?.status === 'queued') (await this.changing(id))!.status = 'running';
  }

  async addUnitsValidated(id: string, delta: number): Promise<void> {
    const w = await this.changing(id);
    if (w) w.unitsValidated += delta;
  }

  async addUnitsFailed(id: string, delta: number): Promise<void> {
    const w = await this.changing(id);
    if (w) w.unitsFailed += delta;
  }

  async setAggregate(id: string, aggregate: unknown): Promise<void> {
    const w = await this.changing(id);
    if (w) w.aggregate = aggregate;
  }

  async activeWorkloads(): Promise<ActiveWorkload[]> {
    this.flush();
    const rows = this.sql
      .get(
        `SELECT w.id, w.owner, COALESCE(t.share, 1) AS share, w.priority, w.created_at,
           COALESCE((SELECT n FROM platform_counts WHERE name = 'in_flight:' || w.id), 0)
             AS in_flight
         FROM workloads w INDEXED BY workloads_active LEFT JOIN tokens t ON t.id = w.owner
         WHERE w.status IN ('queued', 'running') ORDER BY w.created_at, w.id`,
      )
      .all() as Array<{
      id: string;
      owner: string | null;
      share: number;
      priority: number;
      created_at: number;
      in_flight: number;
    }>;
    return rows.map((r) => ({
      id: r.id,
      owner: r.owner,
      share: r.share,
      priority: r.priority,
      createdAt: r.created_at,
      inFlight: r.in_flight,
    }));
  }

  // --- volunteers and tokens ------------------------------------------------------------------

  async insertVolunteer(v: Pick<VolunteerRow, 'id' | 'secretHash' | 'displayName'>) {
    this.sql
      .get(
        `INSERT INTO volunteers (id, secret_hash, display_name, created_at, last_seen)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(v.id, v.secretHash, v.displayName, this.now, this.now);
    this.countChanges.add('volunteers', 1);
  }

  async volunteer(id: string): Promise<VolunteerRow | null> {
    const cached = this.volunteers.get(id);
    if (cached) return cached;
    const row = this.sql.rows<SqlVolunteer>('SELECT * FROM volunteers WHERE id = ?').get(id);
    if (!row) return null;
    const parsed = toVolunteerRow(row);
    this.volunteers.set(id, parsed);
    return parsed;
  }

  async updateVolunteer(id: string, patch: VolunteerPatch): Promise<void> {
    const v = await this.volunteer(id);
    if (!v) return;
    Object.assign(v, patch);
    this.dirtyVolunteers.add(id);
  }

  async touchVolunteer(id: string, displayName?: string): Promise<void> {
    this.sql
      .get(
        'UPDATE volunteers SET last_seen = ?, display_name = COALESCE(?, display_name) WHERE id = ?',
      )
      .run(this.now, displayName ?? null, id);
    const v = this.volunteers.get(id);
    if (v) {
      v.lastSeen = this.now;
      if (displayName) v.displayName = displayName;
    }
  }

  async crowdErrors(): Promise<{ errors: number; results: number }> {
    this.flush();
    return this.sql
      .get(
        `SELECT COALESCE(SUM(units_errored), 0) AS errors,
           COALESCE(SUM(units_valid + units_invalid), 0) AS results FROM volunteers`,
      )
      .get() as { errors: number; results: number };
  }

  async addToken(name: string, hash: string, share: number): Promise<string> {
    const info = this.sql
      .get('INSERT INTO tokens (name, hash, share, created_at) VALUES (?, ?, ?, ?)')
      .run(name, hash, share, this.now);
    return String(info.lastInsertRowid);
  }

  async tokenByHash(hash: string): Promise<TokenRow | null> {
    const row = this.sql.get('SELECT id, name, share FROM tokens WHERE hash = ?').get(hash) as
      { id: number; name: string; share: number } | undefined;
    return row ? { id: String(row.id), name: row.name, share: row.share } : null;
  }

  async countTokens(): Promise<number> {
    return (this.sql.get('SELECT COUNT(*) AS n FROM tokens').get() as { n: number }).n;
  }
}
