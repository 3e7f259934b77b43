// The engine's persistence contract. The engine opens a transaction and is handed a `Tx`: every
// read and write of one state change goes through it, and the change commits whole or not at
// all (a crash never loses a validated unit or folds one twice). Nothing about a transaction
// lives outside its Tx object, so an implementation may run several at once: SQLite serializes
// them on its one connection, PostgreSQL takes row locks (`FOR UPDATE SKIP LOCKED` in
// `leasableUnits`). One contract suite (server/test/engine/) runs against every implementation.
//
// The repository knows units, replicas, volunteers and workloads, never what a kind means:
// unit plans, results and canonicals are opaque bytes/JSON, and a kind keeps its own state in
// the workload's `aggregate` (JSON), named blobs and numbered records.
import type { Redundancy, WorkloadStatus } from '@tessera/shared';
import type { DatasetStore } from '../datasets/datasetStore';

import type {
  WorkloadRow,
  WorkloadView,
  NewUnit,
  UnitRow,
  UnitPatch,
  ReplicaRow,
  ReplicaPatch,
  NewReplica,
  VolunteerRow,
  VolunteerPatch,
  ActiveWorkload,
  TokenRow,
  PlatformCounts,
  VolunteerStanding,
} from './records';

export * from './records';

/** Which in-flight replicas a release takes. */
export type InFlightFilter =
  | { all: true }
  /**
   * [L5] Leases granted by coordinator processes that are gone: on SQLite (one process per file)
   * every other instance's; on PostgreSQL those whose instance stopped heart-beating.
   */
  | { orphaned: true }
  | { connectionId: string }
  | { deadlineBefore: number }
  | { volunteerId: string }
  | { workloadId: string; round?: number };

/** [L6][L7][L9][R1] What one lease takes from a workload (engine/leaseClaim.ts). */
export interface LeaseClaim {
  workloadId: string;
  volunteerId: string;
  connectionId: string;
  netGroup: string | null;
  /** Leasable units read (locked, on PostgreSQL): the most picks + choices - 1. */
  limit: number;
  /** [L9] Lease keys whose units come first within a round (the partitions the tab holds). */
  preferKeys: readonly string[];
  /** [L7] Each pick is a random one of the lowest `choices` still untaken. */
  choices: number;
  /** [L7] One draw in [0, 1) per pick: its length is the most units taken. */
  pickDraws: readonly number[];
  /** [L6] The tab's throughput (work / s), or null with no record: then one unit. */
  rate: number | null;
  /** [L6] Seconds of work one lease may hold at `rate`, sized by the first pick's work. */
  leaseWorkSeconds: number;
  /** [L9] A batch of several keeps only units with one of these keys, or its first unit; null: no rule. */
  localityKeys: readonly string[] | null;
  /**
   * [R1] A unit nobody holds or has answered runs alone (quorum 1) when the next of `draws` (one
   * per such unit of the batch, in batch order) is below `below`; null: every unit is replicated.
   */
  runAlone: { draws: readonly number[]; below: number } | null;
  leasedAt: number;
  leaseDurationMs: number;
}

export interface ClaimedUnit {
  /** The unit as the lease left it (flight count, quorum). */
  unit: UnitRow;
  replicaId: number;
  deadline: number;
}

export interface LeasableQuery {
  workloadId: string;
  volunteerId: string;
  netGroup: string | null;
  limit: number;
  /** [L9] Keys whose units come first within a round. */
  preferKeys: readonly string[];
}

export interface StragglerQuery extends LeasableQuery {
  now: number;
  maxReplicas: number;
  floorMs: number;
  factor: number;
}

export interface Tx {
  readonly now: number;

  insertWorkload(row: Omit<WorkloadRow, 'updatedAt' | 'completedAt'>): Promise<void>;
  /**
   * The workload row, to decide what this transaction writes to it: where several processes
   * share the store (PostgreSQL) it stays locked until the transaction ends.
   */
  workload(id: string): Promise<WorkloadRow | null>;
  /** The workload row as committed, without a lock: for decisions that write nothing to it. */
  peekWorkload(id: string): Promise<WorkloadRow | null>;
  setWorkloadStatus(id: string, status: WorkloadStatus, reason: string | null): Promise<void>;
  /** queued -> running on the first lease; no change otherwise. */
  startWorkload(id: string): Promise<void>;
  addUnitsValidated(id: string, delta: number): Promise<void>;
  addUnitsFailed(id: string, delta: number): Promise<void>;
  setAggregate(id: string, aggregate: unknown): Promise<void>;
  activeWorkloads(): Promise<ActiveWorkload[]>;

