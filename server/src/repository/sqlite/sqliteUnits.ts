// Unit rows inside one SQLite transaction, through the write-back cache both repositories share
// (unitCache.ts). Queries over the units table flush first; clearCanonicals drops what it makes
// stale.
import type { NewUnit, UnitPatch, UnitRow } from '../../engine/repository';
import { toUnitRow, unitUpdate, type SqlUnit } from '../rows';
import { UnitCache } from '../unitCache';
import { SqliteRecords } from './sqliteRecords';

export class SqliteUnits extends SqliteRecords {
  protected readonly units = new UnitCache();

  override flush(): void {
    for (const { row, changed } of this.units.takeDirty()) {
      if (changed.size === 0) continue;
      const { columns, values } = unitUpdate(row, changed);
      const set = columns.map((c) => `${c} = ?`).join(', ');
      this.sql.get(`UPDATE units SET ${set} WHERE workload_id = ? AND idx = ?`).run(...values);
    }
    super.flush();
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
    const cached = this.units.get(workloadId, idx);
    if (cached) return cached;
    const row = this.sql
      .rows<SqlUnit>('SELECT * FROM units WHERE workload_id = ? AND idx = ?')
      .get(workloadId, idx);
    if (!row) return null;
    const parsed = toUnitRow(row);
    this.units.put(parsed);
    return parsed;
  }

  async updateUnit(workloadId: string, idx: number, patch: UnitPatch): Promise<void> {
    if (await this.unit(workloadId, idx)) this.units.patch(workloadId, idx, patch);
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
