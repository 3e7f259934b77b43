// The read side of a PostgreSQL transaction and a kind's own storage: workload views with units
// in flight, platform counts, the leaderboard, and the per-workload blobs and records kinds keep
// their state in. Reads that must see this transaction's changes flush them first (the hooks
// pgRecords.ts and pgTx.ts fill in).
import type { WorkloadStatus } from '@tessera/shared';
import {
  type PlatformCounts,
  type ReplicaState,
  type VolunteerStanding,
  type WorkloadView,
} from '../../engine/repository';
import {
  toPlatformCounts,
  toStanding,
  toWorkloadRow,
  type SqlStanding,
  type SqlWorkload,
} from '../rows';
import { CountChanges } from '../platformCounts';
import type { PgSession } from './pgSession';

const VIEW_COLUMNS = `w.*, (SELECT COUNT(*) FROM units u
  WHERE u.workload_id = w.id AND u.state = 'open' AND u.in_flight > 0) AS units_in_flight`;

export class PgViews {
  constructor(
    protected readonly sql: PgSession,
    readonly now: number,
    protected readonly instanceId: string,
  ) {}

  /** Writes changed unit rows (pgTx.ts) before a query reads the units table. */
  async flushUnits(): Promise<void> {}
  /** Writes changed workload rows (pgRecords.ts). */
  async flushWorkloads(): Promise<void> {}
  /** Writes changed volunteer rows (pgRecords.ts). */
  async flushVolunteers(): Promise<void> {}

  /** Changes to platform_counts (migration 4) this transaction has made and not yet written. */
  protected readonly countChanges = new CountChanges();

  async flush(): Promise<void> {
    await this.flushUnits();
    await this.flushWorkloads();
    await this.flushVolunteers();
    this.flushCounts();
  }

  /** Sends the counts this transaction moved (statements after it see them). */
  protected flushCounts(): void {
    const changed = this.countChanges.take();
    if (changed.length === 0) return;
    // Into this backend's own rows: no other open transaction writes them. Pipelined: the
    // commit (or the next statement read) waits for it.
    this.sql.send(
      `INSERT INTO platform_counts (name, shard, n)
       SELECT name, pg_backend_pid(), n FROM unnest($1::text[], $2::bigint[]) AS c(name, n)
       ON CONFLICT (name, shard) DO UPDATE SET n = platform_counts.n + EXCLUDED.n`,
      [changed.map(([name]) => name), changed.map(([, by]) => by)],
    );
  }

  // --- a kind's own storage -------------------------------------------------------------------

  async holdDataset(id: string, purpose: 'use' | 'delete'): Promise<boolean> {
    // A submission's KEY SHARE and a deletion's UPDATE lock conflict: the later one waits for
    // the other's commit, then reads what it left (READ COMMITTED: the row gone, or a workload).
    const lock = purpose === 'use' ? 'FOR KEY SHARE' : 'FOR UPDATE';
    return (await this.sql.row(`SELECT 1 FROM datasets WHERE id = $1 ${lock}`, [id])) !== null;
  }

  async deleteDataset(id: string): Promise<void> {
    await this.sql.run('DELETE FROM datasets WHERE id = $1', [id]);
  }

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
    const statuses = await this.sql.rows<{ status: WorkloadStatus; n: number }>(
      'SELECT status, COUNT(*) AS n FROM workloads GROUP BY status',
    );
    const kept = await this.sql.rows<{ name: string; n: number }>(
      `SELECT name, SUM(n)::bigint AS n FROM platform_counts WHERE name NOT LIKE 'in_flight:%'
       GROUP BY name`,
    );
    const states = kept
      .filter((c) => c.name.startsWith('replicas:'))
      .map((c) => ({ state: c.name.slice('replicas:'.length) as ReplicaState, n: Number(c.n) }));
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
    const volunteers = Number(kept.find((c) => c.name === 'volunteers')?.n ?? 0);
    return toPlatformCounts(
      { statuses, states, validated: validated.n, recent, volunteers },
      windowMs,
    );
  }

  async leaderboard(limit: number): Promise<VolunteerStanding[]> {
    await this.flushVolunteers();
    const rows = await this.sql.rows<SqlStanding>(
      `SELECT id, display_name, credit_micro, units_valid FROM volunteers
       WHERE units_valid > 0 AND credit_micro > 0
       ORDER BY credit_micro DESC, units_valid DESC, created_at ASC, id ASC LIMIT $1`,
      [Math.max(0, Math.floor(limit))],
    );
    return rows.map(toStanding);
  }
}
