// Row shapes of the repository tables (SQLite and PostgreSQL share column names and types that map
// alike) and their mapping to the engine's records (engine/repository.ts).
import type { Redundancy, WorkloadStatus } from '@tessera/shared';
import { REPLICA_STATES, type PlatformCounts, type VolunteerStanding } from '../engine/repository';
import type {
  ReplicaPatch,
  UnitPatch,
  ReplicaRow,
  ReplicaState,
  UnitRow,
  UnitState,
  VolunteerRow,
  WorkloadRow,
} from '../engine/repository';

export interface SqlWorkload {
  id: string;
  name: string;
  kind: WorkloadRow['kind'];
  estimator: string;
  spec: string;
  redundancy: string;
  status: WorkloadStatus;
  units_total: number;
  units_validated: number;
  units_failed: number;
  aggregate: string;
  failure_reason: string | null;
  owner: string | null;
  priority: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  units_in_flight?: number;
}

export interface SqlUnit {
  workload_id: string;
  idx: number;
  state: UnitState;
  wanted: number;
  quorum: number;
  in_flight: number;
  returned: number;
  errors: number;
  work: number;
  canonical: Buffer | string | null;
  canonical_replica: number | null;
  verified: number;
  round: number;
  plan: string | null;
  lease_key: string | null;
  pin: number | null;
  backups: number;
  validated_at: number | null;
}

export interface SqlReplica {
  id: number;
  workload_id: string;
  unit_idx: number;
  volunteer_id: string;
  connection_id: string;
  net_group: string | null;
  state: ReplicaState;
  leased_at: number;
  deadline: number;
  returned_at: number | null;
  elapsed_ms: number | null;
  result: Buffer | string | null;
  error: string | null;
  withdrawn: number;
  withdrawn_by: number | null;
  offense: number;
  fault: 'volunteer' | 'disconnect' | null;
}

export interface SqlVolunteer {
  id: string;
  secret_hash: string;
  display_name: string;
  credit_micro: number;
  units_valid: number;
  units_invalid: number;
  units_errored: number;
  consecutive_valid: number;
  offenses: number;
  suspended_until: number | null;
  created_at: number;
  last_seen: number;
}

/** Rows written before schema 9 hold Monte Carlo results as JSON text: bytes either way. */
export function bytesOf(value: Buffer | string | null): Uint8Array | null {
  if (value === null) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

export function toWorkloadRow(row: SqlWorkload): WorkloadRow {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    estimator: row.estimator,
    spec: JSON.parse(row.spec),
    redundancy: JSON.parse(row.redundancy) as Redundancy,
    status: row.status,
    unitsTotal: row.units_total,
    unitsValidated: row.units_validated,
    unitsFailed: row.units_failed,
    aggregate: JSON.parse(row.aggregate),
    failureReason: row.failure_reason,
    owner: row.owner,
    priority: row.priority,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  };
}

export function toUnitRow(row: SqlUnit): UnitRow {
  return {
    workloadId: row.workload_id,
    idx: row.idx,
    state: row.state,
    wanted: row.wanted,
    quorum: row.quorum,
    inFlight: row.in_flight,
    returned: row.returned,
    errors: row.errors,
    work: row.work,
    canonical: bytesOf(row.canonical),
    canonicalReplica: row.canonical_replica ?? null,
    verified: row.verified === 1,
    round: row.round,
    plan: row.plan === null ? null : JSON.parse(row.plan),
    leaseKey: row.lease_key,
    pin: row.pin,
    backups: row.backups,
    validatedAt: row.validated_at,
  };
}

export function toReplicaRow(row: SqlReplica): ReplicaRow {
  return {
    id: row.id,
    workloadId: row.workload_id,
    unitIdx: row.unit_idx,
    volunteerId: row.volunteer_id,
    connectionId: row.connection_id,
    netGroup: row.net_group,
    state: row.state,
    leasedAt: row.leased_at,
    deadline: row.deadline,
    returnedAt: row.returned_at,
    elapsedMs: row.elapsed_ms,
    result: bytesOf(row.result),
    error: row.error,
    withdrawn: row.withdrawn === 1,
    withdrawnBy: row.withdrawn_by,
    offense: row.offense === 1,
    fault: row.fault,
  };
}

export function toVolunteerRow(row: SqlVolunteer): VolunteerRow {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    displayName: row.display_name,
    creditMicro: row.credit_micro,
    unitsValid: row.units_valid,
    unitsInvalid: row.units_invalid,
    unitsErrored: row.units_errored,
    consecutiveValid: row.consecutive_valid,
    offenses: row.offenses,
    suspendedUntil: row.suspended_until,
    createdAt: row.created_at,
    lastSeen: row.last_seen,
  };
}

/** Column of each ReplicaPatch field (replica rows are written through, field by field). */
export const REPLICA_COLUMNS: Record<keyof ReplicaPatch, string> = {
  state: 'state',
  deadline: 'deadline',
  returnedAt: 'returned_at',
  elapsedMs: 'elapsed_ms',
  result: 'result',
  error: 'error',
  withdrawn: 'withdrawn',
  withdrawnBy: 'withdrawn_by',
  offense: 'offense',
  fault: 'fault',
};

/** A patch value as SQLite binds it (booleans as 0/1, bytes as Buffers). */
export function sqlValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return value === undefined ? null : value;
}

