// The engine's transaction context on SQLite: every method is one or two prepared statements on
// the repository's connection, run while the repository holds its transaction (sqliteRepository.ts).
import type {
  InFlightFilter,
  LeasableQuery,
  NewReplica,
  ReplicaPatch,
  ReplicaRow,
  ReplicaState,
  Tx,
  UnitRow,
} from '../../engine/repository';
import {
  byReturnOrder,
  definedOf,
  REPLICA_COLUMNS,
  sqlValue,
  toReplicaRow,
  toUnitRow,
  type SqlReplica,
  type SqlUnit,
} from '../rows';
import { replicaMoved } from '../platformCounts';
import { unitKey } from '../unitCache';
import { BARRING, SqliteUnits } from './sqliteUnits';

export class SqliteTx extends SqliteUnits implements Tx {
  /**
   * Replica rows read or written in this transaction, kept current: a result reads its replica,
   * marks it returned, and often judges it valid in the same transaction; the changes are merged
   * and written once at flush. Queries that select replicas by state flush first; the two that
   * select by id or unit read the table and take the cached rows over what it still holds.
   */
  private readonly replicaRows = new Map<number, ReplicaRow>();
  private readonly replicaPatches = new Map<number, ReplicaPatch>();
  /** Units whose every replica is in replicaRows (read by prefetchResults). */
  private readonly knownUnits = new Set<string>();
  /** Each known replica's state as the table holds it (what a flush moves the counts from). */
  private readonly tableStates = new Map<number, { state: ReplicaState; workloadId: string }>();

  override flush(): void {
    for (const [id, patch] of this.replicaPatches) {
      // Patches hold only the fields they set (definedOf).
      const names = Object.keys(patch) as Array<keyof ReplicaPatch>;
      if (names.length === 0) continue;
      if (patch.state !== undefined) this.countMove(id, patch.state);
      const set = names.map((n) => `${REPLICA_COLUMNS[n]} = ?`).join(', ');
      this.sql
        .get(`UPDATE replicas SET ${set} WHERE id = ?`)
        .run(...names.map((n) => sqlValue(patch[n])), id);
    }
    this.replicaPatches.clear();
    super.flush();
  }

  /** A replica leaving its table state for `state`: the platform counts follow at flush. */
  private countMove(id: number, state: ReplicaState): void {
    const was =
      this.tableStates.get(id) ??
      (this.sql
        .get('SELECT state, workload_id AS workloadId FROM replicas WHERE id = ?')
        .get(id) as {
        state: ReplicaState;
        workloadId: string;
      });
    replicaMoved(this.countChanges.add, was.workloadId, was.state, state);
    this.tableStates.set(id, { state, workloadId: was.workloadId });
  }

  /** The cached row of a replica the table returned (newer than the table's), cached if new. */
  private current(row: SqlReplica): ReplicaRow {
    const cached = this.replicaRows.get(row.id);
    if (cached) return { ...cached };
    this.tableStates.set(row.id, { state: row.state, workloadId: row.workload_id });
    const parsed = toReplicaRow(row);
    this.replicaRows.set(parsed.id, parsed);
    return { ...parsed };
  }

  // --- units ----------------------------------------------------------------------------------

  async leasableUnits(q: LeasableQuery): Promise<UnitRow[]> {
    this.flush();
    const preferred =
      q.preferKeys.length === 0 ? '' : `u.lease_key IN (SELECT value FROM json_each(@held)) DESC, `;
    // Units this volunteer may hold, earliest round first; only the first round's are kept.
    const rows = this.sql
      .rows<SqlUnit>(
        `SELECT u.* FROM units u INDEXED BY units_leasable
         WHERE u.workload_id = @workload AND u.state = 'open' AND u.open_slots > 0
           AND NOT EXISTS (SELECT 1 FROM replicas r
             WHERE r.workload_id = u.workload_id AND r.unit_idx = u.idx AND ${BARRING}
               AND (r.volunteer_id = @volunteer OR r.net_group = @net))
         ORDER BY u.round, ${preferred}u.idx LIMIT @limit`,
      )
      .all({
        workload: q.workloadId,
        volunteer: q.volunteerId,
        net: q.netGroup,
        limit: q.limit,
        ...(q.preferKeys.length > 0 ? { held: JSON.stringify(q.preferKeys) } : {}),
      });
    const round = rows[0]?.round;
    return this.units.seed(this.unitRowsOf(rows.filter((r) => r.round === round)));
  }

