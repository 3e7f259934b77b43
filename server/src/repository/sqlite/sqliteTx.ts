// The engine's transaction context on SQLite: every method is one or two prepared statements on
// the repository's connection, run while the repository holds its transaction (sqliteRepository.ts).
import type { WorkloadStatus } from '@tessera/shared';
import type {
  ActiveWorkload,
  InFlightFilter,
  LeasableQuery,
  NewReplica,
  NewUnit,
  ReplicaPatch,
  ReplicaRow,
  StragglerQuery,
  TokenRow,
  Tx,
  UnitPatch,
  UnitRow,
  VolunteerPatch,
  VolunteerRow,
  WorkloadRow,
} from '../../engine/repository';
import type { StatementCache } from './statementCache';
import {
  PATCH_COLUMNS,
  sqlValue,
  toReplicaRow,
  toUnitRow,
  toVolunteerRow,
  toWorkloadRow,
  type SqlReplica,
  type SqlUnit,
  type SqlVolunteer,
  type SqlWorkload,
} from './sqliteRows';
import { SqliteViews } from './sqliteViews';

/** [L2] Replica states that bar their volunteer (and network group) from another of the unit. */
export const BARRING = `(r.state IN ('in_flight', 'returned', 'valid', 'errored')
  OR (r.state = 'invalid' AND r.withdrawn = 0))`;

const FINAL: readonly WorkloadStatus[] = ['completed', 'failed', 'cancelled'];

export class SqliteTx extends SqliteViews implements Tx {
  private patch(
    table: keyof typeof PATCH_COLUMNS,
    where: string,
    patch: Record<string, unknown>,
    keys: unknown[],
  ): void {
    const columns = PATCH_COLUMNS[table] as Record<string, string>;
    const names = Object.keys(patch).filter((k) => patch[k] !== undefined);
    if (names.length === 0) return;
    const set = names.map((n) => `${columns[n]} = ?`).join(', ');
    this.sql
      .get(`UPDATE ${table} SET ${set} WHERE ${where}`)
      .run(...names.map((n) => sqlValue(patch[n])), ...keys);
  }

  // --- workloads ------------------------------------------------------------------------------

