// Workload, volunteer and token rows inside one PostgreSQL transaction, and a kind's own storage
// (blobs, records) with the read side (views, counts, leaderboard).
//
// Several coordinator processes write at once, so what a transaction reads to change must be
// locked. The order locks are taken in is fixed so that transactions do not deadlock: a workload
// row first (every unit or replica of it is changed only under its workload's lock), then its
// units and replicas, volunteers last, in id order, when the transaction flushes. A workload row
// is read FOR NO KEY UPDATE (leases insert replicas that reference it without waiting);
// `peekWorkload` reads it without a lock for decisions that write nothing to it. Volunteer rows
// are read without a lock and written back as increments, so two transactions crediting the same
// volunteer both count.
import type { WorkloadStatus } from '@tessera/shared';
import {
  REPLICA_STATES,
  type ActiveWorkload,
  type PlatformCounts,
  type ReplicaState,
  type TokenRow,
  type VolunteerPatch,
  type VolunteerRow,
  type VolunteerStanding,
  type WorkloadRow,
  type WorkloadView,
} from '../../engine/repository';
import { toVolunteerRow, toWorkloadRow, type SqlVolunteer, type SqlWorkload } from '../rows';
import { PgViews } from './pgViews';

const FINAL: readonly WorkloadStatus[] = ['completed', 'failed', 'cancelled'];
const COUNTERS = [
  ['creditMicro', 'credit_micro'],
  ['unitsValid', 'units_valid'],
  ['unitsInvalid', 'units_invalid'],
  ['unitsErrored', 'units_errored'],
  ['consecutiveValid', 'consecutive_valid'],
  ['offenses', 'offenses'],
] as const;

export class PgRecords extends PgViews {
  /** Workload rows this transaction holds locked, changed in memory until flush. */
  private readonly workloads = new Map<string, WorkloadRow>();
  private readonly dirtyWorkloads = new Set<string>();
  /** Volunteer rows as read, and as changed: the difference is written at flush. */
  private readonly volunteers = new Map<string, { read: VolunteerRow; now: VolunteerRow }>();
  private readonly dirtyVolunteers = new Set<string>();

  /** Ids of the workload rows this transaction holds locked. */
  protected lockedWorkloads(): string[] {
    return [...this.workloads.keys()];
  }

  override async flushWorkloads(): Promise<void> {
    for (const id of this.dirtyWorkloads) {
      const w = this.workloads.get(id)!;
      this.sql.send(
        `UPDATE workloads SET status = $1, failure_reason = $2, units_validated = $3,
           units_failed = $4, aggregate = $5, updated_at = $6, completed_at = $7 WHERE id = $8`,
        [
          w.status,
          w.failureReason,
          w.unitsValidated,
          w.unitsFailed,
          JSON.stringify(w.aggregate),
          w.updatedAt,
          w.completedAt,
          id,
        ],
      );
    }
    this.dirtyWorkloads.clear();
  }

  /** Volunteers last and in id order: the lock order that keeps transactions from deadlocking. */
  override async flushVolunteers(): Promise<void> {
    for (const id of [...this.dirtyVolunteers].sort()) {
      const { read, now } = this.volunteers.get(id)!;
      const sets: string[] = [];
      const values: unknown[] = [id];
      for (const [field, column] of COUNTERS) {
        const delta = now[field] - read[field];
        if (delta === 0) continue;
        values.push(delta >= 0 ? delta : now[field]);
        // Increments add to what other transactions committed; a reset sets the value.
        sets.push(
          delta >= 0
            ? `${column} = ${column} + $${values.length}`
            : `${column} = $${values.length}`,
        );
      }
      if (now.suspendedUntil !== read.suspendedUntil) {
        values.push(now.suspendedUntil);
        sets.push(`suspended_until = $${values.length}`);
      }
      if (sets.length > 0) {
        this.sql.send(`UPDATE volunteers SET ${sets.join(', ')} WHERE id = $1`, values);
      }
      this.volunteers.set(id, { read: { ...now }, now });
    }
    this.dirtyVolunteers.clear();
  }

  // --- workloads ------------------------------------------------------------------------------

