// The coordinator's gradient side (parameter server): splits a gradient workload into rounds,
// turns leased units into tasks, checks results at the edge, and closes a round (aggregate in
// shard order, optimizer step, metrics, next round) inside the store transaction that
// validates its last shard. Parameters and shards are served as bytes (gradientRoutes.ts).
//
// Held-out accuracy is evaluated server-side every `evalEvery` steps (default 10) and after
// the last step: on MNIST (2,000 digits, softmax) one evaluation is ~16M multiply-adds, a few
// tens of ms, so evaluating every 10 rounds costs a small fraction of the round time.
import { createHash } from 'node:crypto';
import { ERROR_CODES, TesseraError, type Lease, type Redundancy } from '@tessera/shared';
import type { SubmitGradientWorkload } from '@tessera/shared/workloadSpec';
import {
  batchIndices,
  shardRanges,
  stepsPerEpoch,
} from '@tessera/shared/kinds/gradient/batchSchedule';
import {
  gatherExamples,
  sliceExamples,
  type ExampleSet,
} from '@tessera/shared/kinds/gradient/exampleSet';
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
import { encodeShard } from '@tessera/shared/kinds/gradient/shardCodec';
import { GradientDatasets, modelConfigOf, trainCountOf } from './gradientDatasets';
import type {
  GradientLeaseRequest,
  GradientStore,
  GradientSubmitOutcome,
  RoundHooks,
  RoundInput,
  RoundOutput,
  ShardPlan,
} from './gradientStore';
import { ByteLru } from './byteLru';

/** Shard bytes kept in memory; evicted shards are rebuilt from the dataset on demand. */
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

export function stepsOf(spec: GradientSpec): number {
  const perEpoch = stepsPerEpoch({ trainCount: trainCountOf(spec), batchSize: spec.batchSize });
  return spec.steps ?? spec.epochs! * perEpoch;
}

/** Examples in step `step`'s batch: the batch size, except an epoch's last (the leftover). */
function batchLength(spec: GradientSpec, step: number): number {
  const n = trainCountOf(spec);
  const perEpoch = stepsPerEpoch({ trainCount: n, batchSize: spec.batchSize });
  return step % perEpoch === perEpoch - 1 ? n - (perEpoch - 1) * spec.batchSize : spec.batchSize;
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
  steps: Array<{ step: number; loss: number; accuracy?: number }>;
  /** Latest training loss and held-out accuracy (null before the first evaluation). */
  loss: number | null;
  accuracy: number | null;
  parameterCount: number;
  /** GET this with ?format=bin (or the versioned URL) for the parameters as float32 bytes. */
  paramsUrl: string;
}

export class GradientService {
  readonly datasets = new GradientDatasets();
  readonly shardCache = new ByteLru(SHARD_CACHE_BYTES);
  private readonly specs = new Map<string, GradientSpec>();
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

  /** Step `step`'s shards, their bytes put in the cache. */
  planRound(spec: GradientSpec, train: ExampleSet, step: number): ShardPlan[] {
    const batch = gatherExamples(
      train,
      batchIndices({ trainCount: train.count, batchSize: spec.batchSize, seed: spec.seed }, step),
    );
    return shardRanges(batch.count, spec.shards).map(([start, end], shard) => {
      const bytes = new Uint8Array(encodeShard(sliceExamples(batch, start, end)));
      const hash = sha256Hex(bytes);
      this.shardCache.set(hash, bytes);
      return { shard, start, count: end - start, hash };
    });
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
      throw new TesseraError(
        ERROR_CODES.invalidSpec,
        `spec.batchSize: ${spec.batchSize} is more than the ${sets.train.count} training examples`,
      );
    }
    const steps = stepsOf(spec);
    let unitsTotal = 0;
    for (let step = 0; step < steps; step++) {
      unitsTotal += Math.min(spec.shards, batchLength(spec, step));
    }
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
        firstRound: this.planRound(spec, sets.train, 0),
      },
      now,
    );
  }

  async lease(request: GradientLeaseRequest): Promise<Lease | null> {
    const leased = this.store.leaseUnit(request);
    if (!leased) return null;
    const spec = this.specFor(leased.workloadId, leased.spec);
    const config = modelConfigOf(spec);
    const task: GradientTask = {
      version: leased.step,
      step: leased.step,
      shard: leased.shard,
      modelConfig: config,
      parameterCount: parameterCount(config),
      paramsUrl: `/api/workloads/${leased.workloadId}/params/${leased.step}`,
      shardUrl: `/api/shards/${leased.shardHash}`,
      shardHash: leased.shardHash,
      count: leased.count,
    };
    return {
      replicaId: leased.replicaId,
      workloadId: leased.workloadId,
      workloadName: leased.workloadName,
      kind: 'gradient',
      estimator: 'gradient',
      unitIndex: leased.step * spec.shards + leased.shard,
      task,
      deadline: leased.deadline,
      leaseDurationMs: request.leaseDurationMs,
    };
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
    const gradient = aggregateGradients(input.canonicals, aggregationOf(spec));
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
      },
      nextRound: done < input.steps ? this.planRound(spec, sets.train, done) : null,
    };
  }

  /** The parameters of `version` while it is the current one (or the final parameters). */
  params(workloadId: string, version: number): Uint8Array {
    const state = this.store.state(workloadId);
    if (!state) throw new TesseraError(ERROR_CODES.notFound, `no gradient workload ${workloadId}`);
    if (version !== state.version) {
      throw new TesseraError(
        ERROR_CODES.notFound,
        `parameter version ${version} is not held: the workload is at version ${state.version}`,
        { version: state.version },
      );
    }
    return state.params;
  }

  /** A shard's bytes by hash: from the cache, or rebuilt from its workload's dataset. */
  async shard(
    hash: string,
    readSpec: (workloadId: string) => Promise<unknown>,
  ): Promise<Uint8Array> {
    const cached = this.shardCache.get(hash);
    if (cached) return cached;
    const where = this.store.shardByHash(hash);
    if (!where) throw new TesseraError(ERROR_CODES.notFound, `no shard ${hash} in an open round`);
    const spec = this.specFor(where.workloadId, await readSpec(where.workloadId));
    const sets = await this.datasets.load(spec);
    for (const plan of this.planRound(spec, sets.train, where.step)) {
      if (plan.hash === hash) return this.shardCache.get(hash)!;
    }
    throw new TesseraError(ERROR_CODES.internal, `shard ${hash} could not be rebuilt`);
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
      })),
      loss: metrics.at(-1)?.loss ?? null,
      accuracy: lastEval?.accuracy ?? null,
      parameterCount: parameterCount(modelConfigOf(spec)),
      paramsUrl: `/api/workloads/${workloadId}/result?format=bin`,
    };
  }
}
