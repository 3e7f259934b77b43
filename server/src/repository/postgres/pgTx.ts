// The engine's transaction context on PostgreSQL: units and replicas (workloads, volunteers and
// the rest are in pgRecords.ts, which states the lock order). Leases take open units with
// `FOR NO KEY UPDATE SKIP LOCKED`, so coordinator processes leasing at once get different units
// without waiting; a unit or replica read to be changed is locked after its workload's row. Unit
// rows are changed in memory and written once at flush, as on SQLite.
import type {
  InFlightFilter,
  LeasableQuery,
  NewReplica,
  NewUnit,
  ReplicaPatch,
  ReplicaRow,
  StragglerQuery,
  Tx,
  UnitPatch,
  UnitRow,
} from '../../engine/repository';
import {
  applyUnitPatch,
  REPLICA_COLUMNS,
  sqlValue,
  toReplicaRow,
  toUnitRow,
  type SqlReplica,
  type SqlUnit,
} from '../rows';
import { PgRecords } from './pgRecords';
import { BARRING, STRAGGLER_SQL } from './pgQueries';

/** [L5] A coordinator process whose heartbeat is older than this is dead. */
export const INSTANCE_DEAD_MS = 5_000;

const key = (workloadId: string, idx: number) => `${idx}\u0000${workloadId}`;

