// What a workload kind plugs into the engine. The engine owns units, replicas, leases, quorum,
// the trust ledger and credit; a kind says what is its own: its spec, how a workload splits into
// units, what a result is and when two agree, which units may be leased now (rounds, locality,
// pinned versions), what validating a unit does to the answer, and what a caught volunteer's
// settled unit means (taken back out, or nothing). Adding a kind: a folder in server/src/kinds/
// implementing this, and a line in kinds/registry.ts.
import type { Backend, Lease, LeaseAttachment, SubmitWorkload } from '@tessera/shared';
import type { WorkloadKind } from '@tessera/shared/workloadSpec';
import type { Datasets } from '../datasets/datasets';
import type { NewUnit, Repository, Tx, UnitRow, WorkloadRow, WorkloadView } from './repository';

/** The immutable facts of a workload, read once and cached (parsed spec included). */
export interface WorkloadMeta {
  id: string;
  name: string;
  kind: WorkloadKind;
  estimator: string;
  /** The spec as the kind parsed it (parseSpec), once per workload. */
  spec: unknown;
  redundancy: WorkloadRow['redundancy'];
}

/** A new workload as its kind planned it, outside any transaction. */
export interface PlannedWorkload {
  name: string;
  estimator: string;
  /** The spec as stored (JSON), defaults filled in. */
  spec: unknown;
  unitsTotal: number;
  /** The units leasable from the start (all of them, or the first rounds). */
  units: NewUnit[];
  aggregate: unknown;
  blobs?: Record<string, Uint8Array>;
  records?: Array<{ seq: number; body: unknown }>;
}

/** [R9] A result taken in a transaction, to be spot-checked after it. */
export interface SpotCheckItem {
  replicaId: number;
  meta: WorkloadMeta;
  idx: number;
  /** The result as the kind parsed it (totals and blocks). */
  result: unknown;
}

export type ParsedResult = { result: unknown; bytes: Uint8Array } | { problem: string };

/** What validating a unit did for its workload. */
export interface ValidatedOutcome {
  /** Every unit is in: the workload is complete. */
  complete: boolean;
  /** The kind has work to do after the commit (a round to close): `settle` runs then. */
  settle: boolean;
}

/** What `settle` did (closing rounds outside the write transaction). */
export interface SettleOutcome {
  /** New units became leasable. */
  opened: boolean;
  ended: 'completed' | 'failed' | null;
}

export interface KindContext {
  repository: Repository;
  now(): number;
  /** Researchers' uploaded datasets (gradient training, inference). */
  datasets: Datasets;
}

/** [R9] A spot check's finding: which block of the unit was recomputed, and whether it agreed. */
export interface SpotCheckOutcome {
  block: number;
  blocks: number;
  ok: boolean;
}

export interface KindPlugin {
  readonly kind: WorkloadKind;
  /** [L7] Of the lowest leasable units, how many a lease picks among at random (1: the lowest). */
  readonly leaseChoices: number;
  /** Stragglers in the earliest open round get a backup replica. */
  readonly stragglerBackups: boolean;
  /** Several units to one tab per request ([L6]); false: one at a time. */
  readonly batchLeases: boolean;

  parseSpec(raw: unknown): unknown;
  plan(input: SubmitWorkload, id: string, now: number): Promise<PlannedWorkload>;
  /** [L9] Lease keys the connection holds: their units are leased to it first. */
  preferKeys(connectionId: string): readonly string[];
  /** [A3] What a unit is pinned to at its first lease, from the workload's current state. */
  pinAtLease(workload: WorkloadRow): number | null;
  /**
   * [L9] Whether the connection already holds the unit's data ('held'), or null where moot. A
   * kind with it makes a lease batch keep only held units (engine/leaseClaim.ts), and 'held' must
   * mean exactly: the unit's lease key is one of preferKeys(connectionId).
   */
  localityOf?(connectionId: string, unit: UnitRow): 'held' | 'fetched' | null;
  /** The lease sent to the volunteer for a replica of `unit`. */
  toLease(
    meta: WorkloadMeta,
    unit: UnitRow,
    replica: { id: number; deadline: number; leaseDurationMs: number },
    connectionId: string,
  ): Lease;
  /**
   * [L14] Bytes the lease's task will fetch by URL that are worth sending with it (a round's
   * parameters), or null; a kind remembers per connection what it sent (forgetConnection).
   */
  attachment?(lease: Lease, connectionId: string): Promise<LeaseAttachment | null>;
  /** Why a result for `unit` is stale now (its round closed), or null. */
  refuseStale?(workload: WorkloadRow, unit: UnitRow): string | null;
  /** [V2] The raw wire result as this unit's result (and its stored bytes), or the problem. */
  parseResult(meta: WorkloadMeta, unit: UnitRow, raw: unknown): ParsedResult;
  decode(meta: WorkloadMeta, bytes: Uint8Array): unknown;
  same(meta: WorkloadMeta, a: unknown, b: unknown): boolean;
  /**
   * [Q6] The coordinator's own result for a unit (reference kernel), or null where the kind has
   * none. Runs outside any transaction.
   */
  reference?(
    meta: WorkloadMeta,
    unit: UnitRow,
  ): Promise<{ result: unknown; bytes: Uint8Array } | null>;
  /** [A1] Inside the validating transaction: fold the canonical result into the answer. */
  onValidated(
    tx: Tx,
    meta: WorkloadMeta,
    unit: UnitRow,
    canonical: unknown,
  ): Promise<ValidatedOutcome>;
  /**
   * [R4] Takes an unverified canonical result back out of the answer, inside the transaction
   * that caught its volunteer; false where the kind cannot (a gradient step taken stays taken).
   */
  unfold(tx: Tx, meta: WorkloadMeta, unit: UnitRow, canonical: unknown): Promise<boolean>;
  /** Work after a commit (close ready rounds); also run by the sweep, so a crash loses none. */
  settle(meta: WorkloadMeta): Promise<SettleOutcome>;
  /** The public answer of a workload so far. */
  result(view: WorkloadView, tx: Tx): Promise<Record<string, unknown>>;
  /**
   * A small answer from the workload row alone, for the live dashboard where `result` is large
   * or costly to assemble (inference: every row's prediction); default `result`.
   */
  summary?(view: WorkloadView): Record<string, unknown>;
  /** [L12] Whether a tab with this backend can run the workload's units (default: any). */
  runsOn?(meta: WorkloadMeta, backend: Backend): boolean;
  /**
   * [R9] Recomputes one block of a returned result (the `draw` in [0, 1) picks which), outside
   * any transaction, and says whether the result's claim for it is right; null when the kind or
   * this result cannot be checked that way.
   */
  spotCheck?(
    meta: WorkloadMeta,
    unitIdx: number,
    result: unknown,
    draw: number,
  ): Promise<SpotCheckOutcome | null>;
  /** The connection closed: forget what it held. */
  forgetConnection(connectionId: string): void;
}