  async workloadOfLeaseKey(key: string): Promise<string | null> {
    const row = this.sql
      .get('SELECT workload_id FROM units INDEXED BY units_lease_key WHERE lease_key = ? LIMIT 1')
      .get(key) as { workload_id: string } | undefined;
    return row?.workload_id ?? null;
  }

  async clearCanonicals(workloadId: string, round: number): Promise<void> {
    this.flush();
    this.units.forget(workloadId);
    for (const [id, r] of this.replicaRows) {
      if (r.workloadId === workloadId) this.replicaRows.delete(id);
    }
    this.knownUnits.clear();
    this.sql
      .get(
        'UPDATE units SET canonical = NULL, canonical_replica = NULL WHERE workload_id = ? AND round = ?',
      )
      .run(workloadId, round);
    this.sql
      .get(
        `UPDATE replicas SET result = NULL WHERE workload_id = ? AND result IS NOT NULL
           AND unit_idx IN (SELECT idx FROM units WHERE workload_id = ? AND round = ?)`,
      )
      .run(workloadId, workloadId, round);
  }

  async stalledUnits(limit: number): Promise<Array<{ workloadId: string; idx: number }>> {
    this.flush();
    const rows = this.sql
      .get(
        `SELECT u.workload_id, u.idx FROM units u INDEXED BY units_stalled
         JOIN workloads w ON w.id = u.workload_id AND w.status IN ('queued', 'running')
         WHERE u.state = 'open' AND u.in_flight = 0 AND u.returned > 0 LIMIT ?`,
      )
      .all(limit) as Array<{ workload_id: string; idx: number }>;
    return rows.map((r) => ({ workloadId: r.workload_id, idx: r.idx }));
  }

  async failingVolunteers(workloadId: string, idx: number): Promise<{ own: number; any: number }> {
    this.flush();
    return this.sql
      .get(
        `SELECT COUNT(DISTINCT CASE WHEN fault = 'volunteer' THEN volunteer_id END) AS own,
           COUNT(DISTINCT CASE WHEN fault IS NOT NULL THEN volunteer_id END) AS any
         FROM replicas INDEXED BY replicas_unit WHERE workload_id = ? AND unit_idx = ?`,
      )
      .get(workloadId, idx) as { own: number; any: number };
  }

  async workloadFaults(workloadId: string): Promise<{ faulty: number; leasers: number }> {
    this.flush();
    return this.sql
      .get(
        `SELECT COUNT(DISTINCT CASE WHEN fault = 'volunteer' THEN volunteer_id END) AS faulty,
           COUNT(DISTINCT volunteer_id) AS leasers
         FROM replicas INDEXED BY replicas_unit WHERE workload_id = ?`,
      )
      .get(workloadId) as { faulty: number; leasers: number };
  }

  async waitingUnits(workloadId: string): Promise<Array<{ idx: number; barred: string[] }>> {
    this.flush();
    const rows = this.sql
      .get(
        `SELECT u.idx, (SELECT json_group_array(DISTINCT r.volunteer_id) FROM replicas r
            WHERE r.workload_id = u.workload_id AND r.unit_idx = u.idx AND ${BARRING}) AS barred
         FROM units u INDEXED BY units_leasable
         WHERE u.workload_id = ? AND u.state = 'open' AND u.open_slots > 0 AND u.in_flight = 0
           AND (u.returned > 0 OR u.errors > 0)
         ORDER BY u.idx LIMIT 100`,
      )
      .all(workloadId) as Array<{ idx: number; barred: string }>;
    return rows.map((r) => ({ idx: r.idx, barred: JSON.parse(r.barred) as string[] }));
  }

