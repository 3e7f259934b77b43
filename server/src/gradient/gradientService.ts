// The coordinator's gradient side (parameter server): splits a gradient workload into rounds,
// turns leased units into tasks, checks results at the edge, and closes a round (aggregate in
// shard order, optimizer step, metrics, next round) inside the store transaction that
// validates its last shard. Parameters and data partitions are served as bytes
// (gradientRoutes.ts).
//
// Data is resident ([G1], [G2]): the training set is cut once per workload into one fixed
// partition per shard index (dataPartitions.ts), each served under its content hash, and a unit
// names its partition plus the slice of that partition's epoch order it computes. A tab that
// holds a partition computes every later unit of that shard without downloading data, and
// leasing prefers such tabs ([L9], partitionHoldings.ts).
//
// Held-out accuracy is evaluated server-side every `evalEvery` steps (default 10) and after
// the last step: on MNIST (2,000 digits, softmax) one evaluation is ~16M multiply-adds, a few
// tens of ms, so evaluating every 10 rounds costs a small fraction of the round time.
import { createHash } from 'node:crypto';
import { ERROR_CODES, TesseraError, type Lease, type Redundancy } from '@tessera/shared';
import type { SubmitGradientWorkload } from '@tessera/shared/workloadSpec';
import { ByteLru } from '@tessera/shared/kinds/gradient/byteLru';
import {
  partitionMembers,
  partitionSizes,
  partitionStepsPerEpoch,
  stepSlices,
  type PartitionLayout,
} from '@tessera/shared/kinds/gradient/dataPartitions';
import { gatherExamples, type ExampleSet } from '@tessera/shared/kinds/gradient/exampleSet';
import { sameGradientResult } from '@tessera/shared/kinds/gradient/gradientCompare';
import { parameterCount } from '@tessera/shared/kinds/gradient/gradientModel';
import { evaluate, type GradientResult } from '@tessera/shared/kinds/gradient/gradientReference';
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
import {
  initialOptimizerState,
  optimizerStep,
  type OptimizerConfig,
} from '@tessera/shared/kinds/gradient/optimizer';
import {
  decodeOptimizerState,
  encodeOptimizerState,
} from '@tessera/shared/kinds/gradient/optimizerStateCodec';
import { initParameters } from '@tessera/shared/kinds/gradient/parameterInit';
import {
  aggregateGradients,
  type AggregationRule,
} from '@tessera/shared/kinds/gradient/robustAggregation';
import { weighStaleness } from '@tessera/shared/kinds/gradient/staleness';
import { encodeShard, shardByteLength } from '@tessera/shared/kinds/gradient/shardCodec';
import { GradientDatasets, featureDtypeOf, modelConfigOf, trainCountOf } from './gradientDatasets';
import type {
  GradientLeaseRequest,
  GradientStore,
  GradientSubmitOutcome,
  RoundHooks,
  RoundInput,
  RoundOutput,
  ShardPlan,
} from './gradientStore';
import { PartitionHoldings } from './partitionHoldings';

/** Partition bytes kept in memory; evicted ones are rebuilt from the dataset on demand. */
export const SHARD_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * A copy of the bytes as a standalone ArrayBuffer (typed-array views need alignment). Not
 * `bytes.slice()`: on a Node Buffer (SQLite blobs, socket.io payloads) that is a view into a
 * shared pool, not a copy.
 */
export function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

export function paramsOf(bytes: Uint8Array): Float32Array {
  return new Float32Array(ownBuffer(bytes));
}