  async insertWorkload(row: Omit<WorkloadRow, 'updatedAt' | 'completedAt'>): Promise<void> {
    await this.sql.run(
      `INSERT INTO workloads (id, name, kind, estimator, spec, redundancy, status, units_total,
         units_validated, units_failed, aggregate, failure_reason, owner, priority, created_at,
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
      [
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
      ],
    );
  }

  /** The workload row, locked for the rest of the transaction. */
  async workload(id: string): Promise<WorkloadRow | null> {
    const cached = this.workloads.get(id);
    if (cached) return cached;
    const row = await this.sql.row<SqlWorkload>(
      'SELECT * FROM workloads WHERE id = $1 FOR NO KEY UPDATE',
      [id],
    );
    if (!row) return null;
    const parsed = toWorkloadRow(row);
    this.workloads.set(id, parsed);
    return parsed;
  }

  async peekWorkload(id: string): Promise<WorkloadRow | null> {
    const cached = this.workloads.get(id);
    if (cached) return cached;
    const row = await this.sql.row<SqlWorkload>('SELECT * FROM workloads WHERE id = $1', [id]);
    return row ? toWorkloadRow(row) : null;
  }

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
    const cached = this.workloads.get(id);
    if (cached) {
      if (cached.status === 'queued') (await this.changing(id))!.status = 'running';
      return;
    }
    // A lease does not lock the workload: only the first one, on a queued workload, writes it.
    this.sql.send(
      `UPDATE workloads SET status = 'running', updated_at = $2 WHERE id = $1 AND status = 'queued'`,
      [id, this.now],
    );
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
    await this.flushWorkloads();
    this.flushCounts();
    const rows = await this.sql.rows<{
      id: string;
      owner: string | null;
      share: number;
      priority: number;
      created_at: number;
      in_flight: number;
    }>(
      `SELECT w.id, w.owner, COALESCE(t.share, 1) AS share, w.priority, w.created_at,
         COALESCE((SELECT SUM(c.n) FROM platform_counts c
           WHERE c.name = 'in_flight:' || w.id), 0)::int AS in_flight
       FROM workloads w LEFT JOIN tokens t ON t.id::text = w.owner
       WHERE w.status IN ('queued', 'running') ORDER BY w.created_at, w.id`,
    );
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
    await this.sql.run(
      `INSERT INTO volunteers (id, secret_hash, display_name, created_at, last_seen)
       VALUES ($1, $2, $3, $4, $4)`,
      [v.id, v.secretHash, v.displayName, this.now],
    );
    this.countChanges.add('volunteers', 1);
  }

  async volunteer(id: string): Promise<VolunteerRow | null> {
    const cached = this.volunteers.get(id);
    if (cached) return cached.now;
    const row = await this.sql.row<SqlVolunteer>('SELECT * FROM volunteers WHERE id = $1', [id]);
    if (!row) return null;
    const parsed = toVolunteerRow(row);
    this.volunteers.set(id, { read: { ...parsed }, now: parsed });
    return parsed;
  }

  async updateVolunteer(id: string, patch: VolunteerPatch): Promise<void> {
    const v = await this.volunteer(id);
    if (!v) return;
    Object.assign(v, patch);
    this.dirtyVolunteers.add(id);
  }

  async touchVolunteer(id: string, displayName?: string): Promise<void> {
    this.sql.send(
      'UPDATE volunteers SET last_seen = $2, display_name = COALESCE($3, display_name) WHERE id = $1',
      [id, this.now, displayName ?? null],
    );
    const v = this.volunteers.get(id);
    if (v) {
      v.now.lastSeen = this.now;
      if (displayName) v.now.displayName = displayName;
    }
  }

  async crowdErrors(): Promise<{ errors: number; results: number }> {
    await this.flushVolunteers();
    return (await this.sql.row<{ errors: number; results: number }>(
      `SELECT COALESCE(SUM(units_errored), 0)::bigint AS errors,
         COALESCE(SUM(units_valid + units_invalid), 0)::bigint AS results FROM volunteers`,
    ))!;
  }

  async addToken(name: string, hash: string, share: number): Promise<string> {
    const row = await this.sql.row<{ id: number }>(
      'INSERT INTO tokens (name, hash, share, created_at) VALUES ($1, $2, $3, $4) RETURNING id',
      [name, hash, share, this.now],
    );
    return String(row!.id);
  }

  async tokenByHash(hash: string): Promise<TokenRow | null> {
    const row = await this.sql.row<{ id: number; name: string; share: number }>(
      'SELECT id, name, share FROM tokens WHERE hash = $1',
      [hash],
    );
    return row ? { id: String(row.id), name: row.name, share: row.share } : null;
  }

  async countTokens(): Promise<number> {
    return (await this.sql.row<{ n: number }>('SELECT COUNT(*) AS n FROM tokens'))!.n;
  }
}
