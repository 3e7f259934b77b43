// The persistence contract of gradient workloads (parameter-server rounds). Like store.ts,
// every method is one transaction: a unit's validation, the round's aggregation and optimizer
// step, the step's metrics and the next round's units commit together or not at all, so a
// crash never loses a validated round or steps the optimizer twice.
//
// Replica ids of gradient units start at GRADIENT_REPLICA_ID_BASE, far above any Monte Carlo
// replica id, so one `replicaId` in the volunteer protocol names exactly one replica of either
// kind and the coordinator routes renew / result / error by the id alone.
import type { Redundancy, WorkloadStatus } from '@tessera/shared';
import type { GradientResult } from '@tessera/shared/kinds/gradient/gradientReference';
import type { TrustPolicy } from '../scheduler/trustPolicy';
import type { ReleaseOutcome } from '../store/store';

export const GRADIENT_REPLICA_ID_BASE = 2 ** 40;

export function isGradientReplicaId(replicaId: number): boolean {
  return replicaId >= GRADIENT_REPLICA_ID_BASE;
}

/**
 * One shard of a step's batch ([G2]): positions [start, start + count) of the epoch order of
 * data partition `shard`.
 */
export interface ShardPlan {
  shard: number;
  start: number;
  count: number;
  /** SHA-256 of the partition's encoded bytes (its URL and cache key). */
  hash: string;
}

export interface NewGradientWorkload {
  id: string;
  name: string;
  /** Parsed spec with defaults filled in. */
  spec: unknown;
  redundancy: Redundancy;
  steps: number;
  /** Units over all steps (a step's last batch of an epoch may have fewer shards). */
  unitsTotal: number;
  params: Uint8Array;
  optimizer: Uint8Array;
  /** Step 0's shards, then (asynchronous rounds) those of steps 1..maxStaleness. */
  firstRounds: ShardPlan[][];
}

export interface GradientState {
  workloadId: string;
  /** The open round's step (= parameter version); `steps` once training is done. */
  version: number;
  steps: number;
  params: Uint8Array;
  optimizer: Uint8Array;
}

export interface StepMetrics {
  step: number;
  /** Mean training loss of the step's batch, at the parameters before the step's update. */
  loss: number;
  trainCorrect: number;
  examples: number;
  /** Held-out accuracy after the step's update, on the steps where it was evaluated. */
  accuracy: number | null;
  /** [A3] The parameter version each shard's gradient was taken at, in shard order. */
  versions: number[];
}

export interface GradientLeaseRequest {
  volunteerId: string;
  connectionId: string;
  /** [L2] The connection's public network group (null: private, exempt). */
  netGroup: string | null;
  now: number;
  leaseDurationMs: number;
  maxLeasesPerConnection: number;
  /** [L9] Partition hashes this connection holds: units of these go to it first. */
  preferHashes: readonly string[];
}

export interface LeasedGradientUnit {
  replicaId: number;
  workloadId: string;
  workloadName: string;
  spec: unknown;
  step: number;
  shard: number;
  /** The slice's first position in the partition's epoch order. */
  start: number;
  count: number;
  shardHash: string;
  /** [A3] The parameter version the unit is computed at (its step, in synchronous rounds). */
  version: number;
  deadline: number;
}

/** What the round closer is given: the canonical results of every shard, in shard order. */
export interface RoundInput {
  workloadId: string;
  spec: unknown;
  step: number;
  steps: number;
  canonicals: GradientResult[];
  /** [A3] The parameter version each canonical was computed at (each = step when synchronous). */
  versions: number[];
  params: Uint8Array;
  optimizer: Uint8Array;
}

export interface RoundOutput {
  params: Uint8Array;
  optimizer: Uint8Array;
  metrics: StepMetrics;
  /**
   * [A3] Steps a unit's parameter version may lag its step by (0: synchronous rounds): the
   * versions the store keeps downloadable behind the new current one.
   */
  maxStaleness: number;
  /**
   * The shards of the round to open now: step + 1 + maxStaleness (asynchronous rounds open
   * that far ahead), or null when that is past the last step.
   */
  nextRound: ShardPlan[] | null;
}

/**
 * The workload-specific computations a store transaction calls (synchronously: the datasets
 * they read are loaded before the transaction starts).
 */
export interface RoundHooks {
  /** The raw wire result as a unit result, or why it is no honest answer to this unit. */
  parse(
    spec: unknown,
    count: number,
    raw: unknown,
  ): { result: GradientResult } | { problem: string };
  same(spec: unknown, a: GradientResult, b: GradientResult): boolean;
  encode(result: GradientResult): Uint8Array;
  decode(bytes: Uint8Array): GradientResult;
  closeRound(input: RoundInput): RoundOutput;
}

export interface GradientSubmission {
  replicaId: number;
  volunteerId: string;
  result: unknown;
  elapsedMs: number;
  now: number;
  /** [R5] The reputation policy an invalid result is judged under (offense limit, suspension). */
  trust: TrustPolicy;
}

export type GradientSubmitOutcome =
  | {
      kind: 'accepted';
      verdict: 'pending' | 'valid' | 'invalid';
      workloadId: string;
      credited: string[];
      /** Set when this result closed a round (the new parameter version). */
      newVersion: number | null;
      workloadEnded: WorkloadStatus | null;
      work: number;
      /** [R4] Monte Carlo workloads reopened because this result caught a volunteer. */
      reopened: string[];
    }
  | {
      kind: 'refused';
      code: 'NOT_LEASED' | 'LEASE_EXPIRED' | 'INVALID_RESULT';
      message: string;
      /** [R4] Monte Carlo workloads reopened because this (invalid) result caught a volunteer. */
      reopened?: string[];
    };

export interface GradientStore {
  createWorkload(workload: NewGradientWorkload, now: number): void;
  state(workloadId: string): GradientState | null;
  /** [A3] The parameters of `version` while units may still be computed at it, else null. */
  paramsAt(workloadId: string, version: number): Uint8Array | null;
  stepMetrics(workloadId: string): StepMetrics[];
  /** The workload of a gradient replica (so its dataset can be loaded before submitting). */
  replicaWorkload(replicaId: number): string | null;
  /** A partition of an open round by its hash: which workload's dataset rebuilds its bytes. */
  shardByHash(
    hash: string,
  ): { workloadId: string; step: number; start: number; count: number } | null;
  leaseUnit(request: GradientLeaseRequest): LeasedGradientUnit | null;
  renewReplica(
    replicaId: number,
    volunteerId: string,
    now: number,
    leaseDurationMs: number,
  ): number | null;
  submitResult(submission: GradientSubmission, hooks: RoundHooks): GradientSubmitOutcome;
  reportError(
    replicaId: number,
    volunteerId: string,
    message: string,
    now: number,
  ): ReleaseOutcome | null;
  expireLeases(now: number): ReleaseOutcome;
  /** The workload was cancelled: its replicas in flight stop counting against their tabs. */
  releaseWorkload(workloadId: string, now: number): void;
  releaseConnection(connectionId: string, now: number): ReleaseOutcome;
  /** [L5] The coordinator (re)started: every in-flight gradient replica times out now. */
  releaseAllConnections(now: number): ReleaseOutcome;
}
