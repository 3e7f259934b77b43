// Unit rows inside one SQLite transaction, with a write-back cache like sqliteRecords.ts: a
// result changes its unit two or three times (flight count, votes, validation), a batch touches
// each unit of its results, so a unit is read once, changed in memory and written once at flush.
// Queries over the units table flush first; clearCanonicals drops what it makes stale.
import type { NewUnit, UnitPatch, UnitRow } from '../../engine/repository';
import { applyUnitPatch, toUnitRow, unitUpdateValues, type SqlUnit } from '../rows';
import { SqliteRecords } from './sqliteRecords';

const key = (workloadId: string, idx: number) => `${idx}\u0000${workloadId}`;

export class SqliteUnits extends SqliteRecords {
  private readonly units = new Map<string, UnitRow>();
  private readonly dirtyUnits = new Set<string>();

  override flush(): void {
    for (const k of this.dirtyUnits) {
      const u = this.units.get(k)!;
      this.sql
        .get(
          `UPDATE units SET state = ?, wanted = ?, quorum = ?, in_flight = ?, returned = ?,
             errors = ?, canonical = ?, verified = ?, pin = ?, backups = ?, validated_at = ?
           WHERE workload_id = ? AND idx = ?`,
        )
        .run(...unitUpdateValues(u));
    }
    this.dirtyUnits.clear();
    super.flush();
  }

  /** Forgets the cached units of a workload after SQL changed them behind the cache. */
  protected forgetUnits(workloadId: string): void {
    for (const [k, u] of this.units) if (u.workloadId === workloadId) this.units.delete(k);
  }

  /** Rows a query just read: later reads of them in this transaction need no statement. */
  protected seed(rows: UnitRow[]): UnitRow[] {
    for (const row of rows) {
      const k = key(row.workloadId, row.idx);
      if (!this.units.has(k)) this.units.set(k, { ...row });
    }
    return rows;
  }

  async insertUnits(workloadId: string, units: readonly NewUnit[], quorum: number): Promise<void> {
    const insert = this.sql.get(
      `INSERT INTO units (workload_id, idx, state, wanted, quorum, work, round, plan, lease_key)
       VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?)`,
    );
    for (const u of units) {
      insert.run(
        workloadId,
        u.idx,
        quorum,
        quorum,
        u.work,
        u.round ?? 0,
        u.plan === undefined ? null : JSON.stringify(u.plan),
        u.leaseKey ?? null,
      );
    }
  }

  async unit(workloadId: string, idx: number): Promise<UnitRow | null> {
    const k = key(workloadId, idx);
    const cached = this.units.get(k);
    if (cached) return { ...cached };
    const row = this.sql
      .rows<SqlUnit>('SELECT * FROM units WHERE workload_id = ? AND idx = ?')
      .get(workloadId, idx);
    if (!row) return null;
    const parsed = toUnitRow(row);
    this.units.set(k, parsed);
    return { ...parsed };
  }

  async updateUnit(workloadId: string, idx: number, patch: UnitPatch): Promise<void> {
    if (!(await this.unit(workloadId, idx))) return;
    const k = key(workloadId, idx);
    const cached = this.units.get(k)!;
    applyUnitPatch(cached, patch);
    this.dirtyUnits.add(k);
  }

  async unitsOfRound(workloadId: string, round: number): Promise<UnitRow[]> {
    this.flush();
    const rows = this.sql
      .rows<SqlUnit>('SELECT * FROM units WHERE workload_id = ? AND round = ? ORDER BY idx')
      .all(workloadId, round);
    return rows.map(toUnitRow);
  }

  async unitsUnsettled(workloadId: string, round: number): Promise<number> {
    this.flush();
    const row = this.sql
      .get(
        `SELECT COUNT(*) AS n FROM units INDEXED BY units_round
         WHERE workload_id = ? AND round = ? AND state <> 'validated'`,
      )
      .get(workloadId, round) as { n: number };
    return row.n;
  }
}
