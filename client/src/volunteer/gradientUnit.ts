// Runs gradient units (data-parallel training) in the volunteer's worker: fetches the unit's
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

  constructor(private readonly fetch: FetchBytes = fetchBytes) {}

  private parameters(url: string, signal: AbortSignal): Promise<ArrayBuffer> {
    let bytes = this.params.get(url);
    if (!bytes) {
      // Not tied to this unit's signal: a dropped unit must not fail the lanes sharing it.
      bytes = this.fetch(url, new AbortController().signal);
      this.params.set(url, bytes);
      bytes.catch(() => this.params.delete(url));
      while (this.params.size > VOLUNTEER_PARAMS_CACHE_VERSIONS) {
        this.params.delete(this.params.keys().next().value!);
      }
    }
    return Promise.race([
      bytes,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(abortReason(signal));
        signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
      }),
    ]);
  }

  async run(
    backend: ComputeBackend,
    task: GradientTask,
    signal: AbortSignal,
  ): Promise<GradientUnitRun> {
    const [paramsBytes, partition] = await Promise.all([
      this.parameters(task.paramsUrl, signal),
      this.partition(task, signal),
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

  private gpuRunner(device: GPUDevice, task: GradientTask): GradientGpu {
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
   * The task's partition: from the cache, or downloaded, checked against its hash and decoded
   * once. The download is the tab's, not the unit's: a unit dropped meanwhile stops waiting for
   * it, and the next unit of that shard finds it cached.
   */
  private async partition(task: GradientTask, signal: AbortSignal): Promise<ExampleSet> {
    const { hash } = task.partition;
    const cached = this.partitions.get(hash);
    if (cached) return cached.set;
    let arriving = this.arriving.get(hash);
    if (!arriving) {
      arriving = this.download(task.partition.url, hash).finally(() => this.arriving.delete(hash));
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
