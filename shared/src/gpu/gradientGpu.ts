// Runs gradient units on a GPUDevice: the same class drives WebGPU in a volunteer's Web Worker
// and Dawn (the `webgpu` npm package) in Node tests and benchmarks, so it uses the plain WebGPU
// API only. The kernels serve every model and shape, so a device compiles them once, shared by
// every GradientGpu on it; buffers are sized for `maxBatch` once per instance and
// reused by every unit. A unit is one submission: upload params + shard, the passes of
// gradientPlan.ts, copy the answer back. logits() is the same with the forward passes only
// (logitsPlan), for inference over unlabelled rows.
import {
  exampleSetProblem,
  featureRowsProblem,
  type ExampleSet,
  type FeatureRows,
} from '../kinds/gradient/exampleSet';
import {
  GRADIENT_BINDINGS,
  GRADIENT_ENTRY_POINTS,
  PASS_UNIFORM_BYTES,
  gradientWgsl,
  type GradientEntryPoint,
} from '../kinds/gradient/gradient.wgsl';
import {
  checkModelConfig,
  parameterCount,
  type ModelConfig,
} from '../kinds/gradient/gradientModel';
import {
  MAX_PLAN_PASSES,
  encodePassUniforms,
  gradientPlan,
  logitsPlan,
  workLayout,
  type PlannedPass,
} from '../kinds/gradient/gradientPlan';
import type { GradientResult } from '../kinds/gradient/gradientReference';
import { firstNonFinite } from '../kinds/gradient/finiteValues';

export interface GradientGpuOptions {
  /** Most examples a unit may hold; sizes the buffers. */
  maxBatch: number;
}

/** The compiled gradient kernels of one device, shared by every GradientGpu on it. */
export interface GradientKernels {
  layout: GPUBindGroupLayout;
  pipelines: Map<GradientEntryPoint, GPUComputePipeline>;
  /** Bytes between two dispatches' uniforms (the device's dynamic-offset alignment). */
  slotBytes: number;
}

/** Per device: the module serves every model and shape, so it is compiled once. */
const compiledByDevice = new WeakMap<GPUDevice, GradientKernels>();

/**
 * The device's gradient kernels, compiled on first call (about a second per matrix-product
 * pipeline on SwiftShader): a tab may call this while idle so its first unit starts at once.
 */