  // --- replicas -------------------------------------------------------------------------------

  async insertReplicas(replicas: readonly NewReplica[]): Promise<number[]> {
    for (const r of replicas) this.knownUnits.delete(unitKey(r.workloadId, r.unitIdx));
    const insert = this.sql.get(
      `INSERT INTO replicas (workload_id, unit_idx, volunteer_id, connection_id, instance_id,
         net_group, state, leased_at, deadline) VALUES (?, ?, ?, ?, ?, ?, 'in_flight', ?, ?)`,
    );
    this.countChanges.add('replicas:in_flight', replicas.length);
    return replicas.map((r) => {
      this.countChanges.add(`in_flight:${r.workloadId}`, 1);
      const id = Number(
        insert.run(
          r.workloadId,
          r.unitIdx,
          r.volunteerId,
          r.connectionId,
          this.instanceId,
          r.netGroup,
          r.leasedAt,
          r.deadline,
        ).lastInsertRowid,
      );
      this.tableStates.set(id, { state: 'in_flight', workloadId: r.workloadId });
      return id;
    });
  }

  async prefetchResults(replicaIds: readonly number[]): Promise<void> {
    const ids = JSON.stringify(replicaIds.filter((id) => Number.isSafeInteger(id) && id > 0));
    // Every replica of the units named, so each unit's votes are at hand.
    const replicas = this.sql
      .rows<SqlReplica>(
        `SELECT o.* FROM replicas r
         JOIN replicas o INDEXED BY replicas_unit
           ON o.workload_id = r.workload_id AND o.unit_idx = r.unit_idx
         WHERE r.id IN (SELECT value FROM json_each(?))`,
      )
      .all(ids);
    for (const row of replicas) {
      this.current(row);
      this.knownUnits.add(unitKey(row.workload_id, row.unit_idx));
    }
    const units = this.sql
      .rows<SqlUnit>(
        `SELECT u.* FROM replicas r
         JOIN units u ON u.workload_id = r.workload_id AND u.idx = r.unit_idx
         WHERE r.id IN (SELECT value FROM json_each(?))`,
      )
      .all(ids);
    this.units.seed(this.unitRowsOf(units));
  }

  protected override heldResult(replicaId: number): Uint8Array | null | undefined {
    return this.replicaRows.get(replicaId)?.result;
  }

  async replica(id: string | number): Promise<ReplicaRow | null> {
    const cached = typeof id === 'number' ? this.replicaRows.get(id) : undefined;
    if (cached) return { ...cached };
    const row = this.sql.get('SELECT * FROM replicas WHERE id = ?').get(id) as
      SqlReplica | undefined;
    return row ? this.current(row) : null;
  }

  async updateReplica(id: number, patch: ReplicaPatch): Promise<void> {
    const defined = definedOf(patch);
    const cached = this.replicaRows.get(id);
    if (cached) Object.assign(cached, defined);
    this.replicaPatches.set(id, { ...this.replicaPatches.get(id), ...defined });
  }

  async replicasOfUnit(workloadId: string, idx: number): Promise<ReplicaRow[]> {
    if (this.knownUnits.has(unitKey(workloadId, idx))) {
      const rows: ReplicaRow[] = [];
      for (const r of this.replicaRows.values()) {
        if (r.unitIdx === idx && r.workloadId === workloadId) rows.push({ ...r });
      }
      return rows.sort(byReturnOrder);
    }
    const rows = this.sql
      .rows<SqlReplica>(
        `SELECT * FROM replicas INDEXED BY replicas_unit WHERE workload_id = ? AND unit_idx = ?
         ORDER BY returned_at, id`,
      )
      .all(workloadId, idx);
    const current = rows.map((r) => this.current(r));
    // Ordered as the table would order the rows with this transaction's changes in them.
    return this.replicaPatches.size === 0 ? current : current.sort(byReturnOrder);
  }

