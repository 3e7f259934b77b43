// Runs an estimator's GpuPlan on a GPUDevice: the same code drives WebGPU in a browser worker
// and Dawn (the `webgpu` npm package) in Node tests and benchmarks. Pipelines are compiled
// once per device and cached by WGSL source.
import { MC_BINDINGS, type GpuPlan } from '../kinds/estimator';

export interface RunOptions {
  /** Awaited after each dispatch completes on the GPU: the throttle's place to pause. */
  afterDispatch?: (index: number, total: number) => Promise<void>;
}

export class GpuKernelRunner {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(readonly device: GPUDevice) {}

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  private pipelineFor(plan: GpuPlan): GPUComputePipeline {
    const key = `${plan.entryPoint}\n${plan.code}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const module = this.device.createShaderModule({ code: plan.code });
      pipeline = this.device.createComputePipeline({
        layout: 'auto',
        compute: { module, entryPoint: plan.entryPoint },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  async run(plan: GpuPlan, options: RunOptions = {}): Promise<Uint32Array> {
    const { device } = this;
    const pipeline = this.pipelineFor(plan);
    const paramsBytes = Math.max(
      16,
      Math.ceil(Math.max(...plan.dispatches.map((d) => d.params.byteLength)) / 16) * 16,
    );
    const outputBytes = Math.max(4, plan.outputWords * 4);
    const params = device.createBuffer({
      size: paramsBytes,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    // New buffers are zero-filled by WebGPU: the accumulators start at 0.
    const output = device.createBuffer({
      size: outputBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const readback = device.createBuffer({
      size: outputBytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: MC_BINDINGS.params, resource: { buffer: params } },
          { binding: MC_BINDINGS.output, resource: { buffer: output } },
        ],
      });
      const total = plan.dispatches.length;
      for (let index = 0; index < total; index++) {
        const dispatch = plan.dispatches[index]!;
        const words = new Uint32Array(paramsBytes / 4);
        words.set(dispatch.params);
        device.queue.writeBuffer(params, 0, words);
        const encoder = device.createCommandEncoder();
        const pass = encoder.beginComputePass();
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(dispatch.workgroups);
        pass.end();
        if (index === total - 1) encoder.copyBufferToBuffer(output, 0, readback, 0, outputBytes);
        device.queue.submit([encoder.finish()]);
        if (options.afterDispatch) {
          await device.queue.onSubmittedWorkDone();
          await options.afterDispatch(index, total);
        }
      }
      await readback.mapAsync(GPUMapMode.READ);
      const result = new Uint32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return result;
    } finally {
      params.destroy();
      output.destroy();
      readback.destroy();
    }
  }
}