export function gradientKernels(device: GPUDevice): GradientKernels {
  const cached = compiledByDevice.get(device);
  if (cached) return cached;
  const buffer = (binding: number, layout: GPUBufferBindingLayout): GPUBindGroupLayoutEntry => ({
    binding,
    visibility: GPUShaderStage.COMPUTE,
    buffer: layout,
  });
  const layout = device.createBindGroupLayout({
    label: 'gradient',
    entries: [
      buffer(GRADIENT_BINDINGS.pass, {
        type: 'uniform',
        hasDynamicOffset: true,
        minBindingSize: PASS_UNIFORM_BYTES,
      }),
      buffer(GRADIENT_BINDINGS.features, { type: 'read-only-storage' }),
      buffer(GRADIENT_BINDINGS.labels, { type: 'read-only-storage' }),
      buffer(GRADIENT_BINDINGS.work, { type: 'storage' }),
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const module = device.createShaderModule({ label: 'gradient', code: gradientWgsl });
  const pipelines = new Map<GradientEntryPoint, GPUComputePipeline>();
  for (const entryPoint of GRADIENT_ENTRY_POINTS) {
    pipelines.set(
      entryPoint,
      device.createComputePipeline({
        label: `gradient ${entryPoint}`,
        layout: pipelineLayout,
        compute: { module, entryPoint },
      }),
    );
  }
  const align = device.limits.minUniformBufferOffsetAlignment;
  const compiled = { layout, pipelines, slotBytes: Math.ceil(PASS_UNIFORM_BYTES / align) * align };
  compiledByDevice.set(device, compiled);
  return compiled;
}

/** Whether this device has compiled the gradient kernels (they are compiled once per device). */
export function gradientKernelsCompiled(device: GPUDevice): boolean {
  return compiledByDevice.has(device);
}

/**
 * Writes a typed array's bytes at offset 0. Passing (buffer, byteOffset, byteLength) works for
 * views of any ArrayBuffer, e.g. a decoded shard's features at byte 32 of the shard.
 */
function writeView(queue: GPUQueue, target: GPUBuffer, view: Uint8Array | Float32Array): void {
  // The typings want an ArrayBuffer; views of a SharedArrayBuffer are accepted by WebGPU too.
  queue.writeBuffer(target, 0, view.buffer as ArrayBuffer, view.byteOffset, view.byteLength);
}

export class GradientGpu {
  readonly parameterCount: number;
  readonly maxBatch: number;
  private readonly kernels: GradientKernels;
  private readonly uniforms: GPUBuffer;
  private readonly features: GPUBuffer;
  private readonly labels: GPUBuffer;
  private readonly work: GPUBuffer;
  private readonly readback: GPUBuffer;
  private readonly bindGroup: GPUBindGroup;
  /** Units run one after another: they share the buffers. */
  private tail: Promise<unknown> = Promise.resolve();
  private destroyed = false;

  constructor(
    readonly device: GPUDevice,
    readonly config: ModelConfig,
    options: GradientGpuOptions,
  ) {
    checkModelConfig(config);
    if (!Number.isSafeInteger(options.maxBatch) || options.maxBatch < 1) {
      throw new RangeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    }
    this.maxBatch = options.maxBatch;
    this.parameterCount = parameterCount(config);
    const featureBytes = 4 * options.maxBatch * config.inputSize;
    const workBytes = 4 * workLayout(config, options.maxBatch).size;
    const limit = device.limits.maxStorageBufferBindingSize;
    if (Math.max(featureBytes, workBytes) > limit) {
      throw new RangeError(
        `maxBatch ${options.maxBatch} needs a ${Math.max(featureBytes, workBytes)}-byte storage ` +
          `buffer; this device binds at most ${limit}`,
      );
    }
    this.kernels = gradientKernels(device);
    const buffer = (label: string, bytes: number, usage: number) =>
      device.createBuffer({ label: `gradient ${label}`, size: Math.max(16, bytes), usage });
    const { STORAGE, COPY_DST, COPY_SRC, UNIFORM, MAP_READ } = GPUBufferUsage;
    const maxBatch = this.maxBatch;
    this.uniforms = buffer(
      'uniforms',
      MAX_PLAN_PASSES * this.kernels.slotBytes,
      UNIFORM | COPY_DST,
    );
    // Sized for float32 features, so either feature type fits.
    this.features = buffer('features', featureBytes, STORAGE | COPY_DST);
    this.labels = buffer('labels', 4 * maxBatch, STORAGE | COPY_DST);
    this.work = buffer('work', workBytes, STORAGE | COPY_DST | COPY_SRC);
    // A gradient unit's answer, or a logits() call's N x K logits.
    const readbackFloats = Math.max(this.parameterCount + 2, maxBatch * config.classes);
    this.readback = buffer('readback', 4 * readbackFloats, MAP_READ | COPY_DST);
    this.bindGroup = device.createBindGroup({
      label: 'gradient',
      layout: this.kernels.layout,
      entries: [
        {
          binding: GRADIENT_BINDINGS.pass,
          resource: { buffer: this.uniforms, size: PASS_UNIFORM_BYTES },
        },
        { binding: GRADIENT_BINDINGS.features, resource: { buffer: this.features } },
        { binding: GRADIENT_BINDINGS.labels, resource: { buffer: this.labels } },
        { binding: GRADIENT_BINDINGS.work, resource: { buffer: this.work } },
      ],
    });
  }

  private checkParams(params: Float32Array): void {
    if (this.destroyed) throw new Error('GradientGpu used after destroy()');
    if (params.length !== this.parameterCount) {
      throw new RangeError(`params hold ${params.length} values, model has ${this.parameterCount}`);
    }
    const bad = firstNonFinite(params);
    if (bad >= 0) throw new RangeError(`parameter ${bad} is ${params[bad]}`);
  }

  private checkCount(count: number, what: string): void {
    if (count < 1 || count > this.maxBatch) {
      throw new RangeError(
        `${what} holds ${count} examples, this runner takes 1..${this.maxBatch}`,
      );
    }
  }

  private check(params: Float32Array, shard: ExampleSet): void {
    this.checkParams(params);
    const { config } = this;
    if (shard.inputSize !== config.inputSize || shard.classes !== config.classes) {
      throw new RangeError(
        `shard is ${shard.inputSize} features / ${shard.classes} classes, model wants ` +
          `${config.inputSize} / ${config.classes}`,
      );
    }
    this.checkCount(shard.count, 'shard');
    const problem = exampleSetProblem(shard);
    if (problem) throw new RangeError(`bad shard: ${problem}`);
  }

  /**
   * One gradient unit: the WGSL twin of computeGradient() in gradientReference.ts. Units on one
   * runner queue behind each other; arguments are checked (and refused) before queueing.
   */
  compute(params: Float32Array, shard: ExampleSet): Promise<GradientResult> {
    this.check(params, shard);
    const run = this.tail.then(() => this.run(params, shard));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * The model's logits for `rows` (forward passes only; rows need no labels): count x K,
   * row-major, float32. The WGSL twin of forwardLogits() in gradientReference.ts; queues
   * behind this runner's gradient units like compute() does.
   */
  logits(params: Float32Array, rows: FeatureRows): Promise<Float32Array> {
    this.checkParams(params);
    if (rows.inputSize !== this.config.inputSize) {
      throw new RangeError(
        `rows have ${rows.inputSize} features, model wants ${this.config.inputSize}`,
      );
    }
    this.checkCount(rows.count, 'rows');
    const problem = featureRowsProblem(rows);
    if (problem) throw new RangeError(`bad rows: ${problem}`);
    const run = this.tail.then(() => this.runLogits(params, rows));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Uploads the passes' uniforms, the params and the rows' features. */
  private upload(plan: readonly PlannedPass[], params: Float32Array, rows: FeatureRows): void {
    const { queue } = this.device;
    queue.writeBuffer(this.uniforms, 0, encodePassUniforms(plan, this.kernels.slotBytes));
    writeView(queue, this.work, params);
    let features: Uint8Array | Float32Array = rows.features;
    if (features.byteLength % 4 !== 0) {
      // writeBuffer moves whole words; the kernels never read the padding bytes.
      const padded = new Uint8Array(Math.ceil(features.byteLength / 4) * 4);
      padded.set(features);
      features = padded;
    }
    writeView(queue, this.features, features);
  }

  /**
   * Encodes the passes, copies `floats` floats of work from `offset` into the readback buffer,
   * submits, and returns them.
   */
  private async dispatch(
    plan: readonly PlannedPass[],
    label: string,
    offset: number,
    floats: number,
  ): Promise<Float32Array> {
    const { device, kernels } = this;
    const encoder = device.createCommandEncoder({ label });
    const pass = encoder.beginComputePass();
    plan.forEach(({ entryPoint, workgroups }, i) => {
      pass.setPipeline(kernels.pipelines.get(entryPoint)!);
      pass.setBindGroup(0, this.bindGroup, [i * kernels.slotBytes]);
      pass.dispatchWorkgroups(workgroups[0], workgroups[1]);
    });
    pass.end();
    const bytes = 4 * floats;
    encoder.copyBufferToBuffer(this.work, 4 * offset, this.readback, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ, 0, bytes);
    const words = new Float32Array(this.readback.getMappedRange(0, bytes).slice(0));
    this.readback.unmap();
    return words;
  }

  private async run(params: Float32Array, shard: ExampleSet): Promise<GradientResult> {
    const count = shard.count;
    const plan = gradientPlan(this.config, count, shard.dtype);
    const layout = workLayout(this.config, count);
    this.upload(plan, params, shard);
    this.device.queue.writeBuffer(this.labels, 0, Uint32Array.from(shard.labels));
    const p = this.parameterCount;
    const words = await this.dispatch(plan, 'gradient unit', layout.grad, p + 2);
    return { gradSum: words.slice(0, p), lossSum: words[p]!, count, correct: words[p + 1]! };
  }

  private runLogits(params: Float32Array, rows: FeatureRows): Promise<Float32Array> {
    const plan = logitsPlan(this.config, rows.count, rows.dtype);
    this.upload(plan.passes, params, rows);
    // No forward pass reads the labels binding: whatever an earlier unit left there stays.
    return this.dispatch(
      plan.passes,
      'gradient logits',
      plan.logits,
      rows.count * this.config.classes,
    );
  }

  /**
   * Frees the buffers once queued units are done (compiled pipelines stay cached on the device
   * for the next runner).
   */
  destroy(): Promise<void> {
    this.destroyed = true;
    return this.tail.then(() => {
      for (const buffer of [this.uniforms, this.features, this.labels, this.work, this.readback]) {
        buffer.destroy();
      }
    });
  }
}
