// Runs an estimator's GpuPlan on a GPUDevice: the same code drives WebGPU in a browser worker
// and Dawn (the `webgpu` npm package) in Node tests and benchmarks. Pipelines are compiled
// once per device and cached by WGSL source.
import { MC_BINDINGS, type GpuPlan } from '../kinds/estimator';

export interface RunOptions {
  /**
   * Awaited after each submit completes on the GPU, with the index of its last dispatch: the
   * throttle's place to pause. One dispatch per submit unless the plan batches them.
   */
  afterDispatch?: (index: number, total: number) => Promise<void>;
}

/** Bytes of one params slot: the largest dispatch's words, padded to 16 (uniform layout). */
function paramsSlotBytes(plan: GpuPlan): number {
  let bytes = 16;
  for (const dispatch of plan.dispatches) bytes = Math.max(bytes, dispatch.params.byteLength);
  return Math.ceil(bytes / 16) * 16;
}

/**
 * Pipelines kept per device at most: every built-in kernel, and the researchers' kernels a tab
 * ran most recently (each workload's own source), least recently used dropped first.
 */
export const MAX_CACHED_PIPELINES = 32;

export class GpuKernelRunner {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly device: GPUDevice) {}

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  private pipelineFor(plan: GpuPlan): GPUComputePipeline {
    const key = `${plan.entryPoint}\n${plan.code}`;
    let pipeline = this.pipelines.get(key);
    if (pipeline) {
      // Map order is use order: this one moves to the back.
      this.pipelines.delete(key);
    } else {
      const module = this.device.createShaderModule({ code: plan.code });
      pipeline = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: plan.entryPoint },
      });
      if (this.pipelines.size >= MAX_CACHED_PIPELINES) {
        this.pipelines.delete(this.pipelines.keys().next().value!);
      }
    }
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  /**
   * Compiles the plan's pipeline now (cached like run's), so that a caller can scope its
   * errors or time it apart from the run: the coordinator's kernel lab compiles a researcher's
   * kernel inside error scopes before its trial run.
   */
  prepare(plan: GpuPlan): void {
    this.pipelineFor(plan);
  }

  async run(plan: GpuPlan, options: RunOptions = {}): Promise<Uint32Array> {
    const { device } = this;
    const pipeline = this.pipelineFor(plan);
    const total = plan.dispatches.length;
    const asked = plan.dispatchesPerSubmit ?? 1;
    if (!Number.isInteger(asked) || asked < 1) {
      throw new RangeError(`dispatchesPerSubmit must be an integer >= 1, got ${asked}`);
    }
    const perSubmit = Math.max(1, Math.min(asked, total));
    const paramsBytes = paramsSlotBytes(plan);
    // Each dispatch of a submit reads its own slot of one params buffer: writeBuffer lands
    // before the submit, so the slots must all be there at once.
    const align = Math.max(
      device.limits.minUniformBufferOffsetAlignment,
      device.limits.minStorageBufferOffsetAlignment,
    );
    const slotStride = perSubmit === 1 ? paramsBytes : Math.ceil(paramsBytes / align) * align;
    const outputBytes = Math.max(4, plan.outputWords * 4);
    const buffers: GPUBuffer[] = [];
    // STORAGE too: a researcher's kernel (wgsl-kernel/wgslHarness.ts) declares fn uniform(),
    // which shadows the `uniform` address space, so its harness reads params as storage.
    const params = device.createBuffer({
      size: slotStride * perSubmit,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    buffers.push(params);
    // New buffers are zero-filled by WebGPU: the accumulators (and any scratch) start at 0.
    const output = device.createBuffer({
      size: outputBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    buffers.push(output);
    const readback = device.createBuffer({
      size: outputBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    buffers.push(readback);
    try {
      const scratch = (plan.storageWords ?? []).map((words, i) => {
        const buffer = device.createBuffer({
          size: Math.max(4, words * 4),
          usage: GPUBufferUsage.STORAGE,
        });
        buffers.push(buffer);
        return { binding: MC_BINDINGS.storage + i, resource: { buffer } };
      });
      const bindGroups = Array.from({ length: perSubmit }, (_, slot) =>
        device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            {
              binding: MC_BINDINGS.params,
              resource: { buffer: params, offset: slot * slotStride, size: paramsBytes },
            },
            { binding: MC_BINDINGS.output, resource: { buffer: output } },
            ...scratch,
          ],
        }),
      );
      const words = new Uint32Array((slotStride * perSubmit) / 4);
      for (let first = 0; first < total; first += perSubmit) {
        const count = Math.min(perSubmit, total - first);
        words.fill(0);
        for (let slot = 0; slot < count; slot++) {
          words.set(plan.dispatches[first + slot]!.params, (slot * slotStride) / 4);
        }
        device.queue.writeBuffer(params, 0, words, 0, (count * slotStride) / 4);
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        for (let slot = 0; slot < count; slot++) {
          pass.setBindGroup(0, bindGroups[slot]!);
          pass.dispatchWorkgroups(plan.dispatches[first + slot]!.workgroups);
        }
        pass.end();
        const last = first + count - 1;
        if (last === total - 1) encoder.copyBufferToBuffer(output, 0, readback, 0, outputBytes);
        device.queue.submit([encoder.finish()]);
        if (options.afterDispatch) {
          await device.queue.onSubmittedWorkDone();
          await options.afterDispatch(last, total);
        }
      }
      await readback.mapAsync(GPUMapMode.READ);
      const result = new Uint32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return result;
    } finally {
      for (const buffer of buffers) buffer.destroy();
    }
  }
}
