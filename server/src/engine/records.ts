// The rows the engine reads and writes through a transaction (repository.ts): workloads, units,
// replicas, volunteers, tokens, and the patches that change them. Plain data: what a kind means by
// a unit's plan or result is opaque here.
import type { Redundancy, WorkloadStatus } from '@tessera/shared';
import type { WorkloadKind } from '@tessera/shared/workloadSpec';

export const REPLICA_STATES = [
  'in_flight',
  'returned',
  'timed_out',
  'errored',
  'valid',
  'invalid',
] as const;
export type ReplicaState = (typeof REPLICA_STATES)[number];
export type UnitState = 'open' | 'validated' | 'failed';
/** [E1] Whose fault a replica's timeout or error was (null: nobody's, or not out of flight). */
export type ReplicaFault = 'volunteer' | 'disconnect' | null;

export interface WorkloadRow {
  id: string;
  name: string;
  kind: WorkloadKind;
  estimator: string;
  /** Parsed JSON of the spec as submitted, defaults filled in. */
  spec: unknown;
  redundancy: Redundancy;
  status: WorkloadStatus;
  unitsTotal: number;
  unitsValidated: number;
  unitsFailed: number;
  /** The kind's running state (Monte Carlo: the aggregate; gradient: the parameter version). */
  aggregate: unknown;
  failureReason: string | null;
  /** Id of the researcher token that submitted it (null: the environment token, or legacy). */
  owner: string | null;
  priority: number;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
}

/** A workload as views show it: with its units in flight counted. */
export interface WorkloadView extends WorkloadRow {
  unitsInFlight: number;
}

export interface NewUnit {
  idx: number;
  work: number;
  /** Units of round r are leased before those of round r + 1 (gradient steps; 0 elsewhere). */
  round?: number;
  /** The kind's description of the unit, as JSON (gradient: its shard slice). */
  plan?: unknown;
  /** [L9] Locality key: leases prefer units whose key the asking connection holds. */
  leaseKey?: string | null;
}

export interface UnitRow {
  workloadId: string;
  idx: number;
  state: UnitState;
  /** Result-bearing replicas the unit should have now (quorum, raised on disagreement). */
  wanted: number;
  quorum: number;
  inFlight: number;
  /** Replicas that returned a result still standing as a vote (judged ones included). */
  returned: number;
  errors: number;
  work: number;
  canonical: Uint8Array | null;
  /**
   * The replica whose result the canonical one is: its bytes are stored once, on that replica,
   * not copied onto the unit; null when the canonical result came from elsewhere ([Q6] the
   * coordinator's own computation) or none is set. Set and cleared with `canonical`.
   */
  canonicalReplica: number | null;
  verified: boolean;
  round: number;
  plan: unknown;
  leaseKey: string | null;
  /** [A3] What the unit is computed against, fixed at its first lease (a parameter version). */
  pin: number | null;
  backups: number;
  validatedAt: number | null;
}

export type UnitPatch = Partial<
  Pick<
    UnitRow,
    | 'state'
    | 'wanted'
    | 'quorum'
    | 'inFlight'
    | 'returned'
    | 'errors'
    | 'canonical'
    | 'canonicalReplica'
    | 'verified'
    | 'pin'
    | 'backups'
    | 'validatedAt'
  >
>;

export interface ReplicaRow {
  id: number;
  workloadId: string;
  unitIdx: number;
  volunteerId: string;
  connectionId: string;
  netGroup: string | null;
  state: ReplicaState;
  leasedAt: number;
  deadline: number;
  returnedAt: number | null;
  elapsedMs: number | null;
  result: Uint8Array | null;
  error: string | null;
  /** [R4] Out of the vote for good because its own volunteer was caught. */
  withdrawn: boolean;
  /** [R8] The invalid verdict whose catch withdrew this replica (it returns if that is reversed). */
  withdrawnBy: number | null;
  /** [Q6] This replica's invalid verdict counted as an offense of its volunteer. */
  offense: boolean;
  fault: ReplicaFault;
}

export type ReplicaPatch = Partial<
  Pick<
    ReplicaRow,
    | 'state'
    | 'deadline'
    | 'returnedAt'
    | 'elapsedMs'
    | 'result'
    | 'error'
    | 'withdrawn'
    | 'withdrawnBy'
    | 'offense'
    | 'fault'
  >
>;

export interface NewReplica {
  workloadId: string;
  unitIdx: number;
  volunteerId: string;
  connectionId: string;
  netGroup: string | null;
  leasedAt: number;
  deadline: number;
}

export interface VolunteerRow {
  id: string;
  secretHash: string;
  displayName: string;
  /** [C2] Credit in millionths, an exact integer. */
  creditMicro: number;
  unitsValid: number;
  unitsInvalid: number;
  unitsErrored: number;
  consecutiveValid: number;
  offenses: number;
  suspendedUntil: number | null;
  createdAt: number;
  lastSeen: number;
}

export type VolunteerPatch = Partial<
  Pick<
    VolunteerRow,
    | 'creditMicro'
    | 'unitsValid'
    | 'unitsInvalid'
    | 'unitsErrored'
    | 'consecutiveValid'
    | 'offenses'
    | 'suspendedUntil'
  >
>;

/** An active workload as the scheduler weighs it ([S1]-[S3]). */
export interface ActiveWorkload {
  id: string;
  owner: string | null;
  /** The owner token's share (1 when the owner has none). */
  share: number;
  priority: number;
  createdAt: number;
  inFlight: number;
}

export interface TokenRow {
  id: string;
  name: string;
  share: number;
}

export interface PlatformCounts {
  workloadsByStatus: Record<WorkloadStatus, number>;
  unitsValidated: number;
  replicasByState: Record<ReplicaState, number>;
  volunteersTotal: number;
  /** Validated units and their work within the window ending now. */
  recent: { windowMs: number; units: number; work: number };
}

export interface VolunteerStanding {
  volunteerId: string;
  displayName: string;
  creditMicro: number;
  unitsValidated: number;
}
