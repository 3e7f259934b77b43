// Gradient workloads (parameter-server rounds) as an engine plug-in. A unit is one shard of one
// step's batch (index = step * shards + shard, round = step); the kind's state is the parameter
// version in the workload's aggregate, the parameters and optimizer state as blobs, and one
// record of metrics per closed step. Rounds close outside the write lock (gradientRounds.ts).
//
// Data is resident ([G1], [G2]): the training set is cut once per workload into one fixed
// partition per shard index, each served under its content hash; a unit names its partition
// plus the slice of that partition's epoch order it computes, and leasing prefers connections
// that hold the partition ([L9], partitionHoldings.ts).
import {
  ERROR_CODES,
  TesseraError,
  type Lease,
  type LeaseAttachment,
  type SubmitWorkload,
} from '@tessera/shared';
import { ByteLru } from '@tessera/shared/kinds/gradient/byteLru';
import {
  partitionMembers,
  partitionSizes,
  partitionStepsPerEpoch,
  stepSlices,
  taskExamples,
} from '@tessera/shared/kinds/gradient/dataPartitions';
import { gatherExamples, type ExampleSet } from '@tessera/shared/kinds/gradient/exampleSet';
import { sameGradientResult } from '@tessera/shared/kinds/gradient/gradientCompare';
import { parameterCount } from '@tessera/shared/kinds/gradient/gradientModel';
import {
  computeGradient,
  type GradientResult,
} from '@tessera/shared/kinds/gradient/gradientReference';
import {
  decodeGradientResult,
  encodeGradientResult,
  gradientResultProblem,
} from '@tessera/shared/kinds/gradient/gradientResultCodec';
import {
  gradientSpecSchema,
  type GradientSpec,
  type GradientTask,
} from '@tessera/shared/kinds/gradient/gradientSpec';
import { initialOptimizerState } from '@tessera/shared/kinds/gradient/optimizer';
import { encodeOptimizerState } from '@tessera/shared/kinds/gradient/optimizerStateCodec';
import { initParameters } from '@tessera/shared/kinds/gradient/parameterInit';
import {
  decodeShard,
  encodeShard,
  shardByteLength,
} from '@tessera/shared/kinds/gradient/shardCodec';
import type {
  KindContext,
  KindPlugin,
  ParsedResult,
  PlannedWorkload,
  SettleOutcome,
  ValidatedOutcome,
  WorkloadMeta,
} from '../../engine/kind';
import type { NewUnit, Tx, UnitRow, WorkloadRow, WorkloadView } from '../../engine/repository';
import { GradientDatasets, featureDtypeOf, modelConfigOf } from './gradientDatasets';
import {
  bytesOf,
  layoutOf,
  optimizerOf,
  ownBuffer,
  paramsOf,
  sha256Hex,
  SHARD_CACHE_BYTES,
  stepsOf,
  unitsOf,
} from './gradientPlan';
import { GradientRounds, gradientStateOf, oldestHeldVersion } from './gradientRounds';
import { ParamAttachments } from './paramAttachments';
import { ParamVersions } from './paramVersions';
import { readStoredVersion } from './storedVersions';
import { PartitionHoldings } from './partitionHoldings';
import { leaseOf, parseBinaryResult } from '../wireResults';
import { checkModelOf, resolveUpload } from './uploadedTraining';
import { STANDARDIZATION_BLOB } from './standardizationBlob';
import { gradientSummary } from './gradientSummary';

/** [G2] A unit's slice: positions [start, start + count) of partition `shard`'s epoch order. */
export interface ShardPlan {
  shard: number;
  start: number;
  count: number;
}

const GRADIENT_CODEC = {
  name: 'gradient',
  decode: decodeGradientResult,
  encode: encodeGradientResult,
};

export class GradientKind implements KindPlugin {
  readonly kind = 'gradient' as const;
  readonly leaseChoices = 1;
  readonly stragglerBackups = true;
  readonly batchLeases = true;
  readonly datasets: GradientDatasets;
  readonly shardCache = new ByteLru(SHARD_CACHE_BYTES);
  /** [L9] Which partitions each volunteer connection holds. */
  readonly holdings = new PartitionHoldings();
  private readonly partitions = new Map<string, { members: Uint32Array[]; hashes: string[] }>();
  private readonly rounds: GradientRounds;
  private readonly paramVersions = new ParamVersions((id, version) =>
    readStoredVersion(this.context, id, version),
  );
  /** [L14] Which parameter versions each connection was sent with its leases. */
  private readonly attached = new ParamAttachments((id, version) => this.params(id, version));

  constructor(private readonly context: KindContext) {
    this.datasets = new GradientDatasets(context.datasets);
    this.rounds = new GradientRounds(context, this);
  }

  parseSpec(raw: unknown): GradientSpec {
    return gradientSpecSchema.parse(raw);
  }

  /** [G1] The workload's partitions, cut and encoded once (their bytes put in the cache). */
  private partitionsOf(workloadId: string, spec: GradientSpec, train: ExampleSet) {
    let partitions = this.partitions.get(workloadId);
    if (!partitions) {
      const members = partitionMembers(layoutOf(spec));
      const hashes = members.map((m) => this.encodePartition(train, m));
      partitions = { members, hashes };
      this.partitions.set(workloadId, partitions);
    }
    return partitions;
  }