/** Column of each UnitPatch field, in the order both stores' unit write-back sets them. */
export const UNIT_COLUMNS: Record<keyof UnitPatch, string> = {
  state: 'state',
  wanted: 'wanted',
  quorum: 'quorum',
  inFlight: 'in_flight',
  returned: 'returned',
  errors: 'errors',
  canonical: 'canonical',
  canonicalReplica: 'canonical_replica',
  verified: 'verified',
  pin: 'pin',
  backups: 'backups',
  validatedAt: 'validated_at',
};
const UNIT_FIELDS = Object.keys(UNIT_COLUMNS) as Array<keyof UnitPatch>;

/**
 * Both stores' unit write-back: the columns a transaction changed on a unit (UNIT_COLUMNS order)
 * and their values, then the key (workload_id, idx). An UPDATE of only these leaves the indexes
 * over the other columns alone (a lease changes in_flight, not state or validated_at).
 */
export function unitUpdate(
  u: UnitRow,
  changed: ReadonlySet<keyof UnitPatch>,
): { columns: string[]; values: unknown[] } {
  const columns: string[] = [];
  const values: unknown[] = [];
  for (const field of UNIT_FIELDS) {
    if (!changed.has(field)) continue;
    columns.push(UNIT_COLUMNS[field]);
    // A canonical result that is a replica's is stored once, on the replica (UnitRow).
    values.push(field === 'canonical' && u.canonicalReplica !== null ? null : sqlValue(u[field]));
  }
  values.push(u.workloadId, u.idx);
  return { columns, values };
}

/** `ORDER BY returned_at NULLS FIRST, id`, as both stores order a unit's replicas. */
export function byReturnOrder(a: ReplicaRow, b: ReplicaRow): number {
  const ra = a.returnedAt ?? -Infinity;
  const rb = b.returnedAt ?? -Infinity;
  return ra === rb ? a.id - b.id : ra < rb ? -1 : 1;
}

/** The fields a replica patch sets (a field left undefined keeps its column as it is). */
export function definedOf(patch: ReplicaPatch): ReplicaPatch {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(patch)) if (value !== undefined) out[name] = value;
  return out as ReplicaPatch;
}

/** Applies a unit patch to a cached row in place (fields left undefined keep their value). */
export function applyUnitPatch(row: UnitRow, patch: UnitPatch): void {
  for (const [name, value] of Object.entries(patch)) {
    if (value !== undefined) (row as unknown as Record<string, unknown>)[name] = value;
  }
}

/**
 * The patch as the unit caches record it: `canonical` and `canonicalReplica` change together
 * (a canonical result set without naming its replica is stored on the unit itself).
 */
export function withCanonicalSource(patch: UnitPatch): UnitPatch {
  if (patch.canonical !== undefined && patch.canonicalReplica === undefined) {
    return { ...patch, canonicalReplica: null };
  }
  if (patch.canonicalReplica !== undefined && patch.canonical === undefined) {
    throw new Error('canonicalReplica is set with the canonical result it names');
  }
  return patch;
}

/**
 * Both stores' first step in reading units whose canonical result is a replica's
 * (UnitRow.canonicalReplica): the bytes the transaction holds (`held`, undefined when it has not
 * read that replica) are filled in; the replica ids still wanted are returned, for one read of the
 * replicas table and fillCanonicals.
 */
export function canonicalsWanted(
  units: readonly UnitRow[],
  held: (replicaId: number) => Uint8Array | null | undefined,
): number[] {
  const wanted: number[] = [];
  for (const u of units) {
    if (u.canonical !== null || u.canonicalReplica === null) continue;
    const bytes = held(u.canonicalReplica);
    if (bytes === undefined) wanted.push(u.canonicalReplica);
    else u.canonical = bytes;
  }
  return wanted;
}

/** The second step: the wanted replicas' results as the table holds them. */
export function fillCanonicals(
  units: readonly UnitRow[],
  stored: ReadonlyArray<{ id: number; result: Buffer | string | null }>,
): void {
  const byId = new Map(stored.map((r) => [r.id, bytesOf(r.result)]));
  for (const u of units) {
    if (u.canonical === null && u.canonicalReplica !== null) {
      u.canonical = byId.get(u.canonicalReplica) ?? null;
    }
  }
}

/** What the counts queries read, in the same shape on both stores. */
export interface SqlCounts {
  statuses: Array<{ status: WorkloadStatus; n: number }>;
  states: Array<{ state: ReplicaState; n: number }>;
  validated: number;
  /** Validated units in the window, and their Monte Carlo work (samples; gradient units add none). */
  recent: { units: number; work: number };
  volunteers: number;
}

/** The platform counts from the counts queries' rows, every status and state present. */
export function toPlatformCounts(q: SqlCounts, windowMs: number): PlatformCounts {
  const workloadsByStatus = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
  for (const row of q.statuses) workloadsByStatus[row.status] = row.n;
  const replicasByState = Object.fromEntries(REPLICA_STATES.map((s) => [s, 0])) as Record<
    ReplicaState,
    number
  >;
  for (const row of q.states) replicasByState[row.state] = row.n;
  return {
    workloadsByStatus,
    unitsValidated: q.validated,
    replicasByState,
    volunteersTotal: q.volunteers,
    recent: { windowMs, units: q.recent.units, work: q.recent.work },
  };
}

export interface SqlStanding {
  id: string;
  display_name: string;
  credit_micro: number;
  units_valid: number;
}

export function toStanding(row: SqlStanding): VolunteerStanding {
  return {
    volunteerId: row.id,
    displayName: row.display_name,
    creditMicro: row.credit_micro,
    unitsValidated: row.units_valid,
  };
}