function bytesOf(array: Float32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export function aggregationOf(spec: GradientSpec): AggregationRule {
  return spec.aggregation === 'trimmed-mean'
    ? { rule: 'trimmed-mean', trim: spec.trim ?? 0 }
    : { rule: spec.aggregation };
}

export function optimizerOf(spec: GradientSpec): OptimizerConfig {
  return spec.optimizer as OptimizerConfig;
}

/** How the spec's training set splits into resident partitions and steps (dataPartitions.ts). */
export function layoutOf(spec: GradientSpec): PartitionLayout {
  return {
    trainCount: trainCountOf(spec),
    batchSize: spec.batchSize,
    shards: spec.shards,
    seed: spec.seed,
  };
}

export function stepsOf(spec: GradientSpec): number {
  return spec.steps ?? spec.epochs! * partitionStepsPerEpoch(layoutOf(spec));
}

/** Units over all steps: an epoch's last step may leave out partitions already used up. */
function unitsOf(spec: GradientSpec, steps: number): number {
  const layout = layoutOf(spec);
  const perEpoch = partitionStepsPerEpoch(layout);
  const epochUnits = Array.from({ length: perEpoch }, (_, i) => stepSlices(layout, i).length);
  const inEpoch = (n: number) => epochUnits.slice(0, n).reduce((a, b) => a + b, 0);
  return Math.floor(steps / perEpoch) * inEpoch(perEpoch) + inEpoch(steps % perEpoch);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface GradientResultSummary {
  kind: 'gradient';
  status: string;
  final: boolean;
  /** Parameter version reached (= steps completed). */
  version: number;
  stepsTotal: number;
  /** `versions` (asynchronous rounds only): the parameter version of each shard's gradient. */
  steps: Array<{ step: number; loss: number; accuracy?: number; versions?: number[] }>;
  /** Latest training loss and held-out accuracy (null before the first evaluation). */
  loss: number | null;
  accuracy: number | null;
  parameterCount: number;
  /** GET this with ?format=bin (or the versioned URL) for the parameters as float32 bytes. */
  paramsUrl: string;
}

/** A workload's resident partitions: which training examples each holds, and its hash. */
interface WorkloadPartitions {
  members: Uint32Array[];
  hashes: string[];
}

/** What leasing a gradient unit produced, with whether the tab already held its partition. */
export interface GradientLeaseGrant {
  lease: Lease;
  /** [L9] The connection had been leased this partition before (it need not download it). */
  partitionHeld: boolean;
}

export class GradientService {
  readonly datasets = new GradientDatasets();
  readonly shardCache = new ByteLru(SHARD_CACHE_BYTES);
  /** [L9] Which partitions each volunteer connection holds. */
  readonly holdings = new PartitionHoldings();
  private readonly specs = new Map<string, GradientSpec>();
  private readonly partitions = new Map<string, WorkloadPartitions>();
  private readonly hooks: RoundHooks;

  constructor(readonly store: GradientStore) {
    this.hooks = {
      parse: (spec, count, raw) => this.parseResult(this.specOf(spec), count, raw),
      same: (spec, a, b) => sameGradientResult(a, b, this.specOf(spec).tolerance),
      encode: (r) => new Uint8Array(encodeGradientResult(r)),
      decode: (bytes) => decodeGradientResult(ownBuffer(bytes)),
      closeRound: (input) => this.closeRound(input),
    };
  }

  private specOf(raw: unknown): GradientSpec {
    return gradientSpecSchema.parse(raw);
  }

  /** The spec of a gradient workload, parsed once. */
  specFor(workloadId: string, raw: unknown): GradientSpec {
    let spec = this.specs.get(workloadId);
    if (!spec) {
      spec = this.specOf(raw);
      this.specs.set(workloadId, spec);
    }
    return spec;
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

  /** Encodes a partition into the cache; returns its hash. */
  private encodePartition(train: ExampleSet, members: Uint32Array): string {
    const bytes = new Uint8Array(encodeShard(gatherExamples(train, members)));
    const hash = sha256Hex(bytes);
    this.shardCache.set(hash, bytes);
    return hash;
  }

  /** [G2] Step `step`'s units: one per partition with examples left in the epoch. */
  planRound(workloadId: string, spec: GradientSpec, train: ExampleSet, step: number): ShardPlan[] {
    const { hashes } = this.partitionsOf(workloadId, spec, train);
    return stepSlices(layoutOf(spec), step).map((slice) => ({
      shard: slice.partition,
      start: slice.offset,
      count: slice.count,
      hash: hashes[slice.partition]!,
    }));
  }

  async submit(
    input: SubmitGradientWorkload,
    id: string,
    name: string,
    now: number,
  ): Promise<void> {
    const spec = input.spec;
    const config = modelConfigOf(spec);
    const sets = await this.datasets.load(spec);
    if (spec.batchSize > sets.train.count) {
      // Details as the schema's refusals give them, so the submit form marks the field.
      const message = `${spec.batchSize} is more than the ${sets.train.count} training examples`;
      throw new TesseraError(ERROR_CODES.invalidSpec, `spec.batchSize: ${message}`, [
        { path: 'spec.batchSize', message },
      ]);
    }
    const steps = stepsOf(spec);
    const unitsTotal = unitsOf(spec, steps);
    const params = initParameters(config, spec.seed);
    const optimizer = encodeOptimizerState(initialOptimizerState(optimizerOf(spec), params.length));
    this.store.createWorkload(
      {
        id,
        name,
        spec,
        redundancy: input.redundancy as Redundancy,
        steps,
        unitsTotal,
        params: bytesOf(params),
        optimizer: new Uint8Array(optimizer),
        // [A3] asynchronous rounds open maxStaleness steps ahead of the current one.
        firstRounds: Array.from({ length: Math.min(steps, spec.maxStaleness + 1) }, (_, step) =>
          this.planRound(id, spec, sets.train, step),
        ),
      },
      now,
    );
  }

  /** [L9] Leases a unit, preferring partitions the connection already holds. */
  async lease(
    request: Omit<GradientLeaseRequest, 'preferHashes'>,
  ): Promise<GradientLeaseGrant | null> {
    const leased = this.store.leaseUnit({
      ...request,
      preferHashes: this.holdings.held(request.connectionId),
    });
    if (!leased) return null;
    const spec = this.specFor(leased.workloadId, leased.spec);
    const config = modelConfigOf(spec);
    const layout = layoutOf(spec);
    const partitionCount = partitionSizes(layout)[leased.shard]!;
    const task: GradientTask = {
      version: leased.version,
      step: leased.step,
      shard: leased.shard,
      modelConfig: config,
      parameterCount: parameterCount(config),
      paramsUrl: `/api/workloads/${leased.workloadId}/params/${leased.version}`,
      partition: {
        url: `/api/shards/${leased.shardHash}`,
        hash: leased.shardHash,
        count: partitionCount,
      },
      examples: {
        seed: spec.seed,
        epoch: Math.floor(leased.step / partitionStepsPerEpoch(layout)),
        offset: leased.start,
      },
      count: leased.count,
    };
    const partitionBytes = shardByteLength({
      dtype: featureDtypeOf(spec),
      count: partitionCount,
      inputSize: config.inputSize,
    });
    return {
      lease: {
        replicaId: leased.replicaId,
        workloadId: leased.workloadId,
        workloadName: leased.workloadName,
        kind: 'gradient',
        estimator: 'gradient',
        unitIndex: leased.step * spec.shards + leased.shard,
        task,
        deadline: leased.deadline,
        leaseDurationMs: request.leaseDurationMs,
      },
      partitionHeld: this.holdings.record(request.connectionId, leased.shardHash, partitionBytes),
    };
  }

  /** [L9] The connection closed: what its tab held is forgotten with it. */
  forgetConnection(connectionId: string): void {
    this.holdings.forget(connectionId);
  }

  /** Loads the unit's dataset first: closing a round evaluates and plans synchronously. */
  async submitResult(
    submission: Parameters<GradientStore['submitResult']>[0],
    readSpec: (workloadId: string) => Promise<unknown>,
  ): Promise<GradientSubmitOutcome> {
    const workloadId = this.store.replicaWorkload(submission.replicaId);
    if (workloadId) await this.datasets.load(this.specFor(workloadId, await readSpec(workloadId)));
    return this.store.submitResult(submission, this.hooks);
  }

  private parseResult(
    spec: GradientSpec,
    count: number,
    raw: unknown,
  ): { result: GradientResult } | { problem: string } {
    if (!(raw instanceof Uint8Array) && !(raw instanceof ArrayBuffer)) {
      return { problem: 'a gradient result travels as bytes (encodeGradientResult), not JSON' };
    }
    let result: GradientResult;
    try {
      result = decodeGradientResult(raw instanceof Uint8Array ? ownBuffer(raw) : raw);
    } catch (error) {
      return { problem: (error as Error).message };
    }
    const problem = gradientResultProblem(result, {
      parameterCount: parameterCount(modelConfigOf(spec)),
      count,
    });
    return problem === null ? { result } : { problem };
  }

  private closeRound(input: RoundInput): RoundOutput {
    const spec = this.specOf(input.spec);
    const config = modelConfigOf(spec);
    const sets = this.datasets.loadedFor(spec);
    // [A3] a stale shard's gradient counts 1 / (1 + staleness); fresh ones (all, when
    // synchronous) are left as they are.
    const gradient = aggregateGradients(
      weighStaleness(input.step, input.canonicals, input.versions),
      aggregationOf(spec),
    );
    const next = optimizerStep(
      optimizerOf(spec),
      paramsOf(input.params),
      decodeOptimizerState(ownBuffer(input.optimizer)),
      gradient,
    );
    let lossSum = 0;
    let examples = 0;
    let trainCorrect = 0;
    for (const r of input.canonicals) {
      lossSum += r.lossSum;
      examples += r.count;
      trainCorrect += r.correct;
    }
    const done = input.step + 1;
    const evaluateNow = done % spec.evalEvery === 0 || done === input.steps;
    return {
      params: bytesOf(next.params),
      optimizer: new Uint8Array(encodeOptimizerState(next.state)),
      metrics: {
        step: input.step,
        loss: lossSum / examples,
        trainCorrect,
        examples,
        accuracy: evaluateNow ? evaluate(config, next.params, sets.test).accuracy : null,
        versions: input.versions,
      },
      maxStaleness: spec.maxStaleness,
      // [A3] the round that opens now is maxStaleness steps ahead of the new current one.
      nextRound:
        done + spec.maxStaleness < input.steps
          ? this.planRound(input.workloadId, spec, sets.train, done + spec.maxStaleness)
          : null,
    };
  }

  /**
   * The parameters of `version` while units may be computed at it: the current one (the final
   * parameters once done), and [A3] with asynchronous rounds the maxStaleness before it.
   */
  params(workloadId: string, version: number): Uint8Array {
    const state = this.store.state(workloadId);
    if (!state) throw new TesseraError(ERROR_CODES.notFound, `no gradient workload ${workloadId}`);
    const params = this.store.paramsAt(workloadId, version);
    if (!params) {
      throw new TesseraError(
        ERROR_CODES.notFound,
        `parameter version ${version} is not held: the workload is at version ${state.version}`,
        { version: state.version },
      );
    }
    return params;
  }

  /** A partition's bytes by hash: from the cache, or rebuilt from its workload's dataset. */
  async shard(
    hash: string,
    readSpec: (workloadId: string) => Promise<unknown>,
  ): Promise<Uint8Array> {
    const cached = this.shardCache.get(hash);
    if (cached) return cached;
    const where = this.store.shardByHash(hash);
    if (!where) {
      throw new TesseraError(ERROR_CODES.notFound, `no data partition ${hash} in an open round`);
    }
    const spec = this.specFor(where.workloadId, await readSpec(where.workloadId));
    const sets = await this.datasets.load(spec);
    const { members, hashes } = this.partitionsOf(where.workloadId, spec, sets.train);
    const k = hashes.indexOf(hash);
    if (k >= 0 && !this.shardCache.has(hash)) this.encodePartition(sets.train, members[k]!);
    const rebuilt = this.shardCache.get(hash);
    if (rebuilt) return rebuilt;
    throw new TesseraError(ERROR_CODES.internal, `data partition ${hash} could not be rebuilt`);
  }

  summary(workloadId: string, status: string, rawSpec: unknown): GradientResultSummary {
    const spec = this.specFor(workloadId, rawSpec);
    const state = this.store.state(workloadId)!;
    const metrics = this.store.stepMetrics(workloadId);
    const lastEval = [...metrics].reverse().find((m) => m.accuracy !== null);
    return {
      kind: 'gradient',
      status,
      final: status === 'completed',
      version: state.version,
      stepsTotal: state.steps,
      steps: metrics.map((m) => ({
        step: m.step,
        loss: m.loss,
        ...(m.accuracy !== null ? { accuracy: m.accuracy } : {}),
        // [A3] which parameter version each shard used: with the spec, enough to replay the run.
        ...(spec.maxStaleness > 0 ? { versions: m.versions } : {}),
      })),
      loss: metrics.at(-1)?.loss ?? null,
      accuracy: lastEval?.accuracy ?? null,
      parameterCount: parameterCount(modelConfigOf(spec)),
      paramsUrl: `/api/workloads/${workloadId}/result?format=bin`,
    };
  }
}
