// The gradient unit's two implementations, one answer: the WGSL passes run by GradientGpu on
// Dawn/SwiftShader against computeGradient, within relative L2 <= GRADIENT_TOLERANCE over the
// whole gradient and over every tensor, on awkward shapes: batches of 1, 3, 17, 37 and 100
// (none a multiple of the 16-wide tile), 1, 5, 33 and 784 inputs, hidden layers [1], [5], [7],
// [64], [17, 3], [64, 32] and [33, 9, 2], 2, 10 and 11 classes, uint8 and float32 features. The
// forward passes alone (GradientGpu.logits, inference) against forwardLogits the same way.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GradientGpu, gradientKernels } from '../../../src/gpu/gradientGpu';
import { GRADIENT_BINDINGS, PASS_UNIFORM_BYTES } from '../../../src/kinds/gradient/gradient.wgsl';
import {
  encodePassUniforms,
  gradientPlan,
  workLayout,
} from '../../../src/kinds/gradient/gradientPlan';
import type { FeatureRows } from '../../../src/kinds/gradient/exampleSet';
import {
  GRADIENT_TOLERANCE,
  gradientResultMismatch,
  relativeL2Error,
} from '../../../src/kinds/gradient/gradientCompare';
import { parameterLayout, type ModelConfig } from '../../../src/kinds/gradient/gradientModel';
import {
  computeGradient,
  forwardLogits,
  softmaxRows,
  type GradientResult,
} from '../../../src/kinds/gradient/gradientReference';
import { decodeShard, encodeShard } from '../../../src/kinds/gradient/shardCodec';
import { dawnGpu, GPU_TEST_TIMEOUT_MS, withGpuErrorCheck } from '../../gpu/dawnDevice';
import type { DawnGpu } from '../../gpu/dawnGpu';
import { testParams, testSet } from './testSets';

interface Case {
  config: ModelConfig;
  batch: number;
  dtype: 'uint8' | 'float32';
}

const softmax = (inputSize: number, classes: number): ModelConfig => ({
  model: 'softmax',
  inputSize,
  classes,
});
const mlp = (inputSize: number, hidden: number[], classes: number): ModelConfig => ({
  model: 'mlp',
  inputSize,
  hidden,
  classes,
});

const CASES: Case[] = [
  { config: softmax(5, 2), batch: 1, dtype: 'float32' },
  { config: softmax(5, 10), batch: 17, dtype: 'float32' },
  { config: softmax(784, 10), batch: 3, dtype: 'uint8' },
  { config: softmax(784, 10), batch: 100, dtype: 'uint8' },
  { config: softmax(1, 11), batch: 37, dtype: 'float32' },
  { config: mlp(5, [1], 2), batch: 3, dtype: 'float32' },
  { config: mlp(5, [7], 10), batch: 100, dtype: 'float32' },
  { config: mlp(5, [64], 2), batch: 17, dtype: 'float32' },
  { config: mlp(784, [7], 10), batch: 1, dtype: 'uint8' },
  { config: mlp(784, [64], 10), batch: 17, dtype: 'uint8' },
  { config: mlp(784, [64], 10), batch: 100, dtype: 'uint8' },
  // Deeper, at awkward widths.
  { config: mlp(1, [5], 2), batch: 1, dtype: 'float32' },
  { config: mlp(1, [17, 3], 11), batch: 37, dtype: 'float32' },
  { config: mlp(33, [17, 3], 2), batch: 1, dtype: 'uint8' },
  { config: mlp(33, [33, 9, 2], 11), batch: 37, dtype: 'uint8' },
  { config: mlp(3, [33, 9, 2], 2), batch: 37, dtype: 'float32' },
  { config: mlp(17, [5], 11), batch: 37, dtype: 'uint8' },
  { config: mlp(784, [64, 32], 10), batch: 37, dtype: 'uint8' },
];

function label({ config, batch, dtype }: Case): string {
  const shape =
    config.model === 'mlp'
      ? `mlp D=${config.inputSize} H=[${config.hidden.join(', ')}] K=${config.classes}`
      : `softmax D=${config.inputSize} K=${config.classes}`;
  return `${shape}, batch ${batch}, ${dtype}`;
}

