// Unit rows inside one SQLite transaction, through the write-back cache both repositories share
// (unitCache.ts). Queries over the units table flush first; clearCanonicals drops what it makes
// stale.
import type { NewUnit, StragglerQuery, UnitPatch, UnitRow } from '../../engine/repository';
import { canonicalsWanted, fillCanonicals, toUnitRow, unitUpdate, type SqlUnit } from '../rows';
import { UnitCache } from '../unitCache';
import { SqliteRecords } from './sqliteRecords';

/** [L2] Replica states that bar their volunteer (and network group) from another of the unit. */
export const BARRING = `(r.state IN ('in_flight', 'returned', 'valid', 'errored')
  OR (r.state = 'invalid' AND r.withdrawn = 0))`;

export class SqliteUnits extends SqliteRecords {
  protected readonly units = new UnitCache();

  /** A replica's result as this transaction holds it; undefined when it has not read it. */
  protected heldResult(_replicaId: number): Uint8Array | null | undefined {
    return undefined;
  }

  /**
   * Unit rows as read, with their canonical results' bytes from the replicas that hold them
   * (UnitRow.canonicalReplica): this transaction's copies, the rest in one query.
   */
  protected unitRowsOf(rows: readonly SqlUnit[]): UnitRow[] {
    const units = rows.map(toUnitRow);
    const wanted = canonicalsWanted(units, (id) => this.heldResult(id));
    if (wanted.length > 0) {
      fillCanonicals(
        units,
        this.sql
          .rows<{ id: number; result: Buffer | null }>(
            'SELECT id, result FROM replicas WHERE id IN (SELECT value FROM json_each(?))',
          )
          .all(JSON.stringify(wanted)),
      );
    }
    return units;
  }

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
    const [parsed] = this.unitRowsOf([row]) as [UnitRow];
    this.units.put(parsed);
    return parsed;
  }

  async updateUnit(workloadId: string, idx: number, patch: UnitPatch): Promise<void> {
    if (await this.unit(workloadId, idx)) this.units.patch(workloadId, idx, patch);
  }

  async stragglerUnit(q: StragglerQuery): Promise<UnitRow | null> {
    this.flush();
    const row = this.sql
      .rows<SqlUnit>(
        `SELECT u.* FROM units u
         WHERE u.workload_id = @workload AND u.state = 'open' AND u.in_flight > 0 AND u.backups = 0
           AND u.wanted < @maxReplicas
           AND u.round = (SELECT MIN(round) FROM units m WHERE m.workload_id = @workload
                          AND m.state = 'open')
           AND (SELECT COUNT(*) FROM units o WHERE o.workload_id = u.workload_id
                  AND o.round = u.round AND o.state = 'open')
               <= MAX(1, (SELECT COUNT(*) FROM units a WHERE a.workload_id = u.workload_id
                            AND a.round = u.round) / 4)
           AND (SELECT MIN(r.leased_at) FROM replicas r WHERE r.workload_id = u.workload_id
                  AND r.unit_idx = u.idx AND r.state = 'in_flight')
               < @now - MAX(@floor, @factor * (
                   SELECT AVG(r.returned_at - r.leased_at) FROM replicas r
                   JOIN units a ON a.workload_id = r.workload_id AND a.idx = r.unit_idx
                   WHERE r.workload_id = u.workload_id AND a.round = u.round
                     AND r.state IN ('returned', 'valid', 'invalid')))
           AND NOT EXISTS (SELECT 1 FROM replicas r
             WHERE r.workload_id = u.workload_id AND r.unit_idx = u.idx AND ${BARRING}
               AND (r.volunteer_id = @volunteer OR r.net_group = @net))
         ORDER BY u.idx LIMIT 1`,
      )
      .get({
        workload: q.workloadId,
        volunteer: q.volunteerId,
        net: q.netGroup,
        now: q.now,
        maxReplicas: q.maxReplicas,
        floor: q.floorMs,
        factor: q.factor,
      });
    return row ? this.unitRowsOf([row])[0]! : null;
  }

  async unitsOfRound(workloadId: string, round: number): Promise<UnitRow[]> {
    this.flush();
    const rows = this.sql
      .rows<SqlUnit>('SELECT * FROM units WHERE workload_id = ? AND round = ? ORDER BY idx')
      .all(workloadId, round);
    return this.unitRowsOf(rows);
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
