// Unit rows inside one PostgreSQL transaction (pgTx.ts adds replicas and the one-statement lease;
// pgRecords.ts states the lock order). Leasable units are read with `FOR NO KEY UPDATE SKIP
// LOCKED`, so coordinator processes leasing at once get different units without waiting; a unit
// read to be changed is locked after its workload's row. Unit rows are changed in memory and
// written once at flush, as on SQLite.
import type {
  LeasableQuery,
  NewUnit,
  StragglerQuery,
  UnitPatch,
  UnitRow,
} from '../../engine/repository';
import { canonicalsWanted, fillCanonicals, toUnitRow, unitUpdate, type SqlUnit } from '../rows';
import { UnitCache } from '../unitCache';
import { PgRecords } from './pgRecords';
import { BARRING, STRAGGLER_SQL } from './pgQueries';

export class PgUnits extends PgRecords {
  protected readonly units = new UnitCache();

  /** A replica's result as this transaction holds it; undefined when it has not read it. */
  protected heldResult(_replicaId: number): Uint8Array | null | undefined {
    return undefined;
  }

  /**
   * Unit rows as read, with their canonical results' bytes from the replicas that hold them
   * (UnitRow.canonicalReplica): this transaction's copies, the rest in one query.
   */
  protected async unitRowsOf(rows: readonly SqlUnit[]): Promise<UnitRow[]> {
    const units = rows.map(toUnitRow);
    const wanted = canonicalsWanted(units, (id) => this.heldResult(id));
    if (wanted.length > 0) {
      fillCanonicals(
        units,
        await this.sql.rows<{ id: number; result: Buffer | null }>(
          'SELECT id, result FROM replicas WHERE id = ANY($1::bigint[])',
          [wanted],
        ),
      );
    }
    return units;
  }

  override async flushUnits(): Promise<void> {
    for (const { row, changed } of this.units.takeDirty()) {
      if (changed.size === 0) continue;
      const { columns, values } = unitUpdate(row, changed);
      const set = columns.map((c, i) => `${c} = $${i + 1}`).join(', ');
      const key = `workload_id = $${columns.length + 1} AND idx = $${columns.length + 2}`;
      this.sql.send(`UPDATE units SET ${set} WHERE ${key}`, values);
    }
  }

  // --- units ----------------------------------------------------------------------------------