let dawn: DawnGpu;
before(
  async () => {
    dawn = await dawnGpu();
  },
  { timeout: GPU_TEST_TIMEOUT_MS },
);

function assertClose(got: GradientResult, expected: GradientResult, config: ModelConfig): void {
  const mismatch = gradientResultMismatch(got, expected);
  assert.equal(mismatch, null, mismatch ?? '');
  for (const slot of parameterLayout(config).tensors) {
    const range = [slot.offset, slot.offset + slot.size] as const;
    const error = relativeL2Error(got.gradSum.slice(...range), expected.gradSum.slice(...range));
    assert.ok(error <= GRADIENT_TOLERANCE, `${slot.name}: relative L2 error ${error}`);
  }
}

/** Rows of features without labels, as inference runs on them. */
function unlabelled(
  config: ModelConfig,
  count: number,
  dtype: 'uint8' | 'float32',
  seed = 7,
): FeatureRows {
  const set = testSet({ count, inputSize: config.inputSize, classes: config.classes, dtype, seed });
  return set.dtype === 'uint8'
    ? { dtype: 'uint8', features: set.features, count, inputSize: set.inputSize }
    : { dtype: 'float32', features: set.features, count, inputSize: set.inputSize };
}

/**
 * Float32 logits within relative L2 GRADIENT_TOLERANCE of the float64 reference, row by row, and
 * the same predicted class except where the reference's top two are within float32's reach.
 */
function assertLogitsClose(got: Float32Array, expected: Float64Array, count: number, k: number) {
  assert.equal(got.length, count * k);
  const error = relativeL2Error(got, expected);
  assert.ok(error <= GRADIENT_TOLERANCE, `logits: relative L2 error ${error}`);
  assert.ok(
    expected.some((v) => Math.abs(v) > 1e-3),
    'reference logits are ~0',
  );
  const gpu = softmaxRows(got, count, k);
  const cpu = softmaxRows(expected, count, k);
  for (let n = 0; n < count; n++) {
    if (gpu.classes[n] === cpu.classes[n]) continue;
    const row = expected.subarray(n * k, n * k + k);
    const gap = Math.abs(row[gpu.classes[n]!]! - row[cpu.classes[n]!]!);
    assert.ok(
      gap <= 1e-4 * Math.max(1, ...row.map(Math.abs)),
      `row ${n}: class ${gpu.classes[n]} vs ${cpu.classes[n]}`,
    );
  }
  const probabilities = relativeL2Error(gpu.probabilities, cpu.probabilities);
  assert.ok(
    probabilities <= GRADIENT_TOLERANCE,
    `probabilities: relative L2 error ${probabilities}`,
  );
}