  async insertWorkload(row: Omit<WorkloadRow, 'updatedAt' | 'completedAt'>): Promise<void> {
    this.sql
      .get(
        `INSERT INTO workloads (id, name, kind, estimator, spec, redundancy, status, units_total,
           units_validated, units_failed, aggregate, failure_reason, owner, priority, created_at,
           updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
        row.createdAt,
      );
  }

  async workload(id: string): Promise<WorkloadRow | null> {
    const row = this.sql.get('SELECT * FROM workloads WHERE id = ?').get(id) as
      SqlWorkload | undefined;
    return row ? toWorkloadRow(row) : null;
  }

  async setWorkloadStatus(id: string, status: WorkloadStatus, reason: string | null) {
    const final = FINAL.includes(status);
    this.sql
      .get(
        `UPDATE workloads SET status = ?, failure_reason = ?, updated_at = ?, completed_at = ?
         WHERE id = ?`,
      )
      .run(status, reason, this.now, final ? this.now : null, id);
  }

  async startWorkload(id: string): Promise<void> {
    this.sql
      .get(
        `UPDATE workloads SET status = 'running', updated_at = ? WHERE id = ? AND status = 'queued'`,
      )
      .run(this.now, id);
  }

  async addUnitsValidated(id: string, delta: number): Promise<void> {
    this.sql
      .get(
        'UPDATE workloads SET units_validated = units_validated + ?, updated_at = ? WHERE id = ?',
      )
      .run(delta, this.now, id);
  }

  async addUnitsFailed(id: string, delta: number): Promise<void> {
    this.sql
      .get('UPDATE workloads SET units_failed = units_failed + ?, updated_at = ? WHERE id = ?')
      .run(delta, this.now, id);
  }

  async setAggregate(id: string, aggregate: unknown): Promise<void> {
    this.sql
      .get('UPDATE workloads SET aggregate = ?, updated_at = ? WHERE id = ?')
      .run(JSON.stringify(aggregate), this.now, id);
  }

  async activeWorkloads(): Promise<ActiveWorkload[]> {
    const rows = this.sql
      .get(
        `SELECT w.id, w.owner, COALESCE(t.share, 1) AS share, w.priority, w.created_at,
           (SELECT COUNT(*) FROM replicas r INDEXED BY replicas_in_flight
             WHERE r.workload_id = w.id AND r.state = 'in_flight') AS in_flight
         FROM workloads w INDEXED BY workloads_active LEFT JOIN tokens t ON t.id = w.owner
         WHERE w.status IN ('queued', 'running') ORDER BY w.created_at, w.id`,
      )
      .all() as Array<{
      id: string;
      owner: string | null;
      share: number;
      priority: number;
      created_at: number;
      in_flight: number;
    }>;
    return rows.map((r) => ({
      id: r.id,
      owner: r.owner,
      share: r.share,
      priority: r.priority,
      createdAt: r.created_at,
      inFlight: r.in_flight,
    }));
  }

  // --- units ----------------------------------------------------------------------------------

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
    const row = this.sql
      .get('SELECT * FROM units WHERE workload_id = ? AND idx = ?')
      .get(workloadId, idx) as SqlUnit | undefined;
    return row ? toUnitRow(row) : null;
  }

  async updateUnit(workloadId: string, idx: number, patch: UnitPatch): Promise<void> {
    this.patch('units', 'workload_id = ? AND idx = ?', patch, [workloadId, idx]);
  }

  async leasableUnits(q: LeasableQuery): Promise<UnitRow[]> {
    const preferred =
      q.preferKeys.length === 0 ? '' : `u.lease_key IN (SELECT value FROM json_each(@held)) DESC, `;
    const rows = this.sql
      .get(
        `SELECT u.* FROM units u INDEXED BY units_leasable
         WHERE u.workload_id = @workload AND u.state = 'open' AND u.open_slots > 0
           AND u.round = (SELECT MIN(round) FROM units m INDEXED BY units_leasable
                          WHERE m.workload_id = @workload AND m.state = 'open' AND m.open_slots > 0
                            AND NOT EXISTS (SELECT 1 FROM replicas r
                              WHERE r.workload_id = m.workload_id AND r.unit_idx = m.idx AND ${BARRING}
                                AND (r.volunteer_id = @volunteer OR r.net_group = @net)))
           AND NOT EXISTS (SELECT 1 FROM replicas r
             WHERE r.workload_id = u.workload_id AND r.unit_idx = u.idx AND ${BARRING}
               AND (r.volunteer_id = @volunteer OR r.net_group = @net))
         ORDER BY ${preferred}u.idx LIMIT @limit`,
      )
      .all({
        workload: q.workloadId,
        volunteer: q.volunteerId,
        net: q.netGroup,
        limit: q.limit,
        ...(q.preferKeys.length > 0 ? { held: JSON.stringify(q.preferKeys) } : {}),
      }) as SqlUnit[];
    return rows.map(toUnitRow);
  }

  async stragglerUnit(q: StragglerQuery): Promise<UnitRow | null> {
    const row = this.sql
      .get(
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
      }) as SqlUnit | undefined;
    return row ? toUnitRow(row) : null;
  }

  async unitsOfRound(workloadId: string, round: number): Promise<UnitRow[]> {
    const rows = this.sql
      .get('SELECT * FROM units WHERE workload_id = ? AND round = ? ORDER BY idx')
      .all(workloadId, round) as SqlUnit[];
    return rows.map(toUnitRow);
  }

  async workloadOfLeaseKey(key: string): Promise<string | null> {
    const row = this.sql
      .get('SELECT workload_id FROM units INDEXED BY units_lease_key WHERE lease_key = ? LIMIT 1')
      .get(key) as { workload_id: string } | undefined;
    return row?.workload_id ?? null;
  }

  async clearCanonicals(workloadId: string, round: number): Promise<void> {
    this.sql
      .get('UPDATE units SET canonical = NULL WHERE workload_id = ? AND round = ?')
      .run(workloadId, round);
    this.sql
      .get(
        `UPDATE replicas SET result = NULL WHERE workload_id = ? AND result IS NOT NULL
           AND unit_idx IN (SELECT idx FROM units WHERE workload_id = ? AND round = ?)`,
      )
      .run(workloadId, workloadId, round);
  }

  async stalledUnits(limit: number): Promise<Array<{ workloadId: string; idx: number }>> {
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
    return this.sql
      .get(
        `SELECT COUNT(DISTINCT CASE WHEN fault = 'volunteer' THEN volunteer_id END) AS own,
           COUNT(DISTINCT CASE WHEN fault IS NOT NULL THEN volunteer_id END) AS any
         FROM replicas INDEXED BY replicas_unit WHERE workload_id = ? AND unit_idx = ?`,
      )
      .get(workloadId, idx) as { own: number; any: number };
  }

  async waitingUnits(workloadId: string): Promise<Array<{ idx: number; barred: string[] }>> {
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

  async insertReplica(r: NewReplica): Promise<number> {
    const info = this.sql
      .get(
        `INSERT INTO replicas (workload_id, unit_idx, volunteer_id, connection_id, net_group, state,
           leased_at, deadline) VALUES (?, ?, ?, ?, ?, 'in_flight', ?, ?)`,
      )
      .run(
        r.workloadId,
        r.unitIdx,
        r.volunteerId,
        r.connectionId,
        r.netGroup,
        r.leasedAt,
        r.deadline,
      );
    return Number(info.lastInsertRowid);
  }

  async replica(id: string | number): Promise<ReplicaRow | null> {
    const row = this.sql.get('SELECT * FROM replicas WHERE id = ?').get(id) as
      SqlReplica | undefined;
    return row ? toReplicaRow(row) : null;
  }

  async updateReplica(id: number, patch: ReplicaPatch): Promise<void> {
    this.patch('replicas', 'id = ?', patch, [id]);
  }

  async replicasOfUnit(workloadId: string, idx: number): Promise<ReplicaRow[]> {
    const rows = this.sql
      .get(
        `SELECT * FROM replicas INDEXED BY replicas_unit WHERE workload_id = ? AND unit_idx = ?
         ORDER BY returned_at, id`,
      )
      .all(workloadId, idx) as SqlReplica[];
    return rows.map(toReplicaRow);
  }

  async inFlight(filter: InFlightFilter): Promise<ReplicaRow[]> {
    let rows: SqlReplica[];
    if ('all' in filter) {
      rows = this.sql
        .get(
          `SELECT * FROM replicas INDEXED BY replicas_deadline WHERE state = 'in_flight' ORDER BY id`,
        )
        .all() as SqlReplica[];
    } else if ('connectionId' in filter) {
      rows = this.sql
        .get(
          `SELECT * FROM replicas INDEXED BY replicas_connection
           WHERE state = 'in_flight' AND connection_id = ? ORDER BY id`,
        )
        .all(filter.connectionId) as SqlReplica[];
    } else if ('deadlineBefore' in filter) {
      rows = this.sql
        .get(
          `SELECT * FROM replicas INDEXED BY replicas_deadline
           WHERE state = 'in_flight' AND deadline < ? ORDER BY id`,
        )
        .all(filter.deadlineBefore) as SqlReplica[];
    } else if ('volunteerId' in filter) {
      rows = this.sql
        .get(
          `SELECT * FROM replicas INDEXED BY replicas_volunteer_in_flight
           WHERE state = 'in_flight' AND volunteer_id = ? ORDER BY id`,
        )
        .all(filter.volunteerId) as SqlReplica[];
    } else {
      rows = this.sql
        .get(
          `SELECT r.* FROM replicas r INDEXED BY replicas_in_flight
           WHERE r.state = 'in_flight' AND r.workload_id = @w
             AND (@round IS NULL OR r.unit_idx IN
                  (SELECT idx FROM units WHERE workload_id = @w AND round = @round))
           ORDER BY r.id`,
        )
        .all({ w: filter.workloadId, round: filter.round ?? null }) as SqlReplica[];
    }
    return rows.map(toReplicaRow);
  }

  async countInFlight(connectionId: string): Promise<number> {
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
    const rows = this.sql
      .get(
        `SELECT r.* FROM replicas r INDEXED BY replicas_volunteer_valid
         JOIN units u ON u.workload_id = r.workload_id AND u.idx = r.unit_idx
         WHERE r.volunteer_id = ? AND r.state = 'valid' AND u.state = 'validated'
           AND u.verified = 0 ORDER BY r.id`,
      )
      .all(volunteerId) as SqlReplica[];
    return rows.map(toReplicaRow);
  }

  async pendingVotesOf(volunteerId: string): Promise<ReplicaRow[]> {
    const rows = this.sql
      .get(
        `SELECT r.* FROM replicas r INDEXED BY replicas_volunteer_returned
         WHERE r.volunteer_id = ? AND r.state = 'returned' ORDER BY r.id`,
      )
      .all(volunteerId) as SqlReplica[];
    return rows.map(toReplicaRow);
  }

  async withdrawnBy(replicaId: number): Promise<ReplicaRow[]> {
    const rows = this.sql
      .get('SELECT * FROM replicas WHERE withdrawn_by = ? ORDER BY id')
      .all(replicaId) as SqlReplica[];
    return rows.map(toReplicaRow);
  }

  // --- volunteers and tokens ------------------------------------------------------------------

  async insertVolunteer(v: Pick<VolunteerRow, 'id' | 'secretHash' | 'displayName'>) {
    this.sql
      .get(
        `INSERT INTO volunteers (id, secret_hash, display_name, created_at, last_seen)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(v.id, v.secretHash, v.displayName, this.now, this.now);
  }

  async volunteer(id: string): Promise<VolunteerRow | null> {
    const row = this.sql.get('SELECT * FROM volunteers WHERE id = ?').get(id) as
      SqlVolunteer | undefined;
    return row ? toVolunteerRow(row) : null;
  }

  async updateVolunteer(id: string, patch: VolunteerPatch): Promise<void> {
    this.patch('volunteers', 'id = ?', patch, [id]);
  }

  async touchVolunteer(id: string, displayName?: string): Promise<void> {
    this.sql
      .get(
        'UPDATE volunteers SET last_seen = ?, display_name = COALESCE(?, display_name) WHERE id = ?',
      )
      .run(this.now, displayName ?? null, id);
  }

  async crowdErrors(): Promise<{ errors: number; results: number }> {
    return this.sql
      .get(
        `SELECT COALESCE(SUM(units_errored), 0) AS errors,
           COALESCE(SUM(units_valid + units_invalid), 0) AS results FROM volunteers`,
      )
      .get() as { errors: number; results: number };
  }

  async addToken(name: string, hash: string, share: number): Promise<string> {
    const info = this.sql
      .get('INSERT INTO tokens (name, hash, share, created_at) VALUES (?, ?, ?, ?)')
      .run(name, hash, share, this.now);
    return String(info.lastInsertRowid);
  }

  async tokenByHash(hash: string): Promise<TokenRow | null> {
    const row = this.sql.get('SELECT id, name, share FROM tokens WHERE hash = ?').get(hash) as
      { id: number; name: string; share: number } | undefined;
    return row ? { id: String(row.id), name: row.name, share: row.share } : null;
  }

  async countTokens(): Promise<number> {
    return (this.sql.get('SELECT COUNT(*) AS n FROM tokens').get() as { n: number }).n;
  }
}