  insertUnits(workloadId: string, units: readonly NewUnit[], quorum: number): Promise<void>;
  unit(workloadId: string, idx: number): Promise<UnitRow | null>;
  updateUnit(workloadId: string, idx: number, patch: UnitPatch): Promise<void>;
  /** [L2][L7][L9] Open units wanting a replica this volunteer may hold, in lease order. */
  leasableUnits(query: LeasableQuery): Promise<UnitRow[]>;
  /**
   * Optional: leases what the claim takes in one statement (engine/leaseClaim.ts planClaim's
   * answer, exactly). Without it the engine reads the leasable units and writes the lease itself.
   */
  claimUnits?(claim: LeaseClaim): Promise<ClaimedUnit[]>;
  /** A unit of the earliest open round whose replica computes far longer than its round's mean. */
  stragglerUnit(query: StragglerQuery): Promise<UnitRow | null>;
  unitsOfRound(workloadId: string, round: number): Promise<UnitRow[]>;
  /** How many units of the round are not validated (0: the round is done), reading no results. */
  unitsUnsettled(workloadId: string, round: number): Promise<number>;
  /** The workload a unit with this lease key belongs to (a data partition's hash), or null. */
  workloadOfLeaseKey(key: string): Promise<string | null>;
  /** Drops the canonical results of a round once the kind has consumed them. */
  clearCanonicals(workloadId: string, round: number): Promise<void>;
  /** Open units with standing votes and nothing in flight: re-decided by the sweep ([Q6]). */
  stalledUnits(limit: number): Promise<Array<{ workloadId: string; idx: number }>>;
  /**
   * [L4][E1] Distinct volunteers whose replicas of this unit failed by their own fault (`own`:
   * errors, expired leases) and by any fault (`any`: disconnects too).
   */
  failingVolunteers(workloadId: string, idx: number): Promise<{ own: number; any: number }>;
  /**
   * [E1] Distinct volunteers that leased units of this workload, and how many of them had a
   * replica fail by their own fault.
   */
  workloadFaults(workloadId: string): Promise<{ faulty: number; leasers: number }>;
  /** Units of a workload that want replicas but have none in flight. */
  waitingUnits(workloadId: string): Promise<Array<{ idx: number; barred: string[] }>>;

  /** In flight from now; their ids, in the order given (one statement for a lease batch). */
  insertReplicas(replicas: readonly NewReplica[]): Promise<number[]>;
  replica(id: string | number): Promise<ReplicaRow | null>;
  /**
   * The replicas a batch of results names, and their units, read (and on PostgreSQL locked) in a
   * few statements, so taking each result reads neither again. Ids that name nothing are ignored.
   */
  prefetchResults(replicaIds: readonly number[]): Promise<void>;
  updateReplica(id: number, patch: ReplicaPatch): Promise<void>;
  replicasOfUnit(workloadId: string, idx: number): Promise<ReplicaRow[]>;
  inFlight(filter: InFlightFilter): Promise<ReplicaRow[]>;
  countInFlight(connectionId: string): Promise<number>;
  /** [R4] Valid replicas of this volunteer on units settled without verification. */
  unverifiedSettledBy(volunteerId: string): Promise<ReplicaRow[]>;
  /** [R4] Replicas of this volunteer standing as votes on units still open. */
  pendingVotesOf(volunteerId: string): Promise<ReplicaRow[]>;
  /** [R8] Replicas withdrawn by the catch that `replicaId`'s invalid verdict caused. */
  withdrawnBy(replicaId: number): Promise<ReplicaRow[]>;

  insertVolunteer(row: Pick<VolunteerRow, 'id' | 'secretHash' | 'displayName'>): Promise<void>;
  volunteer(id: string): Promise<VolunteerRow | null>;
  updateVolunteer(id: string, patch: VolunteerPatch): Promise<void>;
  touchVolunteer(id: string, displayName?: string): Promise<void>;
  /** [E2] Errors and judged results over every volunteer: the crowd's error rate. */
  crowdErrors(): Promise<{ errors: number; results: number }>;

  addToken(name: string, hash: string, share: number): Promise<string>;
  tokenByHash(hash: string): Promise<TokenRow | null>;
  countTokens(): Promise<number>;

  /**
   * An uploaded dataset, held until this transaction ends against a transaction holding it for
   * the other purpose, so that a submission naming it ('use') and its deletion ('delete') never
   * both succeed (PostgreSQL: a row lock; SQLite: transactions never overlap). Whether it exists.
   */
  holdDataset(id: string, purpose: 'use' | 'delete'): Promise<boolean>;
  /** Deletes an uploaded dataset held for 'delete' (on SQLite its files go at once: do it last). */
  deleteDataset(id: string): Promise<void>;

  blob(workloadId: string, name: string): Promise<Uint8Array | null>;
  putBlob(workloadId: string, name: string, bytes: Uint8Array): Promise<void>;
  deleteBlob(workloadId: string, name: string): Promise<void>;
  records(workloadId: string): Promise<unknown[]>;
  putRecord(workloadId: string, seq: number, body: unknown): Promise<void>;

  workloadViews(id?: string): Promise<WorkloadView[]>;
  counts(windowMs: number): Promise<PlatformCounts>;
  leaderboard(limit: number): Promise<VolunteerStanding[]>;
}

export interface Repository {
  /** [L5] This process's id in the store: its leases carry it. */
  readonly instanceId: string;
  /** Researchers' uploaded datasets (immutable, named by content), outside transactions. */
  readonly datasets: DatasetStore;
  /** Runs `work` in one transaction at time `now`; commits when it resolves, rolls back on throw. */
  transaction<T>(now: number, work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