/** A replica id as the database holds it, or null for one that cannot be ours. */
function replicaIdOf(id: string | number): number | null {
  const n = typeof id === 'number' ? id : /^\d{1,15}$/.test(id) ? Number(id) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export class PgTx extends PgRecords implements Tx {
  private readonly units = new Map<string, UnitRow>();
  private readonly dirtyUnits = new Set<string>();

  override async flushUnits(): Promise<void> {
    for (const k of this.dirtyUnits) {
      const u = this.units.get(k)!;
      this.sql.send(
        `UPDATE units SET state = $1, wanted = $2, quorum = $3, in_flight = $4, returned = $5,
           errors = $6, canonical = $7, verified = $8, pin = $9, backups = $10, validated_at = $11
         WHERE workload_id = $12 AND idx = $13`,
        [
          u.state,
          u.wanted,
          u.quorum,
          u.inFlight,
          u.returned,
          u.errors,
          sqlValue(u.canonical),
          u.verified ? 1 : 0,
          u.pin,
          u.backups,
          u.validatedAt,
          u.workloadId,
          u.idx,
        ],
      );
    }
    this.dirtyUnits.clear();
  }

  /** Rows a locking query just read: later reads of them in this transaction need no statement. */
  private seed(rows: UnitRow[]): UnitRow[] {
    for (const row of rows) {
      const k = key(row.workloadId, row.idx);
      if (!this.units.has(k)) this.units.set(k, { ...row });
    }
    return rows;
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
    const k = key(workloadId, idx);
    const cached = this.units.get(k);
    if (cached) return { ...cached };
    await this.workload(workloadId);
    const row = await this.sql.row<SqlUnit>(
      'SELECT * FROM units WHERE workload_id = $1 AND idx = $2 FOR NO KEY UPDATE',
      [workloadId, idx],
    );
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
    return this.seed(rows.filter((r) => r.round === round).map(toUnitRow));
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
    return row ? this.seed([toUnitRow(row)])[0]! : null;
  }

  async unitsOfRound(workloadId: string, round: number): Promise<UnitRow[]> {
    await this.flushUnits();
    const rows = await this.sql.rows<SqlUnit>(
      'SELECT * FROM units WHERE workload_id = $1 AND round = $2 ORDER BY idx',
      [workloadId, round],
    );
    return rows.map(toUnitRow);
  }

  async workloadOfLeaseKey(leaseKey: string): Promise<string | null> {
    const row = await this.sql.row<{ workload_id: string }>(
      'SELECT workload_id FROM units WHERE lease_key = $1 LIMIT 1',
      [leaseKey],
    );
    return row?.workload_id ?? null;
  }

  async clearCanonicals(workloadId: string, round: number): Promise<void> {
    await this.flushUnits();
    for (const [k, u] of this.units) if (u.workloadId === workloadId) this.units.delete(k);
    await this.sql.run('UPDATE units SET canonical = NULL WHERE workload_id = $1 AND round = $2', [
      workloadId,
      round,
    ]);
    await this.sql.run(
      `UPDATE replicas SET result = NULL WHERE workload_id = $1 AND result IS NOT NULL
         AND unit_idx IN (SELECT idx FROM units WHERE workload_id = $1 AND round = $2)`,
      [workloadId, round],
    );
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

  // --- replicas -------------------------------------------------------------------------------

  async insertReplica(r: NewReplica): Promise<number> {
    const row = await this.sql.row<{ id: number }>(
      `INSERT INTO replicas (workload_id, unit_idx, volunteer_id, connection_id, instance_id,
         net_group, state, leased_at, deadline)
       VALUES ($1, $2, $3, $4, $5, $6, 'in_flight', $7, $8) RETURNING id`,
      [
        r.workloadId,
        r.unitIdx,
        r.volunteerId,
        r.connectionId,
        this.instanceId,
        r.netGroup,
        r.leasedAt,
        r.deadline,
      ],
    );
    return row!.id;
  }

  /** The replica, locked after its workload's row (the lock order in pgRecords.ts). */
  async replica(id: string | number): Promise<ReplicaRow | null> {
    const replicaId = replicaIdOf(id);
    if (replicaId === null) return null;
    // Most replicas a transaction reads belong to a workload it already holds: lock at once.
    const locked = this.lockedWorkloads();
    let row = await this.sql.row<SqlReplica>(
      locked.length > 0
        ? 'SELECT * FROM replicas WHERE id = $1 AND workload_id = ANY($2::text[]) FOR NO KEY UPDATE'
        : 'SELECT * FROM replicas WHERE id = $1 AND $2::text[] IS NOT NULL',
      [replicaId, locked],
    );
    if (row && locked.includes(row.workload_id)) return toReplicaRow(row);
    const head =
      row ?? (await this.sql.row<SqlReplica>('SELECT * FROM replicas WHERE id = $1', [replicaId]));
    if (!head) return null;
    await this.workload(head.workload_id);
    row = await this.sql.row<SqlReplica>('SELECT * FROM replicas WHERE id = $1 FOR NO KEY UPDATE', [
      replicaId,
    ]);
    return row ? toReplicaRow(row) : null;
  }

  async updateReplica(id: number, patch: ReplicaPatch): Promise<void> {
    const names = (Object.keys(patch) as Array<keyof ReplicaPatch>).filter(
      (k) => patch[k] !== undefined,
    );
    if (names.length === 0) return;
    const set = names.map((n, i) => `${REPLICA_COLUMNS[n]} = $${i + 2}`).join(', ');
    this.sql.send(`UPDATE replicas SET ${set} WHERE id = $1`, [
      id,
      ...names.map((n) => sqlValue(patch[n])),
    ]);
  }

  async replicasOfUnit(workloadId: string, idx: number): Promise<ReplicaRow[]> {
    const rows = await this.sql.rows<SqlReplica>(
      `SELECT * FROM replicas WHERE workload_id = $1 AND unit_idx = $2
       ORDER BY returned_at NULLS FIRST, id`,
      [workloadId, idx],
    );
    return rows.map(toReplicaRow);
  }

  /** Replicas in flight, read without locks: callers re-read each with `replica` to change it. */
  async inFlight(filter: InFlightFilter): Promise<ReplicaRow[]> {
    let rows: SqlReplica[];
    if ('all' in filter) {
      rows = await this.sql.rows(`SELECT * FROM replicas WHERE state = 'in_flight' ORDER BY id`);
    } else if ('orphaned' in filter) {
      rows = await this.sql.rows(
        `SELECT * FROM replicas WHERE state = 'in_flight'
           AND (instance_id IS NULL OR (instance_id <> $1 AND instance_id NOT IN (
             SELECT id FROM instances
             WHERE heartbeat_at > now() - make_interval(secs => $2::double precision / 1000))))
         ORDER BY id`,
        [this.instanceId, INSTANCE_DEAD_MS],
      );
    } else if ('connectionId' in filter) {
      rows = await this.sql.rows(
        `SELECT * FROM replicas WHERE state = 'in_flight' AND connection_id = $1 ORDER BY id`,
        [filter.connectionId],
      );
    } else if ('deadlineBefore' in filter) {
      rows = await this.sql.rows(
        `SELECT * FROM replicas WHERE state = 'in_flight' AND deadline < $1 ORDER BY id`,
        [filter.deadlineBefore],
      );
    } else if ('volunteerId' in filter) {
      rows = await this.sql.rows(
        `SELECT * FROM replicas WHERE state = 'in_flight' AND volunteer_id = $1 ORDER BY id`,
        [filter.volunteerId],
      );
    } else {
      await this.flushUnits();
      rows = await this.sql.rows(
        `SELECT r.* FROM replicas r
         WHERE r.state = 'in_flight' AND r.workload_id = $1
           AND ($2::integer IS NULL OR r.unit_idx IN
                (SELECT idx FROM units WHERE workload_id = $1 AND round = $2))
         ORDER BY r.id`,
        [filter.workloadId, filter.round ?? null],
      );
    }
    return rows.map(toReplicaRow);
  }

  async countInFlight(connectionId: string): Promise<number> {
    return (await this.sql.row<{ n: number }>(
      `SELECT COUNT(*) AS n FROM replicas WHERE connection_id = $1 AND state = 'in_flight'`,
      [connectionId],
    ))!.n;
  }

  async unverifiedSettledBy(volunteerId: string): Promise<ReplicaRow[]> {
    await this.flushUnits();
    const rows = await this.sql.rows<SqlReplica>(
      `SELECT r.* FROM replicas r
       JOIN units u ON u.workload_id = r.workload_id AND u.idx = r.unit_idx
       WHERE r.volunteer_id = $1 AND r.state = 'valid' AND u.state = 'validated'
         AND u.verified = 0 ORDER BY r.id`,
      [volunteerId],
    );
    return rows.map(toReplicaRow);
  }

  async pendingVotesOf(volunteerId: string): Promise<ReplicaRow[]> {
    const rows = await this.sql.rows<SqlReplica>(
      `SELECT * FROM replicas WHERE volunteer_id = $1 AND state = 'returned' ORDER BY id`,
      [volunteerId],
    );
    return rows.map(toReplicaRow);
  }

  async withdrawnBy(replicaId: number): Promise<ReplicaRow[]> {
    const rows = await this.sql.rows<SqlReplica>(
      'SELECT * FROM replicas WHERE withdrawn_by = $1 ORDER BY id',
      [replicaId],
    );
    return rows.map(toReplicaRow);
  }
}
