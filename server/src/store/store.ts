// The coordinator's persistence contract. Every method is one transaction: a state change and
// its consequences (quorum decision, fold into the aggregate, credit) commit together or not at
// all, so a crash never loses a validated unit or folds one twice. SQLite implements it today;
// a PostgreSQL store (several coordinators) implements the same contract and runs the same
// contract tests (server/test/store/storeContract.ts).
import type { Redundancy, WorkloadStatus } from '@tessera/shared';
import type { TrustPolicy } from '../scheduler/trustPolicy';
import type { WorkloadKind } from '@tessera/shared/workloadSpec';
import type { GradientStore } from '../gradient/gradientStore';

export interface NewWorkload {
  id: string;
  name: string;
  kind: WorkloadKind;
  estimator: string;
  /** Parsed spec with defaults filled in: exactly what the units were split from. */
  spec: unknown;
  redundancy: Redundancy;
  /** The work of each unit (samples), index = unit index. */
  unitWork: number[];
  /** The estimator's empty aggregate. */
  aggregate: unknown;
}

export interface WorkloadRecord {
  id: string;
  name: string;
  kind: WorkloadKind;
  estimator: string;
  spec: unknown;
  redundancy: Redundancy;
  status: WorkloadStatus;
  unitsTotal: number;
  unitsValidated: number;
  unitsInFlight: number;
  unitsFailed: number;
  aggregate: unknown;
  failureReason: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
}

export interface VolunteerRecord {
  id: string;
  secretHash: string;
  displayName: string;
  credit: number;
  unitsValid: number;
  unitsInvalid: number;
  unitsErrored: number;
  consecutiveValid: number;
  /** Invalid results so far; at the policy's limit the volunteer is suspended. */
  offenses: number;
  /** Epoch ms until which this volunteer gets no work, or null. */
  suspendedUntil: number | null;
  createdAt: number;
  lastSeen: number;
}

export interface LeaseRequest {
  volunteerId: string;
  connectionId: string;
  /** Network group of the volunteer's address (null when exempt). */
  netGroup: string | null;
  now: number;
  leaseDurationMs: number;
  maxLeasesPerConnection: number;
  /** Adaptive replication policy; without it every unit is replicated. */
  trust?: TrustPolicy;
  /** Uniform draw in [0, 1) for the run-alone decision (injected: seeded in tests and the simulator). */
  draw?: number;
  /** Uniform draw in [0, 1) that picks which leasable unit; without it, the lowest. */
  pickDraw?: number;
}

export interface LeasedReplica {
  replicaId: number;
  workloadId: string;
  workloadName: string;
  estimator: string;
  spec: unknown;
  unitIndex: number;
  deadline: number;
}

export interface ResultSubmission {
  replicaId: number;
  volunteerId: string;
  /** The raw result from the wire; the store's transaction parses it with the estimator. */
  result: unknown;
  elapsedMs: number;
  now: number;
  /** Reputation policy applied to the verdicts this result causes. */
  trust?: TrustPolicy;
}

/** What became of a submitted result. Refusals carry the protocol error code. */
export type SubmitOutcome =
  | {
      kind: 'accepted';
      verdict: 'pending' | 'valid' | 'invalid';
      workloadId: string;
      unitIndex: number;
      /** Volunteers whose credit changed in this transaction. */
      credited: string[];
      /** Set when this result ended the workload. */
      workloadEnded: WorkloadStatus | null;
      /** Workloads whose units were reopened because a volunteer behind them was caught. */
      reopened: string[];
      /** The unit's work (samples, spin flips): with the reported time, the tab's throughput. */
      work: number;
    }
  | { kind: 'refused'; code: 'NOT_LEASED' | 'LEASE_EXPIRED' | 'INVALID_RESULT'; message: string };

export interface ReleaseOutcome {
  released: number;
  /** Workloads that failed because a unit ran out of error budget. */
  failedWorkloads: string[];
}

export interface PlatformCounts {
  workloadsByStatus: Record<WorkloadStatus, number>;
  unitsValidated: number;
  replicasByState: Record<ReplicaState, number>;
  volunteersTotal: number;
  /** Validated units and their work within the window ending now. */
  recent: { windowMs: number; units: number; work: number };
}

/** A volunteer's place on the public leaderboard (validated credit only). */
export interface VolunteerStanding {
  volunteerId: string;
  displayName: string;
  credit: number;
  unitsValidated: number;
}

export const REPLICA_STATES = [
  'in_flight',
  'returned',
  'timed_out',
  'errored',
  'valid',
  'invalid',
] as const;
export type ReplicaState = (typeof REPLICA_STATES)[number];

export interface Store {
  close(): Promise<void>;

  /** Gradient workloads (server/src/gradient/gradientStore.ts); absent where not supported. */
  readonly gradients?: GradientStore;

  addToken(name: string, hash: string, now: number): Promise<void>;
  hasToken(hash: string): Promise<boolean>;
  countTokens(): Promise<number>;

  createWorkload(workload: NewWorkload, now: number): Promise<WorkloadRecord>;
  getWorkload(id: string): Promise<WorkloadRecord | null>;
  listWorkloads(): Promise<WorkloadRecord[]>;
  /** Returns null when unknown; the record unchanged when already final. */
  cancelWorkload(id: string, now: number): Promise<WorkloadRecord | null>;

  createVolunteer(volunteer: {
    id: string;
    secretHash: string;
    displayName: string;
    now: number;
  }): Promise<VolunteerRecord>;
  getVolunteer(id: string): Promise<VolunteerRecord | null>;
  touchVolunteer(id: string, now: number, displayName?: string): Promise<void>;

  /** Picks a unit for this volunteer and leases a replica of it, or null when none fits. */
  leaseReplica(request: LeaseRequest): Promise<LeasedReplica | null>;
  /** Extends an in-flight lease held by this volunteer; null when it is not (or no longer) held. */
  renewReplica(
    replicaId: number,
    volunteerId: string,
    now: number,
    leaseDurationMs: number,
  ): Promise<number | null>;
  submitResult(submission: ResultSubmission): Promise<SubmitOutcome>;
  /** The volunteer reports its kernel failed: the replica is errored and the unit reissued. */
  reportError(
    replicaId: number,
    volunteerId: string,
    message: string,
    now: number,
  ): Promise<ReleaseOutcome | null>;
  /** In-flight replicas past their deadline become timed out (and are reissued). */
  expireLeases(now: number): Promise<ReleaseOutcome>;
  /** A connection went away: its in-flight replicas are timed out now rather than at the deadline. */
  releaseConnection(connectionId: string, now: number): Promise<ReleaseOutcome>;
  /**
   * [L5] The coordinator process (re)started: no connection outlives the process that accepted
   * it, so every in-flight replica is timed out now rather than at its deadline.
   */
  releaseAllConnections(now: number): Promise<ReleaseOutcome>;

  counts(now: number, windowMs: number): Promise<PlatformCounts>;
  /** Volunteers with validated credit, most first (ties: more units, then the earlier one). */
  leaderboard(limit: number): Promise<VolunteerStanding[]>;
}