  async inFlight(filter: InFlightFilter): Promise<ReplicaRow[]> {
    this.flush();
    let rows: SqlReplica[];
    if ('all' in filter) {
      rows = this.sql
        .rows<SqlReplica>(
          `SELECT * FROM replicas INDEXED BY replicas_deadline WHERE state = 'in_flight' ORDER BY id`,
        )
        .all();
    } else if ('orphaned' in filter) {
      rows = this.sql
        .rows<SqlReplica>(
          `SELECT * FROM replicas INDEXED BY replicas_deadline WHERE state = 'in_flight'
             AND (instance_id IS NULL OR instance_id <> ?) ORDER BY id`,
        )
        .all(this.instanceId);
    } else if ('connectionId' in filter) {
      rows = this.sql
        .rows<SqlReplica>(
          `SELECT * FROM replicas INDEXED BY replicas_connection
           WHERE state = 'in_flight' AND connection_id = ? ORDER BY id`,
        )
        .all(filter.connectionId);
    } else if ('deadlineBefore' in filter) {
      rows = this.sql
        .rows<SqlReplica>(
          `SELECT * FROM replicas INDEXED BY replicas_deadline
           WHERE state = 'in_flight' AND deadline < ? ORDER BY id`,
        )
        .all(filter.deadlineBefore);
    } else if ('volunteerId' in filter) {
      rows = this.sql
        .rows<SqlReplica>(
          `SELECT * FROM replicas INDEXED BY replicas_deadline
           WHERE state = 'in_flight' AND volunteer_id = ? ORDER BY id`,
        )
        .all(filter.volunteerId);
    } else {
      rows = this.sql
        .rows<SqlReplica>(
          `SELECT r.* FROM replicas r INDEXED BY replicas_deadline
           WHERE r.state = 'in_flight' AND r.workload_id = @w
             AND (@round IS NULL OR r.unit_idx IN
                  (SELECT idx FROM units WHERE workload_id = @w AND round = @round))
           ORDER BY r.id`,
        )
        .all({ w: filter.workloadId, round: filter.round ?? null });
    }
    return rows.map(toReplicaRow);
  }

  async countInFlight(connectionId: string): Promise<number> {
    this.flush();
    return (
      this.sql
        .get(
          `SELECT COUNT(*) AS n FROM replicas INDEXED BY replicas_connection
           WHERE connection_id = ? AND state = 'in_flight'`,
        )
        .get(connectionId) as { n: number }
    ).n;
  }

  async unverifiedSettledBy(volunteerId: string): Promise<ReplicaRow[]> {
    this.flush();
    const rows = this.sql
      .rows<SqlReplica>(
        `SELECT r.* FROM replicas r INDEXED BY replicas_volunteer_valid
         JOIN units u ON u.workload_id = r.workload_id AND u.idx = r.unit_idx
         WHERE r.volunteer_id = ? AND r.state = 'valid' AND u.state = 'validated'
           AND u.verified = 0 ORDER BY r.id`,
      )
      .all(volunteerId);
    return rows.map(toReplicaRow);
  }

  async pendingVotesOf(volunteerId: string): Promise<ReplicaRow[]> {
    this.flush();
    const rows = this.sql
      .rows<SqlReplica>(
        `SELECT r.* FROM replicas r INDEXED BY replicas_volunteer_returned
         WHERE r.volunteer_id = ? AND r.state = 'returned' ORDER BY r.id`,
      )
      .all(volunteerId);
    return rows.map(toReplicaRow);
  }

  async withdrawnBy(replicaId: number): Promise<ReplicaRow[]> {
    this.flush();
    const rows = this.sql
      .rows<SqlReplica>('SELECT * FROM replicas WHERE withdrawn_by = ? ORDER BY id')
      .all(replicaId);
    return rows.map(toReplicaRow);
  }
}
