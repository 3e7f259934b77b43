// Runs gradient units (data-parallel training) in the volunteer's worker: fetches the unit's
// parameter version and data shard over HTTP as bytes (shards once per tab, cached by their
// SHA-256 and checked against it), computes the shard's gradient with the WGSL kernels on
// WebGPU (GradientGpu, buffers kept between units of the same model) or the TypeScript
// reference on the CPU, and returns the result as bytes (gradientResultCodec.ts) for the
// coordinator's edge check and quorum.
import { GradientGpu } from '@tessera/shared/gpu/gradientGpu';
import { computeGradient } from '@tessera/shared/kinds/gradient/gradientReference';
import { encodeGradientResult } from '@tessera/shared/kinds/gradient/gradientResultCodec';
import type { GradientTask } from '@tessera/shared/kinds/gradient/gradientSpec';
import { decodeShard, shardHash } from '@tessera/shared/kinds/gradient/shardCodec';
import type { ComputeBackend } from './computeBackend';
import { DeviceLostError, UnitAbandonedError } from './volunteerErrors';

/** Shard bytes a tab keeps; the oldest go first when a new shard would pass this. */
export const SHARD_CACHE_BYTES = 64 * 1024 * 1024;
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

export class GradientUnitRunner {
  private readonly shards = new Map<string, ArrayBuffer>();
  private shardBytes = 0;
  private gpu: { device: GPUDevice; key: string; runner: GradientGpu } | null = null;

  constructor(private readonly fetch: FetchBytes = fetchBytes) {}

  async run(
    backend: ComputeBackend,
    task: GradientTask,
    signal: AbortSignal,
  ): Promise<GradientUnitRun> {
    const [paramsBytes, shardBytes] = await Promise.all([
      this.fetch(task.paramsUrl, signal),
      this.shard(task, signal),
    ]);
    if (signal.aborted) throw abortReason(signal);
    const params = new Float32Array(paramsBytes);
    if (params.length !== task.parameterCount) {
      throw new Error(
        `parameters of ${params.length} values, the model has ${task.parameterCount}`,
      );
    }
    const shard = decodeShard(shardBytes);
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

  /** The task's shard: from the cache, or downloaded and checked against its hash. */
  private async shard(task: GradientTask, signal: AbortSignal): Promise<ArrayBuffer> {
    const cached = this.shards.get(task.shardHash);
    if (cached) {
      this.shards.delete(task.shardHash);
      this.shards.set(task.shardHash, cached);
      return cached;
    }
    const bytes = await this.fetch(task.shardUrl, signal);
    const hash = await shardHash(bytes);
    if (hash !== task.shardHash) throw new Error(`shard ${task.shardHash} arrived as ${hash}`);
    this.shards.set(task.shardHash, bytes);
    this.shardBytes += bytes.byteLength;
    for (const [key, old] of this.shards) {
      if (this.shardBytes <= SHARD_CACHE_BYTES || key === task.shardHash) break;
      this.shards.delete(key);
      this.shardBytes -= old.byteLength;
    }
    return bytes;
  }

  get cachedShards(): number {
    return this.shards.size;
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new UnitAbandonedError('unit dropped');
}
