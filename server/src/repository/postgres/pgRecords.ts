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
import type { PgSession } from './pgSession';

const FINAL: readonly WorkloadStatus[] = ['completed', 'failed', 'cancelled'];
const COUNTERS = [
  ['creditMicro', 'credit_micro'],
  ['unitsValid', 'units_valid'],
  ['unitsInvalid', 'units_invalid'],
  ['unitsErrored', 'units_errored'],
  ['consecutiveValid', 'consecutive_valid'],
  ['offenses', 'offenses'],
] as const;

const VIEW_COLUMNS = `w.*, (SELECT COUNT(*) FROM units u
  WHERE u.workload_id = w.id AND u.state = 'open' AND u.in_flight > 0) AS units_in_flight`;

export class PgRecords {
  /** Workload rows this transaction holds locked, changed in memory until flush. */
  private readonly workloads = new Map<string, WorkloadRow>();
  private readonly dirtyWorkloads = new Set<string>();
  /** Volunteer rows as read, and as changed: the difference is written at flush. */
  private readonly volunteers = new Map<string, { read: VolunteerRow; now: VolunteerRow }>();
  private readonly dirtyVolunteers = new Set<string>();

  constructor(
    protected readonly sql: PgSession,
    readonly now: number,
    protected readonly instanceId: string,
  ) {}

  /** Writes changed unit rows (pgTx.ts) before a query reads the units table. */
  async flushUnits(): Promise<void> {}

  async flushWorkloads(): Promise<void> {
    for (const id of this.dirtyWorkloads) {
      const w = this.workloads.get(id)!;
      await this.sql.run(
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
  async flushVolunteers(): Promise<void> {
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
        await this.sql.run(`UPDATE volunteers SET ${sets.join(', ')} WHERE id = $1`, values);
      }
      this.volunteers.set(id, { read: { ...now }, now });
    }
    this.dirtyVolunteers.clear();
  }

  async flush(): Promise<void> {
    await this.flushUnits();
    await this.flushWorkloads();
    await this.flushVolunteers();
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
    await this.sql.run(
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
    const rows = await this.sql.rows<{
      id: string;
      owner: string | null;
      share: number;
      priority: number;
      created_at: number;
      in_flight: number;
    }>(
      `SELECT w.id, w.owner, COALESCE(t.share, 1) AS share, w.priority, w.created_at,
         (SELECT COUNT(*) FROM replicas r WHERE r.workload_id = w.id AND r.state = 'in_flight')
           AS in_flight
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
    await this.sql.run(
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

  // --- a kind's own storage -------------------------------------------------------------------

  async blob(workloadId: string, name: string): Promise<Uint8Array | null> {
    const row = await this.sql.row<{ bytes: Buffer }>(
      'SELECT bytes FROM workload_blobs WHERE workload_id = $1 AND name = $2',
      [workloadId, name],
    );
    return row?.bytes ?? null;
  }

  async putBlob(workloadId: string, name: string, bytes: Uint8Array): Promise<void> {
    await this.sql.run(
      `INSERT INTO workload_blobs (workload_id, name, bytes) VALUES ($1, $2, $3)
       ON CONFLICT (workload_id, name) DO UPDATE SET bytes = EXCLUDED.bytes`,
      [workloadId, name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
    );
  }

  async deleteBlob(workloadId: string, name: string): Promise<void> {
    await this.sql.run('DELETE FROM workload_blobs WHERE workload_id = $1 AND name = $2', [
      workloadId,
      name,
    ]);
  }

  async records(workloadId: string): Promise<unknown[]> {
    const rows = await this.sql.rows<{ body: string }>(
      'SELECT body FROM workload_records WHERE workload_id = $1 ORDER BY seq',
      [workloadId],
    );
    return rows.map((r) => JSON.parse(r.body) as unknown);
  }

  async putRecord(workloadId: string, seq: number, body: unknown): Promise<void> {
    await this.sql.run(
      `INSERT INTO workload_records (workload_id, seq, body) VALUES ($1, $2, $3)
       ON CONFLICT (workload_id, seq) DO UPDATE SET body = EXCLUDED.body`,
      [workloadId, seq, JSON.stringify(body)],
    );
  }

  // --- views ----------------------------------------------------------------------------------

  async workloadViews(id?: string): Promise<WorkloadView[]> {
    await this.flushUnits();
    await this.flushWorkloads();
    const rows =
      id === undefined
        ? await this.sql.rows<SqlWorkload>(
            `SELECT ${VIEW_COLUMNS} FROM workloads w ORDER BY w.created_at DESC, w.id`,
          )
        : await this.sql.rows<SqlWorkload>(
            `SELECT ${VIEW_COLUMNS} FROM workloads w WHERE w.id = $1`,
            [id],
          );
    return rows.map((row) => ({ ...toWorkloadRow(row), unitsInFlight: row.units_in_flight ?? 0 }));
  }

  async counts(windowMs: number): Promise<PlatformCounts> {
    await this.flush();
    const workloadsByStatus = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const row of await this.sql.rows<{ status: WorkloadStatus; n: number }>(
      'SELECT status, COUNT(*) AS n FROM workloads GROUP BY status',
    )) {
      workloadsByStatus[row.status] = row.n;
    }
    const replicasByState = Object.fromEntries(REPLICA_STATES.map((s) => [s, 0])) as Record<
      ReplicaState,
      number
    >;
    for (const row of await this.sql.rows<{ state: ReplicaState; n: number }>(
      'SELECT state, COUNT(*) AS n FROM replicas GROUP BY state',
    )) {
      replicasByState[row.state] = row.n;
    }
    const validated = (await this.sql.row<{ n: number }>(
      'SELECT COALESCE(SUM(units_validated), 0)::bigint AS n FROM workloads',
    ))!;
    // Monte Carlo work is samples; gradient units count as units, not samples (as on SQLite).
    const recent = (await this.sql.row<{ units: number; work: number }>(
      `SELECT COUNT(*) AS units,
         COALESCE(SUM(CASE WHEN w.kind = 'montecarlo' THEN u.work END), 0)::bigint AS work
       FROM units u JOIN workloads w ON w.id = u.workload_id
       WHERE u.validated_at IS NOT NULL AND u.validated_at > $1`,
      [this.now - windowMs],
    ))!;
    const volunteers = (await this.sql.row<{ n: number }>('SELECT COUNT(*) AS n FROM volunteers'))!;
    return {
      workloadsByStatus,
      unitsValidated: validated.n,
      replicasByState,
      volunteersTotal: volunteers.n,
      recent: { windowMs, units: recent.units, work: recent.work },
    };
  }

  async leaderboard(limit: number): Promise<VolunteerStanding[]> {
    await this.flushVolunteers();
    const rows = await this.sql.rows<{
      id: string;
      display_name: string;
      credit_micro: number;
      units_valid: number;
    }>(
      `SELECT id, display_name, credit_micro, units_valid FROM volunteers
       WHERE units_valid > 0 AND credit_micro > 0
       ORDER BY credit_micro DESC, units_valid DESC, created_at ASC, id ASC LIMIT $1`,
      [Math.max(0, Math.floor(limit))],
    );
    return rows.map((row) => ({
      volunteerId: row.id,
      displayName: row.display_name,
      creditMicro: row.credit_micro,
      unitsValidated: row.units_valid,
    }));
  }
}
