// The engine's transaction context on PostgreSQL: replicas, on units (pgUnits.ts) and on
// workloads, volunteers and the rest (pgRecords.ts, which states the lock order). A replica read
// to be changed is locked after its workload's row; writes go out at once, pipelined.
import type {
  ClaimedUnit,
  InFlightFilter,
  LeaseClaim,
  NewReplica,
  ReplicaPatch,
  ReplicaRow,
  ReplicaState,
  Tx,
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
import { claimSql } from './pgQueries';
import { replicaMoved } from '../platformCounts';
import { unitKey } from '../unitCache';
import { PgUnits } from './pgUnits';

/** [L5] A coordinator process whose heartbeat is older than this is dead. */
export const INSTANCE_DEAD_MS = 5_000;

/** A replica id as the database holds it, or null for one that cannot be ours. */
function replicaIdOf(id: string | number): number | null {
  const n = typeof id === 'number' ? id : /^\d{1,15}$/.test(id) ? Number(id) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export class PgTx extends PgUnits implements Tx {
  /**
   * Replica rows this transaction holds locked, kept current as it changes them (the writes
   * themselves go out at once, pipelined): reading one again needs no statement.
   */
  private readonly lockedReplicas = new Map<number, ReplicaRow>();
  /**
   * Every replica of a unit the results batch names (prefetchResults), read under the unit's
   * lock and kept current: replicasOfUnit answers from it. Rows locked here are the same objects
   * as in lockedReplicas.
   */
  private readonly unitReplicas = new Map<string, Map<number, ReplicaRow>>();

  protected override heldResult(replicaId: number): Uint8Array | null | undefined {
    return this.lockedReplicas.get(replicaId)?.result;
  }

  async clearCanonicals(workloadId: string, round: number): Promise<void> {
    await this.flushUnits();
    this.units.forget(workloadId);
    for (const [id, r] of this.lockedReplicas) {
      if (r.workloadId === workloadId) this.lockedReplicas.delete(id);
    }
    this.unitReplicas.clear();
    await this.sql.run(
      `UPDATE units SET canonical = NULL, canonical_replica = NULL
         WHERE workload_id = $1 AND round = $2`,
      [workloadId, round],
    );
    await this.sql.run(
      `UPDATE replicas SET result = NULL WHERE workload_id = $1 AND result IS NOT NULL
         AND unit_idx IN (SELECT idx FROM units WHERE workload_id = $1 AND round = $2)`,
      [workloadId, round],
    );
  }

  // --- replicas -------------------------------------------------------------------------------

  async insertReplicas(replicas: readonly NewReplica[]): Promise<number[]> {
    if (replicas.length === 0) return [];
    for (const r of replicas) this.unitReplicas.delete(unitKey(r.workloadId, r.unitIdx));
    // One statement for the batch: the rows as arrays, unnested in order, ids read back with
    // their position (RETURNING promises no order of its own).
    const rows = await this.sql.rows<{ id: number; n: number }>(
      `WITH batch AS (
         SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[],
           $6::bigint[], $7::bigint[]) WITH ORDINALITY
           AS b(workload_id, unit_idx, volunteer_id, connection_id, net_group, leased_at,
             deadline, n)),
       inserted AS (
         INSERT INTO replicas (workload_id, unit_idx, volunteer_id, connection_id, instance_id,
           net_group, state, leased_at, deadline)
         SELECT workload_id, unit_idx, volunteer_id, connection_id, $8, net_group, 'in_flight',
           leased_at, deadline FROM batch ORDER BY n
         RETURNING id, workload_id, unit_idx, volunteer_id)
       SELECT i.id, b.n FROM inserted i JOIN batch b ON b.workload_id = i.workload_id
         AND b.unit_idx = i.unit_idx AND b.volunteer_id = i.volunteer_id`,
      [
        replicas.map((r) => r.workloadId),
        replicas.map((r) => r.unitIdx),
        replicas.map((r) => r.volunteerId),
        replicas.map((r) => r.connectionId),
        replicas.map((r) => r.netGroup),
        replicas.map((r) => r.leasedAt),
        replicas.map((r) => r.deadline),
        this.instanceId,
      ],
    );
    this.countChanges.add('replicas:in_flight', rows.length);
    for (const r of replicas) this.countChanges.add(`in_flight:${r.workloadId}`, 1);
    const ids: number[] = new Array<number>(replicas.length);
    for (const row of rows) ids[row.n - 1] = row.id;
    return ids;
  }

  async claimUnits(claim: LeaseClaim): Promise<ClaimedUnit[]> {
    await this.flushUnits();
    const rows = await this.sql.rows<
      SqlUnit & { claimed_replica: number; claimed_deadline: number }
    >(
      claimSql(claim.preferKeys.length > 0),
      [
        claim.workloadId,
        claim.volunteerId,
        claim.netGroup,
        claim.limit,
        claim.preferKeys,
        claim.pickDraws,
        claim.choices,
        claim.rate,
        claim.leaseWorkSeconds,
        claim.localityKeys !== null,
        claim.runAlone?.draws ?? null,
        claim.runAlone?.below ?? 0,
        claim.leasedAt,
        claim.leaseDurationMs,
        claim.connectionId,
        this.instanceId,
        claim.localityKeys ?? [],
      ],
      // As leasableUnits: a generic plan cannot use the partial index for this workload.
      'each',
    );
    this.countChanges.add('replicas:in_flight', rows.length);
    this.countChanges.add(`in_flight:${claim.workloadId}`, rows.length);
    const claimed = await this.unitRowsOf(rows);
    return rows.map((row, i) => {
      const unit = claimed[i]!;
      // The statement changed the row behind this transaction's cache: the cache takes its word.
      this.units.put(unit);
      this.unitReplicas.delete(unitKey(unit.workloadId, unit.idx));
      return { unit, replicaId: row.claimed_replica, deadline: row.claimed_deadline };
    });
  }

  async prefetchResults(replicaIds: readonly number[]): Promise<void> {
    const ids = replicaIds.filter((id) => replicaIdOf(id) !== null);
    if (ids.length === 0) return;
    // The lock order: workload rows first, then the replicas, then their units.
    const heads = await this.sql.rows<{ workload_id: string }>(
      'SELECT DISTINCT workload_id FROM replicas WHERE id = ANY($1::bigint[]) ORDER BY workload_id',
      [ids],
    );
    for (const head of heads) await this.workload(head.workload_id);
    const locked = this.lockedWorkloads();
    const rows = await this.sql.rows<SqlReplica>(
      `SELECT * FROM replicas WHERE id = ANY($1::bigint[]) AND workload_id = ANY($2::text[])
       ORDER BY id FOR NO KEY UPDATE`,
      [ids, locked],
    );
    for (const row of rows) this.lockedReplicas.set(row.id, toReplicaRow(row));
    await this.flushUnits();
    const units = await this.sql.rows<SqlUnit>(
      `SELECT * FROM units WHERE workload_id = ANY($1::text[])
         AND (workload_id, idx) IN (SELECT workload_id, unit_idx FROM replicas
                                     WHERE id = ANY($2::bigint[]))
       ORDER BY workload_id, idx FOR NO KEY UPDATE`,
      [locked, ids],
    );
    this.units.seed(await this.unitRowsOf(units));
    // The units' other replicas, read once their units are locked (as replicasOfUnit would be).
    const others = await this.sql.rows<SqlReplica>(
      `SELECT * FROM replicas WHERE workload_id = ANY($1::text[])
         AND (workload_id, unit_idx) IN (SELECT workload_id, unit_idx FROM replicas
                                          WHERE id = ANY($2::bigint[]))`,
      [locked, ids],
    );
    for (const row of others) {
      const k = unitKey(row.workload_id, row.unit_idx);
      let known = this.unitReplicas.get(k);
      if (!known) this.unitReplicas.set(k, (known = new Map()));
      known.set(row.id, this.lockedReplicas.get(row.id) ?? toReplicaRow(row));
    }
  }

  /** The replica, locked after its workload's row (the lock order in pgRecords.ts). */
  async replica(id: string | number): Promise<ReplicaRow | null> {
    const replicaId = replicaIdOf(id);
    if (replicaId === null) return null;
    const held = this.lockedReplicas.get(replicaId);
    if (held) return { ...held };
    // Most replicas a transaction reads belong to a workload it already holds: lock at once.
    const locked = this.lockedWorkloads();
    let row = await this.sql.row<SqlReplica>(
      locked.length > 0
        ? 'SELECT * FROM replicas WHERE id = $1 AND workload_id = ANY($2::text[]) FOR NO KEY UPDATE'
        : 'SELECT * FROM replicas WHERE id = $1 AND $2::text[] IS NOT NULL',
      [replicaId, locked],
    );
    if (row && locked.includes(row.workload_id)) return this.hold(row);
    const head =
      row ?? (await this.sql.row<SqlReplica>('SELECT * FROM replicas WHERE id = $1', [replicaId]));
    if (!head) return null;
    await this.workload(head.workload_id);
    row = await this.sql.row<SqlReplica>('SELECT * FROM replicas WHERE id = $1 FOR NO KEY UPDATE', [
      replicaId,
    ]);
    return row ? this.hold(row) : null;
  }

  /** A replica read with its unit's replicas (not locked itself: another's vote). */
  private knownReplica(id: number): ReplicaRow | undefined {
    for (const known of this.unitReplicas.values()) {
      const row = known.get(id);
      if (row) return row;
    }
    return undefined;
  }

  /** A replica row just read under its lock, kept as this transaction changes it. */
  private hold(row: SqlReplica): ReplicaRow {
    const parsed = toReplicaRow(row);
    // One object per replica: a row already read among its unit's replicas is refreshed.
    const known = this.knownReplica(parsed.id);
    const held = known ? Object.assign(known, parsed) : parsed;
    this.lockedReplicas.set(held.id, held);
    return { ...held };
  }

  async updateReplica(id: number, patch: ReplicaPatch): Promise<void> {
    const defined = definedOf(patch);
    const names = Object.keys(defined) as Array<keyof ReplicaPatch>;
    if (names.length === 0) return;
    const held = this.lockedReplicas.get(id) ?? this.knownReplica(id);
    if (defined.state !== undefined) this.countMove(id, held, defined.state);
    if (held) Object.assign(held, defined);
    const set = names.map((n, i) => `${REPLICA_COLUMNS[n]} = $${i + 2}`).join(', ');
    this.sql.send(`UPDATE replicas SET ${set} WHERE id = $1`, [
      id,
      ...names.map((n) => sqlValue(defined[n])),
    ]);
  }

  /**
   * The platform counts follow a replica from `was` (its state as this transaction holds it) to
   * `state`; a replica this transaction has not read is locked and read by the statement itself.
   */
  private countMove(id: number, was: ReplicaRow | undefined, state: ReplicaState): void {
    if (was !== undefined) {
      replicaMoved(this.countChanges.add, was.workloadId, was.state, state);
      return;
    }
    this.sql.send(
      `WITH o AS (SELECT state, workload_id FROM replicas WHERE id = $1 FOR NO KEY UPDATE)
       INSERT INTO platform_counts (name, shard, n)
       SELECT d.name, pg_backend_pid(), SUM(d.n) FROM (
         SELECT 'replicas:' || state AS name, -1 AS n FROM o
         UNION ALL SELECT 'replicas:' || $2, 1 FROM o
         UNION ALL SELECT 'in_flight:' || workload_id, -1 FROM o WHERE state = 'in_flight'
         UNION ALL SELECT 'in_flight:' || workload_id, 1 FROM o WHERE $2 = 'in_flight') d
       GROUP BY d.name
       ON CONFLICT (name, shard) DO UPDATE SET n = platform_counts.n + EXCLUDED.n`,
      [id, state],
    );
  }

  async replicasOfUnit(workloadId: string, idx: number): Promise<ReplicaRow[]> {
    const known = this.unitReplicas.get(unitKey(workloadId, idx));
    if (known) return [...known.values()].map((r) => ({ ...r })).sort(byReturnOrder);
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