  private encodePartition(train: ExampleSet, members: Uint32Array): string {
    const bytes = new Uint8Array(encodeShard(gatherExamples(train, members)));
    const hash = sha256Hex(bytes);
    this.shardCache.set(hash, bytes);
    return hash;
  }

  /** [G2] Step `step`'s units: one per partition with examples left in the epoch. */
  async planRound(workloadId: string, spec: GradientSpec, step: number): Promise<NewUnit[]> {
    const sets = await this.datasets.load(spec);
    const { hashes } = this.partitionsOf(workloadId, spec, sets.train);
    const params = parameterCount(modelConfigOf(spec));
    return stepSlices(layoutOf(spec), step).map((slice) => ({
      idx: step * spec.shards + slice.partition,
      round: step,
      work: slice.count * params,
      plan: { shard: slice.partition, start: slice.offset, count: slice.count } satisfies ShardPlan,
      leaseKey: hashes[slice.partition]!,
    }));
  }

  async plan(input: SubmitWorkload, id: string, now: number): Promise<PlannedWorkload> {
    if (input.kind !== 'gradient') throw new Error('not a gradient workload');
    const { spec, standardization } = await resolveUpload(input.spec, this.context.datasets);
    checkModelOf(spec);
    const sets = await this.datasets.load(spec);
    if (spec.batchSize > sets.train.count) {
      // Details as the schema's refusals give them, so the submit form marks the field.
      const message = `${spec.batchSize} is more than the ${sets.train.count} training examples`;
      throw new TesseraError(ERROR_CODES.invalidSpec, `spec.batchSize: ${message}`, [
        { path: 'spec.batchSize', message },
      ]);
    }
    const steps = stepsOf(spec);
    const params = initParameters(modelConfigOf(spec), spec.seed);
    const optimizer = encodeOptimizerState(initialOptimizerState(optimizerOf(spec), params.length));
    const units: NewUnit[] = [];
    // [A3] asynchronous rounds open maxStaleness steps ahead of the current one.
    for (let step = 0; step < Math.min(steps, spec.maxStaleness + 1); step++) {
      units.push(...(await this.planRound(id, spec, step)));
    }
    return {
      name: `${spec.model} on ${spec.dataset} ${new Date(now).toISOString()}`,
      estimator: 'gradient',
      spec,
      unitsTotal: unitsOf(spec, steps),
      units,
      aggregate: { version: 0, steps },
      blobs: {
        params: bytesOf(params),
        optimizer: new Uint8Array(optimizer),
        ...(standardization ? { [STANDARDIZATION_BLOB]: standardization } : {}),
      },
    };
  }

  preferKeys(connectionId: string): readonly string[] {
    return this.holdings.held(connectionId);
  }

  pinAtLease(workload: WorkloadRow): number | null {
    return gradientStateOf(workload).version;
  }

  localityOf(connectionId: string, unit: UnitRow): 'held' | 'fetched' {
    return unit.leaseKey !== null && this.holdings.held(connectionId).includes(unit.leaseKey)
      ? 'held'
      : 'fetched';
  }

  /** [G2] What a volunteer computes for `unit`: its partition slice at its pinned version. */
  taskFor(meta: WorkloadMeta, unit: UnitRow): GradientTask {
    const spec = meta.spec as GradientSpec;
    const config = modelConfigOf(spec);
    const layout = layoutOf(spec);
    const plan = unit.plan as ShardPlan;
    const hash = unit.leaseKey!;
    const partitionCount = partitionSizes(layout)[plan.shard]!;
    const version = unit.pin ?? unit.round;
    const task: GradientTask = {
      version,
      step: unit.round,
      shard: plan.shard,
      modelConfig: config,
      parameterCount: parameterCount(config),
      paramsUrl: `/api/workloads/${meta.id}/params/${version}`,
      partition: { url: `/api/shards/${hash}`, hash, count: partitionCount },
      examples: {
        seed: spec.seed,
        epoch: Math.floor(unit.round / partitionStepsPerEpoch(layout)),
        offset: plan.start,
      },
      count: plan.count,
    };
    return task;
  }

  toLease(
    meta: WorkloadMeta,
    unit: UnitRow,
    replica: { id: number; deadline: number; leaseDurationMs: number },
    connectionId: string,
  ): Lease {
    const spec = meta.spec as GradientSpec;
    const task = this.taskFor(meta, unit);
    const hash = task.partition.hash;
    const partitionCount = task.partition.count;
    const partitionBytes = shardByteLength({
      dtype: featureDtypeOf(spec),
      count: partitionCount,
      inputSize: task.modelConfig.inputSize,
    });
    this.holdings.record(connectionId, hash, partitionBytes);
    return leaseOf(meta, unit, replica, 'gradient', task);
  }