  async insertUnits(workloadId: string, units: readonly NewUnit[], quorum: number): Promise<void> {
    // Many rows per statement: a 10,000-unit workload is 20 statements, not 10,000.
    for (let start = 0; start < units.length; start += 500) {
      const batch = units.slice(start, start + 500);
      const values: unknown[] = [workloadId, quorum];
      const tuples = batch.map((u) => {
        values.push(
          u.idx,
          u.work,
          u.round ?? 0,
          u.plan === undefined ? null : JSON.stringify(u.plan),
          u.leaseKey ?? null,
        );
        const n = values.length;
        return `($1, $${n - 4}, 'open', $2, $2, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
      });
      await this.sql.run(
        `INSERT INTO units (workload_id, idx, state, wanted, quorum, work, round, plan, lease_key)
         VALUES ${tuples.join(', ')}`,
        values,
      );
    }
  }

  async unit(workloadId: string, idx: number): Promise<UnitRow | null> {
    const cached = this.units.get(workloadId, idx);
    if (cached) return cached;
    await this.workload(workloadId);
    const row = await this.sql.row<SqlUnit>(
      'SELECT * FROM units WHERE workload_id = $1 AND idx = $2 FOR NO KEY UPDATE',
      [workloadId, idx],
    );
    if (!row) return null;
    const [parsed] = (await this.unitRowsOf([row])) as [UnitRow];
    this.units.put(parsed);
    return parsed;
  }

  async updateUnit(workloadId: string, idx: number, patch: UnitPatch): Promise<void> {
    if (await this.unit(workloadId, idx)) this.units.patch(workloadId, idx, patch);
  }

  async leasableUnits(q: LeasableQuery): Promise<UnitRow[]> {
    await this.flushUnits();
    const values: unknown[] = [q.workloadId, q.volunteerId, q.netGroup, q.limit];
    let preferred = '';
    if (q.preferKeys.length > 0) {
      values.push(q.preferKeys);
      preferred = 'u.lease_key = ANY($5::text[]) DESC, ';
    }
    // Units this volunteer may hold, earliest round first, locked as they are read; units
    // another process is leasing right now are skipped, not waited for.
    const rows = await this.sql.rows<SqlUnit>(
      `SELECT u.* FROM units u
       WHERE u.workload_id = $1 AND u.state = 'open' AND u.open_slots > 0
         AND NOT EXISTS (SELECT 1 FROM replicas r
           WHERE r.workload_id = u.workload_id AND r.unit_idx = u.idx AND ${BARRING}
             AND (r.volunteer_id = $2 OR r.net_group = $3))
       ORDER BY u.round, ${preferred}u.idx LIMIT $4
       FOR NO KEY UPDATE OF u SKIP LOCKED`,
      values,
      // A generic plan cannot use the partial index for this workload and sorts every unit.
      'each',
    );
    const round = rows[0]?.round;
    return this.units.seed(await this.unitRowsOf(rows.filter((r) => r.round === round)));
  }

  async stragglerUnit(q: StragglerQuery): Promise<UnitRow | null> {
    await this.flushUnits();
    const row = await this.sql.row<SqlUnit>(STRAGGLER_SQL, [
      q.workloadId,
      q.volunteerId,
      q.netGroup,
      q.now,
      q.maxReplicas,
      q.floorMs,
      q.factor,
    ]);
    return row ? this.units.seed(await this.unitRowsOf([row]))[0]! : null;
  }

  async unitsOfRound(workloadId: string, round: number): Promise<UnitRow[]> {
    await this.flushUnits();
    const rows = await this.sql.rows<SqlUnit>(
      'SELECT * FROM units WHERE workload_id = $1 AND round = $2 ORDER BY idx',
      [workloadId, round],
    );
    return this.unitRowsOf(rows);
  }

  async unitsUnsettled(workloadId: string, round: number): Promise<number> {
    await this.flushUnits();
    const row = await this.sql.row<{ n: number }>(
      `SELECT COUNT(*)::int AS n FROM units
       WHERE workload_id = $1 AND round = $2 AND state <> 'validated'`,
      [workloadId, round],
    );
    return row!.n;
  }

  async workloadOfLeaseKey(leaseKey: string): Promise<string | null> {
    const row = await this.sql.row<{ workload_id: string }>(
      'SELECT workload_id FROM units WHERE lease_key = $1 LIMIT 1',
      [leaseKey],
    );
    return row?.workload_id ?? null;
  }

  async stalledUnits(limit: number): Promise<Array<{ workloadId: string; idx: number }>> {
    await this.flushUnits();
    const rows = await this.sql.rows<{ workload_id: string; idx: number }>(
      `SELECT u.workload_id, u.idx FROM units u
       JOIN workloads w ON w.id = u.workload_id AND w.status IN ('queued', 'running')
       WHERE u.state = 'open' AND u.in_flight = 0 AND u.returned > 0 LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ workloadId: r.workload_id, idx: r.idx }));
  }

  async failingVolunteers(workloadId: string, idx: number): Promise<{ own: number; any: number }> {
    return (await this.sql.row<{ own: number; any: number }>(
      `SELECT COUNT(DISTINCT CASE WHEN fault = 'volunteer' THEN volunteer_id END) AS own,
         COUNT(DISTINCT CASE WHEN fault IS NOT NULL THEN volunteer_id END) AS any
       FROM replicas WHERE workload_id = $1 AND unit_idx = $2`,
      [workloadId, idx],
    ))!;
  }

  async workloadFaults(workloadId: string): Promise<{ faulty: number; leasers: number }> {
    return (await this.sql.row<{ faulty: number; leasers: number }>(
      `SELECT COUNT(DISTINCT CASE WHEN fault = 'volunteer' THEN volunteer_id END) AS faulty,
         COUNT(DISTINCT volunteer_id) AS leasers
       FROM replicas WHERE workload_id = $1`,
      [workloadId],
    ))!;
  }

  async waitingUnits(workloadId: string): Promise<Array<{ idx: number; barred: string[] }>> {
    await this.flushUnits();
    return this.sql.rows<{ idx: number; barred: string[] }>(
      `SELECT u.idx, COALESCE((SELECT array_agg(DISTINCT r.volunteer_id) FROM replicas r
          WHERE r.workload_id = u.workload_id AND r.unit_idx = u.idx AND ${BARRING}), '{}')
          AS barred
       FROM units u
       WHERE u.workload_id = $1 AND u.state = 'open' AND u.open_slots > 0 AND u.in_flight = 0
         AND (u.returned > 0 OR u.errors > 0)
       ORDER BY u.idx LIMIT 100`,
      [workloadId],
    );
  }
}