describe(
  'gradient kernels: WGSL on Dawn equals the TypeScript reference',
  { timeout: GPU_TEST_TIMEOUT_MS },
  () => {
    for (const c of CASES) {
      test(label(c), async () => {
        const { config, batch, dtype } = c;
        const set = testSet({
          count: batch,
          inputSize: config.inputSize,
          classes: config.classes,
          dtype,
        });
        const params = testParams(config, 1234 + batch);
        const expected = computeGradient(config, params, set);
        const gpu = new GradientGpu(dawn.device, config, { maxBatch: batch });
        try {
          // Through the wire format, as a volunteer runs it: features are views at byte 32.
          const shard = decodeShard(encodeShard(set));
          const got = await withGpuErrorCheck(dawn, () => gpu.compute(params, shard));
          assertClose(got, expected, config);
          // A kernel that wrote nothing would "agree" with an all-zero reference, and a layer
          // behind dead ReLUs with an all-zero tensor.
          assert.ok(
            expected.gradSum.some((v) => Math.abs(v) > 1e-3),
            'reference gradient is ~0',
          );
          for (const slot of parameterLayout(config).tensors) {
            const part = expected.gradSum.subarray(slot.offset, slot.offset + slot.size);
            assert.ok(
              part.some((v) => v !== 0),
              `reference gradient of ${slot.name} is 0`,
            );
          }
        } finally {
          await gpu.destroy();
        }
      });
    }

    test('one runner, shrinking and growing batches: nothing of an earlier unit leaks', async () => {
      const config = mlp(784, [64], 10);
      const gpu = new GradientGpu(dawn.device, config, { maxBatch: 100 });
      try {
        for (const [batch, seed] of [
          [100, 1],
          [3, 2],
          [57, 3],
          [1, 4],
        ] as const) {
          const set = testSet({ count: batch, inputSize: 784, classes: 10, dtype: 'uint8', seed });
          const params = testParams(config, seed);
          const got = await withGpuErrorCheck(dawn, () => gpu.compute(params, set));
          assertClose(got, computeGradient(config, params, set), config);
        }
      } finally {
        await gpu.destroy();
      }
    });

    test('one runner queues concurrent units instead of sharing buffers between them', async () => {
      const config = mlp(5, [7], 10);
      const sets = [1, 2, 3].map((seed) =>
        testSet({ count: 9, inputSize: 5, classes: 10, dtype: 'float32', seed }),
      );
      const params = testParams(config, 9);
      const gpu = new GradientGpu(dawn.device, config, { maxBatch: 9 });
      try {
        const results = await withGpuErrorCheck(dawn, () =>
          Promise.all(sets.map((set) => gpu.compute(params, set))),
        );
        results.forEach((got, i) =>
          assertClose(got, computeGradient(config, params, sets[i]!), config),
        );
      } finally {
        await gpu.destroy();
      }
    });

    for (const config of [mlp(784, [7], 10), mlp(33, [17, 3, 5], 11)]) {
      test(`the passes write only their own regions: params and a sentinel tail stay untouched (${label({ config, batch: 17, dtype: 'uint8' })})`, async () => {
        // The plan run by hand on a work buffer prefilled with a sentinel: GradientGpu's own
        // buffers are private, and a stray write past a region would otherwise go unseen.
        const batch = 17;
        const set = testSet({
          count: batch,
          inputSize: config.inputSize,
          classes: config.classes,
          dtype: 'uint8',
        });
        const params = testParams(config, 77);
        const layout = workLayout(config, batch);
        const SENTINEL = -12345.5;
        const slack = 1024;
        const initial = new Float32Array(layout.size + slack).fill(SENTINEL);
        initial.set(params);
        const { device } = dawn;
        const kernels = gradientKernels(device);
        const plan = gradientPlan(config, batch, 'uint8');
        const U = GPUBufferUsage;
        const make = (
          data: Uint32Array<ArrayBuffer> | Float32Array<ArrayBuffer>,
          usage: number,
        ) => {
          const buffer = device.createBuffer({
            size: Math.ceil(data.byteLength / 16) * 16,
            usage: usage | U.COPY_DST,
          });
          device.queue.writeBuffer(buffer, 0, data);
          return buffer;
        };
        const packed = new Uint32Array(Math.ceil(set.features.length / 4));
        new Uint8Array(packed.buffer).set(set.features);
        const buffers = {
          uniforms: make(encodePassUniforms(plan, kernels.slotBytes), U.UNIFORM),
          features: make(packed, U.STORAGE),
          labels: make(Uint32Array.from(set.labels), U.STORAGE),
          work: make(initial, U.STORAGE | U.COPY_SRC),
        };
        const readback = device.createBuffer({
          size: initial.byteLength,
          usage: U.MAP_READ | U.COPY_DST,
        });
        try {
          const after = await withGpuErrorCheck(dawn, async () => {
            const group = device.createBindGroup({
              layout: kernels.layout,
              entries: [
                {
                  binding: GRADIENT_BINDINGS.pass,
                  resource: { buffer: buffers.uniforms, size: PASS_UNIFORM_BYTES },
                },
                { binding: GRADIENT_BINDINGS.features, resource: { buffer: buffers.features } },
                { binding: GRADIENT_BINDINGS.labels, resource: { buffer: buffers.labels } },
                { binding: GRADIENT_BINDINGS.work, resource: { buffer: buffers.work } },
              ],
            });
            const encoder = device.createCommandEncoder();
            const pass = encoder.beginComputePass();
            plan.forEach(({ entryPoint, workgroups }, i) => {
              pass.setPipeline(kernels.pipelines.get(entryPoint)!);
              pass.setBindGroup(0, group, [i * kernels.slotBytes]);
              pass.dispatchWorkgroups(...workgroups);
            });
            pass.end();
            encoder.copyBufferToBuffer(buffers.work, 0, readback, 0, initial.byteLength);
            device.queue.submit([encoder.finish()]);
            await readback.mapAsync(GPUMapMode.READ);
            const words = new Float32Array(readback.getMappedRange().slice(0));
            readback.unmap();
            return words;
          });
          assert.deepEqual(
            after.subarray(0, params.length),
            params,
            'a pass wrote into the parameters',
          );
          assert.ok(
            after.subarray(layout.size).every((v) => v === SENTINEL),
            'a pass wrote past its regions',
          );
          // Every region in between was written: no sentinel survives inside the layout.
          const firstSentinel = after.subarray(0, layout.size).indexOf(SENTINEL);
          assert.equal(firstSentinel, -1, `work[${firstSentinel}] was never written`);
          const expected = computeGradient(config, params, set);
          const got = {
            gradSum: after.slice(layout.grad, layout.grad + params.length),
            lossSum: after[layout.sums]!,
            correct: after[layout.sums + 1]!,
            count: batch,
          };
          assertClose(got, expected, config);
        } finally {
          for (const buffer of [...Object.values(buffers), readback]) buffer.destroy();
        }
      });
    }

    for (const c of CASES.filter((_, i) => i % 2 === 0)) {
      test(`logits (forward only, unlabelled rows): ${label(c)}`, async () => {
        const { config, batch, dtype } = c;
        const rows = unlabelled(config, batch, dtype);
        const params = testParams(config, 99 + batch);
        const expected = forwardLogits(config, params, rows);
        const gpu = new GradientGpu(dawn.device, config, { maxBatch: batch });
        try {
          const got = await withGpuErrorCheck(dawn, () => gpu.logits(params, rows));
          assertLogitsClose(got, expected, batch, config.classes);
        } finally {
          await gpu.destroy();
        }
      });
    }

    test('logits and gradient units on one runner queue behind each other', async () => {
      const config = mlp(33, [17, 3], 11);
      const gpu = new GradientGpu(dawn.device, config, { maxBatch: 37 });
      try {
        const params = testParams(config, 5);
        const set = testSet({ count: 37, inputSize: 33, classes: 11, dtype: 'uint8', seed: 2 });
        const rows = [9, 37, 1].map((count, seed) => unlabelled(config, count, 'uint8', seed));
        const [first, unit, ...rest] = await withGpuErrorCheck(dawn, () =>
          Promise.all([
            gpu.logits(params, rows[0]!),
            gpu.compute(params, set),
            gpu.logits(params, rows[1]!),
            gpu.logits(params, rows[2]!),
          ]),
        );
        assertClose(unit as GradientResult, computeGradient(config, params, set), config);
        [first, ...rest].forEach((got, i) =>
          assertLogitsClose(
            got as Float32Array,
            forwardLogits(config, params, rows[i]!),
            rows[i]!.count,
            11,
          ),
        );
      } finally {
        await gpu.destroy();
      }
    });

    test('logits refuses rows larger than maxBatch or of the wrong width', async () => {
      const config = mlp(5, [3, 2], 4);
      const gpu = new GradientGpu(dawn.device, config, { maxBatch: 4 });
      try {
        const params = testParams(config, 1);
        assert.throws(() => gpu.logits(params, unlabelled(config, 5, 'float32')), /takes 1..4/);
        const wide = unlabelled({ ...config, inputSize: 6 }, 2, 'float32');
        assert.throws(() => gpu.logits(params, wide), /model wants 5/);
        assert.throws(
          () => gpu.logits(params.slice(1), unlabelled(config, 2, 'float32')),
          /params hold/,
        );
      } finally {
        await gpu.destroy();
      }
    });

    test('refuses a shard larger than maxBatch or of the wrong shape', async () => {
      const config = softmax(5, 2);
      const gpu = new GradientGpu(dawn.device, config, { maxBatch: 4 });
      try {
        const params = testParams(config, 1);
        const big = testSet({ count: 5, inputSize: 5, classes: 2, dtype: 'float32' });
        assert.throws(() => gpu.compute(params, big), /takes 1..4/);
        const wide = testSet({ count: 2, inputSize: 6, classes: 2, dtype: 'float32' });
        assert.throws(() => gpu.compute(params, wide), /model wants/);
      } finally {
        await gpu.destroy();
      }
    });
  },
);