  attachment(lease: Lease, connectionId: string): Promise<LeaseAttachment | null> {
    return this.attached.attach(connectionId, lease.workloadId, lease.task as GradientTask);
  }

  refuseStale(workload: WorkloadRow, unit: UnitRow): string | null {
    const { version } = gradientStateOf(workload);
    // The lease names a step; once that round has closed the result is stale.
    return unit.round < version
      ? `stale result: computed at parameter version ${unit.pin ?? unit.round}, the workload is at version ${version}`
      : null;
  }

  parseResult(meta: WorkloadMeta, unit: UnitRow, raw: unknown): ParsedResult {
    return parseBinaryResult(raw, GRADIENT_CODEC, (result) =>
      gradientResultProblem(result, {
        parameterCount: parameterCount(modelConfigOf(meta.spec as GradientSpec)),
        count: (unit.plan as ShardPlan).count,
      }),
    );
  }

  decode(_meta: WorkloadMeta, bytes: Uint8Array): GradientResult {
    return decodeGradientResult(ownBuffer(bytes));
  }

  same(meta: WorkloadMeta, a: unknown, b: unknown): boolean {
    return sameGradientResult(
      a as GradientResult,
      b as GradientResult,
      (meta.spec as GradientSpec).tolerance,
    );
  }

  /**
   * [Q6] The coordinator computes the unit as a volunteer would (the same partition bytes, the
   * same parameter version, the TypeScript reference), outside any transaction; null when the
   * unit's parameter version is no longer held.
   */
  async reference(
    meta: WorkloadMeta,
    unit: UnitRow,
  ): Promise<{ result: GradientResult; bytes: Uint8Array } | null> {
    const task = this.taskFor(meta, unit);
    let params: Uint8Array;
    try {
      params = await this.params(meta.id, task.version);
    } catch {
      return null;
    }
    const set = decodeShard(await this.shard(task.partition.hash));
    const result = computeGradient(task.modelConfig, paramsOf(params), taskExamples(set, task));
    return { result, bytes: new Uint8Array(encodeGradientResult(result)) };
  }

  async onValidated(tx: Tx, meta: WorkloadMeta, unit: UnitRow): Promise<ValidatedOutcome> {
    // The round closes once every shard of the current step is in: after the commit.
    const { version } = gradientStateOf((await tx.workload(meta.id))!);
    if (unit.round !== version) return { complete: false, settle: false };
    return { complete: false, settle: (await tx.unitsUnsettled(meta.id, version)) === 0 };
  }

  async unfold(): Promise<boolean> {
    // [R6] a round's optimizer step cannot be taken back.
    return false;
  }

  settle(meta: WorkloadMeta): Promise<SettleOutcome> {
    return this.rounds.closeReady(meta);
  }

  async result(view: WorkloadView, tx: Tx): Promise<Record<string, unknown>> {
    return { ...(await gradientSummary(view, this.parseSpec(view.spec), tx)) };
  }

  forgetConnection(connectionId: string): void {
    this.holdings.forget(connectionId);
    this.attached.forget(connectionId);
  }

  /**
   * The parameters of `version` while units may be computed at it: the current one (the final
   * parameters once done), and [A3] with asynchronous rounds the maxStaleness before it.
   */
  params(workloadId: string, version: number): Promise<Uint8Array> {
    return this.paramVersions.get(workloadId, version);
  }

  /**
   * A round's close committed `version` (GradientRounds): tabs ask for it next; versions before
   * `oldestHeld` are no longer served.
   */
  paramsCommitted(
    workloadId: string,
    version: number,
    bytes: Uint8Array,
    oldestHeld: number,
  ): void {
    this.paramVersions.committed(workloadId, version, bytes, oldestHeld);
  }

  /** The current parameters and their version. */
  async currentParams(workloadId: string): Promise<{ version: number; params: Uint8Array }> {
    return this.context.repository.transaction(this.context.now(), async (tx) => {
      const w = (await tx.workload(workloadId))!;
      return {
        version: gradientStateOf(w).version,
        params: (await tx.blob(workloadId, 'params'))!,
      };
    });
  }

  /** A partition's bytes by hash: from the cache, or rebuilt from its workload's dataset. */
  async shard(hash: string): Promise<Uint8Array> {
    const cached = this.shardCache.get(hash);
    if (cached) return cached;
    const found = await this.context.repository.transaction(this.context.now(), async (tx) => {
      const id = await tx.workloadOfLeaseKey(hash);
      return id ? await tx.workload(id) : null;
    });
    if (!found) {
      throw new TesseraError(ERROR_CODES.notFound, `no data partition ${hash} in an open round`);
    }
    const spec = this.parseSpec(found.spec);
    const sets = await this.datasets.load(spec);
    const { members, hashes } = this.partitionsOf(found.id, spec, sets.train);
    const k = hashes.indexOf(hash);
    if (k >= 0 && !this.shardCache.has(hash)) this.encodePartition(sets.train, members[k]!);
    const rebuilt = this.shardCache.get(hash);
    if (rebuilt) return rebuilt;
    throw new TesseraError(ERROR_CODES.internal, `data partition ${hash} could not be rebuilt`);
  }
}
