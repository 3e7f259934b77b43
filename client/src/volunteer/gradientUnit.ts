// Runs gradient units (data-parallel training) and inference units in the volunteer's worker: fetches the unit's
// parameter version and data partition over HTTP as bytes (a partition once per tab: checked
// against its SHA-256 and decoded when it arrives, then kept in memory by hash for every later
// unit of that shard), takes the unit's slice of the partition (dataPartitions.ts), computes
// its gradient with the WGSL kernels on WebGPU (GradientGpu, buffers kept between units of the
// same model) or the TypeScript reference on the CPU, and returns the result as bytes
// (gradientResultCodec.ts) for the coordinator's edge check and quorum.
import { GradientGpu } from '@tessera/shared/gpu/gradientGpu';
import { ByteLru } from '@tessera/shared/kinds/gradient/byteLru';
import {
  VOLUNTEER_PARAMS_CACHE_VERSIONS,
  VOLUNTEER_PARTITION_CACHE_BYTES,
  taskExamples,
} from '@tessera/shared/kinds/gradient/dataPartitions';
import type { ExampleSet } from '@tessera/shared/kinds/gradient/exampleSet';
import { computeGradient } from '@tessera/shared/kinds/gradient/gradientReference';
import { encodeGradientResult } from '@tessera/shared/kinds/gradient/gradientResultCodec';
import type { GradientTask } from '@tessera/shared/kinds/gradient/gradientSpec';
import { decodeShard, shardHash } from '@tessera/shared/kinds/gradient/shardCodec';
import { encodeInferenceResult } from '@tessera/shared/kinds/inference/inferenceResult';
import type { InferenceTask } from '@tessera/shared/kinds/inference/inferenceSpec';
import { predictionsOf, predictRows } from '@tessera/shared/kinds/inference/predictRows';
import type { ComputeBackend } from './computeBackend';
import { DeviceLostError, UnitAbandonedError } from './volunteerErrors';

/** GPU buffers are sized for at least this many examples, so small shards share one runner. */
const MIN_GPU_BATCH = 256;

export interface GradientUnitRun {
  /** encodeGradientResult bytes. */
  result: ArrayBuffer;
  busyMs: number;
}

export type FetchBytes = (url: string, signal: AbortSignal) => Promise<ArrayBuffer>;

