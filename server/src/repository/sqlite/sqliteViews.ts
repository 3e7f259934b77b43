// The read side of the SQLite transaction context and a kind's own storage: workload views with
// units in flight, platform counts, the leaderboard, and the per-workload blobs and records
// that kinds keep their state in (gradient parameters, step metrics).
import type { WorkloadStatus } from '@tessera/shared';
import {
  type PlatformCounts,
  type ReplicaState,
  type VolunteerStanding,
  type WorkloadView,
} from '../../engine/repository';
import type { DatasetStore } from '../../datasets/datasetStore';
import { CountChanges } from '../platformCounts';
import type { StatementCache } from './statementCache';
import {
  toPlatformCounts,
  toStanding,
  toWorkloadRow,
  type SqlStanding,
  type SqlWorkload,
} from '../rows';

const VIEW_COLUMNS = `w.*, (SELECT COUNT(*) FROM units u INDEXED BY units_in_flight
  WHERE u.workload_id = w.id AND u.state = 'open' AND u.in_flight > 0) AS units_in_flight`;

export class SqliteViews {
  constructor(
    protected readonly sql: StatementCache,
    readonly now: number,
    /** [L5] The process whose transaction this is: leases carry it. */
    protected readonly instanceId: string,
    /** The data folder's datasets (files beside the database, outside SQLite's transactions). */
    private readonly datasetFiles: DatasetStore,
  ) {}

  /** Changes to platform_counts (migration 12) this transaction has made and not yet written. */
  protected readonly countChanges = new CountChanges();

  /**
   * Writes rows changed in memory before a query reads their tables (sqliteRecords.ts); the
   * subclasses write theirs, then this writes the counts their changes moved.
   */
  flush(): void {
    for (const [name, by] of this.countChanges.take()) {
      this.sql
        .get(
          `INSERT INTO platform_counts (name, n) VALUES (?, ?)
           ON CONFLICT (name) DO UPDATE SET n = n + excluded.n`,
        )
        .run(name, by);
    }
  }

  // Transactions on one SQLite file run one at a time (sqliteRepository.ts), so a dataset read
  // here stays as it is until this one ends: holding it needs no lock.
  async holdDataset(id: string, _purpose: 'use' | 'delete'): Promise<boolean> {
    return (await this.datasetFiles.meta(id)) !== null;
  }

  async deleteDataset(id: string): Promise<void> {
    await this.datasetFiles.delete(id);
  }

  async blob(workloadId: string, name: string): Promise<Uint8Array | null> {
    const row = this.sql
      .get('SELECT bytes FROM workload_blobs WHERE workload_id = ? AND name = ?')
      .get(workloadId, name) as { bytes: Buffer } | undefined;
    return row?.bytes ?? null;
  }

  async putBlob(workloadId: string, name: string, bytes: Uint8Array): Promise<void> {
    this.sql
      .get('INSERT OR REPLACE INTO workload_blobs (workload_id, name, bytes) VALUES (?, ?, ?)')
      .run(workloadId, name, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  async deleteBlob(workloadId: string, name: string): Promise<void> {
    this.sql
      .get('DELETE FROM workload_blobs WHERE workload_id = ? AND name = ?')
      .run(workloadId, name);
  }

  async records(workloadId: string): Promise<unknown[]> {
    const rows = this.sql
      .get('SELECT body FROM workload_records WHERE workload_id = ? ORDER BY seq')
      .all(workloadId) as Array<{ body: string }>;
    return rows.map((r) => JSON.parse(r.body) as unknown);
  }

  async putRecord(workloadId: string, seq: number, body: unknown): Promise<void> {
    this.sql
      .get('INSERT OR REPLACE INTO workload_records (workload_id, seq, body) VALUES (?, ?, ?)')
      .run(workloadId, seq, JSON.stringify(body));
  }

  async workloadViews(id?: string): Promise<WorkloadView[]> {
    this.flush();
    const rows = (
      id === undefined
        ? this.sql
            .get(`SELECT ${VIEW_COLUMNS} FROM workloads w ORDER BY w.created_at DESC, w.id`)
            .all()
        : this.sql.get(`SELECT ${VIEW_COLUMNS} FROM workloads w WHERE w.id = ?`).all(id)
    ) as SqlWorkload[];
    return rows.map((row) => ({ ...toWorkloadRow(row), unitsInFlight: row.units_in_flight ?? 0 }));
  }

  async counts(windowMs: number): Promise<PlatformCounts> {
    this.flush();
    const statuses = this.sql
      .get('SELECT status, COUNT(*) AS n FROM workloads GROUP BY status')
      .all() as Array<{ status: WorkloadStatus; n: number }>;
    const kept = this.sql
      .get(`SELECT name, n FROM platform_counts WHERE name NOT LIKE 'in_flight:%'`)
      .all() as Array<{
      name: string;
      n: number;
    }>;
    const states = kept
      .filter((c) => c.name.startsWith('replicas:'))
      .map((c) => ({ state: c.name.slice('replicas:'.length) as ReplicaState, n: c.n }));
    const validated = this.sql
      .get('SELECT COALESCE(SUM(units_validated), 0) AS n FROM workloads')
      .get() as { n: number };
    // Monte Carlo work is samples; gradient units count as units but their work (examples x
    // parameters) is not added to the samples figure.
    const recent = this.sql
      .get(
        `SELECT COUNT(*) AS units, COALESCE(SUM(CASE WHEN w.kind = 'montecarlo' THEN u.work END), 0)
           AS work FROM units u INDEXED BY units_validated_at JOIN workloads w ON w.id = u.workload_id
         WHERE u.validated_at IS NOT NULL AND u.validated_at > ?`,
      )
      .get(this.now - windowMs) as { units: number; work: number };
    const volunteers = kept.find((c) => c.name === 'volunteers')?.n ?? 0;
    return toPlatformCounts(
      { statuses, states, validated: validated.n, recent, volunteers },
      windowMs,
    );
  }

  async leaderboard(limit: number): Promise<VolunteerStanding[]> {
    this.flush();
    const rows = this.sql
      .get(
        `SELECT id, display_name, credit_micro, units_valid FROM volunteers INDEXED BY volunteers_leaderboard
         WHERE units_valid > 0 AND credit_micro > 0
         ORDER BY credit_micro DESC, units_valid DESC, created_at ASC, id ASC LIMIT ?`,
      )
      .all(Math.max(0, Math.floor(limit))) as SqlStanding[];
    return rows.map(toStanding);
  }
}