async function fetchBytes(url: string, signal: AbortSignal): Promise<ArrayBuffer> {
  const response = await fetch(url, { signal });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** Work of an inference unit for the tab's throughput: rows times parameters. */
export function inferenceWork(task: InferenceTask): number {
  return task.rows.count * task.parameterCount;
}

/** Work of a gradient unit for the tab's throughput: examples times parameters. */
export function gradientWork(task: GradientTask): number {
  return task.count * task.parameterCount;
}

/** A decoded partition, weighed by the bytes it was decoded from (its views keep them alive). */
interface CachedPartition {
  set: ExampleSet;
  byteLength: number;
}

export class GradientUnitRunner {
  private readonly partitions = new ByteLru<CachedPartition>(VOLUNTEER_PARTITION_CACHE_BYTES);
  /** Downloads under way, so lanes needing one partition at once fetch it once. */
  private readonly arriving = new Map<string, Promise<CachedPartition>>();
  private gpu: { device: GPUDevice; key: string; runner: GradientGpu } | null = null;

  /**
   * The latest parameter versions' bytes by URL (immutable per version): a tab computing several
   * shards of one step, or lanes of one round at once, downloads the parameters once.
   */
  private readonly params = new Map<string, Promise<ArrayBuffer>>();
  /** Inference models whose bytes were checked against their hash. */
  private readonly checkedModels = new Set<string>();

  constructor(private readonly fetch: FetchBytes = fetchBytes) {}

  /**
   * Parameter bytes, kept under `key`: a gradient version's URL, or an inference model's hash
   * (so two inference workloads of one model download it once).
   */
  private parameters(url: string, signal: AbortSignal, key = url): Promise<ArrayBuffer> {
    let bytes = this.params.get(key);
    if (!bytes) {
      // Not tied to this unit's signal: a dropped unit must not fail the lanes sharing it.
      bytes = this.fetch(url, new AbortController().signal);
      this.keepParameters(key, bytes);
      bytes.catch(() => this.params.delete(key));
    }
    return Promise.race([
      bytes,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(abortReason(signal));
        signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
      }),
    ]);
  }

  /** [L14] Parameters that came with a lease reply: kept as though fetched from `url`. */
  offerParameters(url: string, bytes: ArrayBuffer): void {
    this.keepParameters(url, Promise.resolve(bytes));
  }

  private keepParameters(key: string, bytes: Promise<ArrayBuffer>): void {
    this.params.set(key, bytes);
    while (this.params.size > VOLUNTEER_PARAMS_CACHE_VERSIONS) {
      this.params.delete(this.params.keys().next().value!);
    }
  }

  async run(
    backend: ComputeBackend,
    task: GradientTask,
    signal: AbortSignal,
  ): Promise<GradientUnitRun> {
    const [paramsBytes, partition] = await Promise.all([
      this.parameters(task.paramsUrl, signal),
      this.partition(task.partition, signal),
    ]);
    if (signal.aborted) throw abortReason(signal);
    const params = new Float32Array(paramsBytes);
    if (params.length !== task.parameterCount) {
      throw new Error(
        `parameters of ${params.length} values, the model has ${task.parameterCount}`,
      );
    }
    const shard = taskExamples(partition, task);
    const started = performance.now();
    if (backend.kind === 'cpu') {
      // Let queued messages (stop, renewals) through before the reference holds the thread.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (signal.aborted) throw abortReason(signal);
      const result = computeGradient(task.modelConfig, params, shard);
      return { result: encodeGradientResult(result), busyMs: performance.now() - started };
    }
    const runner = this.gpuRunner(backend.device, task);
    const lost = backend.lost.then((info): never => {
      throw new DeviceLostError(`the GPU device was lost (${info.reason})`);
    });
    const running = runner.compute(params, shard);
    running.catch(() => undefined);
    const result = await Promise.race([running, lost]);
    return { result: encodeGradientResult(result), busyMs: performance.now() - started };
  }

  private gpuRunner(
    device: GPUDevice,
    task: Pick<GradientTask, 'modelConfig' | 'count'>,
  ): GradientGpu {
    const key = JSON.stringify(task.modelConfig);
    const current = this.gpu;
    if (
      current &&
      current.device === device &&
      current.key === key &&
      task.count <= current.runner.maxBatch
    ) {
      return current.runner;
    }
    if (current) void current.runner.destroy().catch(() => undefined);
    const runner = new GradientGpu(device, task.modelConfig, {
      maxBatch: Math.max(MIN_GPU_BATCH, task.count),
    });
    this.gpu = { device, key, runner };
    return runner;
  }

  /**
   * An inference unit: the pinned model (downloaded once per workload, checked against its
   * hash) over the unit's rows, forward only: the WGSL matrix products on WebGPU or the
   * TypeScript reference on the CPU, then the same softmax (predictionsOf) on either's logits.
   */
  async predict(
    backend: ComputeBackend,
    task: InferenceTask,
    signal: AbortSignal,
  ): Promise<GradientUnitRun> {
    const [modelBytes, rows] = await Promise.all([
      this.parameters(task.model.url, signal, `model:${task.model.hash}`),
      this.partition(task.rows, signal),
    ]);
    if (signal.aborted) throw abortReason(signal);
    if (!this.checkedModels.has(task.model.hash)) {
      const got = await shardHash(modelBytes);
      if (got !== task.model.hash) {
        this.params.delete(`model:${task.model.hash}`);
        throw new Error(`model ${task.model.hash} arrived as ${got}`);
      }
      this.checkedModels.add(task.model.hash);
    }
    const params = new Float32Array(modelBytes);
    if (params.length !== task.parameterCount) {
      throw new Error(`a model of ${params.length} values, the task says ${task.parameterCount}`);
    }
    if (rows.count !== task.rows.count || rows.inputSize !== task.modelConfig.inputSize) {
      throw new Error(
        `rows of ${rows.count} x ${rows.inputSize}, the task says ${task.rows.count}`,
      );
    }
    const started = performance.now();
    if (backend.kind === 'cpu') {
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (signal.aborted) throw abortReason(signal);
      const result = predictRows(task.modelConfig, params, rows);
      return { result: encodeInferenceResult(result), busyMs: performance.now() - started };
    }
    const runner = this.gpuRunner(backend.device, {
      modelConfig: task.modelConfig,
      count: rows.count,
    });
    const lost = backend.lost.then((info): never => {
      throw new DeviceLostError(`the GPU device was lost (${info.reason})`);
    });
    const running = runner.logits(params, rows);
    running.catch(() => undefined);
    const logits = await Promise.race([running, lost]);
    const result = predictionsOf(logits, rows.count, task.modelConfig.classes);
    return { result: encodeInferenceResult(result), busyMs: performance.now() - started };
  }

  /**
   * A partition (or an inference unit's rows): from the cache, or downloaded, checked against
   * its hash and decoded once. The download is the tab's, not the unit's: a unit dropped
   * meanwhile stops waiting for it, and the next unit of that shard finds it cached.
   */
  private async partition(
    source: { url: string; hash: string },
    signal: AbortSignal,
  ): Promise<ExampleSet> {
    const { hash } = source;
    const cached = this.partitions.get(hash);
    if (cached) return cached.set;
    let arriving = this.arriving.get(hash);
    if (!arriving) {
      arriving = this.download(source.url, hash).finally(() => this.arriving.delete(hash));
      this.arriving.set(hash, arriving);
    }
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(abortReason(signal));
      signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
    });
    aborted.catch(() => undefined);
    return (await Promise.race([arriving, aborted])).set;
  }

  private async download(url: string, hash: string): Promise<CachedPartition> {
    const bytes = await this.fetch(url, new AbortController().signal);
    const got = await shardHash(bytes);
    if (got !== hash) throw new Error(`partition ${hash} arrived as ${got}`);
    const entry = { set: decodeShard(bytes), byteLength: bytes.byteLength };
    this.partitions.set(hash, entry);
    return entry;
  }

  get cachedPartitions(): number {
    return this.partitions.size;
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new UnitAbandonedError('unit dropped');
}
