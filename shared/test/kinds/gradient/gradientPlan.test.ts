// The shapes of a model and the GPU plan that runs it, for any depth: where tensors live, what
// a config may be, and that a model of one hidden layer (or none) gets exactly the dispatches
// it always got (the uniforms below were printed by the one-hidden-layer code, commit 4bf6e7e).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PASS_FIELDS } from '../../../src/kinds/gradient/gradient.wgsl';
import {
  MAX_HIDDEN,
  MAX_LAYERS,
  checkModelConfig,
  flopsPerExample,
  parameterLayout,
  type ModelConfig,
} from '../../../src/kinds/gradient/gradientModel';
import {
  MAX_PLAN_PASSES,
  gradientPlan,
  logitsPlan,
  workLayout,
  type PlannedPass,
} from '../../../src/kinds/gradient/gradientPlan';

const mlp = (inputSize: number, hidden: number[], classes: number): ModelConfig => ({
  model: 'mlp',
  inputSize,
  hidden,
  classes,
});

/** A pass as one line: entry point, grid, then every uniform field in WGSL order. */
const line = (p: PlannedPass) =>
  `${p.entryPoint} ${p.workgroups.join('x')} ${PASS_FIELDS.map((f) => p.uniform[f]).join(' ')}`;

describe('model layout, any depth', () => {
  test('W1, b1, W2, b2, ... back to back; one hidden layer is the old layout', () => {
    const one = parameterLayout(mlp(784, [64], 10));
    assert.deepEqual(
      one.tensors.map((t) => [t.name, t.offset, t.rows, t.cols]),
      [
        ['W1', 0, 784, 64],
        ['b1', 784 * 64, 1, 64],
        ['W2', 784 * 64 + 64, 64, 10],
        ['b2', 784 * 64 + 64 + 640, 1, 10],
      ],
    );
    const deep = parameterLayout(mlp(3, [5, 4, 2], 6));
    assert.deepEqual(
      deep.tensors.map((t) => [t.name, t.offset, t.rows, t.cols]),
      [
        ['W1', 0, 3, 5],
        ['b1', 15, 1, 5],
        ['W2', 20, 5, 4],
        ['b2', 40, 1, 4],
        ['W3', 44, 4, 2],
        ['b3', 52, 1, 2],
        ['W4', 54, 2, 6],
        ['b4', 66, 1, 6],
      ],
    );
    assert.equal(deep.size, 72);
  });

  test('checkModelConfig takes 1 to MAX_LAYERS hidden layers of 1 to MAX_HIDDEN units', () => {
    checkModelConfig(mlp(5, [1], 2));
    checkModelConfig(
      mlp(
        5,
        Array.from({ length: MAX_LAYERS }, () => 3),
        2,
      ),
    );
    checkModelConfig(mlp(5, [MAX_HIDDEN, 2], 2));
    assert.throws(() => checkModelConfig(mlp(5, [], 2)), /1 to 8 layer widths/);
    assert.throws(() => checkModelConfig(mlp(5, Array(9).fill(3), 2)), /1 to 8 layer widths/);
    assert.throws(() => checkModelConfig(mlp(5, [4, 0], 2)), /hidden\[1\] must be an integer/);
    assert.throws(() => checkModelConfig(mlp(5, [2.5], 2)), /hidden\[0\]/);
    assert.throws(() => checkModelConfig(mlp(5, [MAX_HIDDEN + 1], 2)), /hidden\[0\]/);
    const legacy = { model: 'mlp', inputSize: 5, hidden: 4, classes: 2 } as unknown as ModelConfig;
    assert.throws(() => checkModelConfig(legacy), /layer widths/);
  });

  test('flopsPerExample: the documented dense counts', () => {
    const [d, h, k] = [784, 64, 10];
    assert.equal(
      flopsPerExample({ model: 'softmax', inputSize: d, classes: k }),
      4 * d * k + 7 * k,
    );
    assert.equal(flopsPerExample(mlp(d, [h], k)), 4 * d * h + 6 * h * k + 4 * h + 7 * k);
    // Two hidden layers: D->H1 (forward + weight gradient, ReLU), H1->H2 (also d W^T and the
    // mask), H2->K (the same, no ReLU), softmax + loss.
    const [h1, h2] = [32, 16];
    assert.equal(
      flopsPerExample(mlp(d, [h1, h2], k)),
      4 * d * h1 + 3 * h1 + (6 * h1 * h2 + 3 * h2 + h1) + (6 * h2 * k + 2 * k + h2) + 5 * k,
    );
  });
});

describe('gradient plan, any depth', () => {
  test('softmax and one hidden layer: the same dispatches as before depth was a parameter', () => {
    assert.deepEqual(
      gradientPlan({ model: 'softmax', inputSize: 5, classes: 3 }, 37, 'uint8').map(line),
      [
        'matmul_narrow 1x1 37 3 5 1 1 0 5 1 0 3 1 38 3 15 1 0 0',
        'softmax_xent 1x1 37 3 0 0 0 0 0 0 0 0 0 38 0 0 0 149 186',
        'matmul_narrow 1x1 5 3 37 0 1 0 1 5 38 3 1 18 3 0 1 0 0',
        'column_sum 3x1 37 3 0 0 0 38 0 0 0 0 0 33 0 0 0 0 0',
        'loss_sum 1x1 37 0 0 0 0 0 0 0 0 0 0 36 0 0 0 149 186',
      ],
    );
    assert.deepEqual(gradientPlan(mlp(5, [7], 3), 37, 'uint8').map(line), [
      'matmul_narrow 1x1 37 7 5 2 1 0 5 1 0 7 1 134 7 35 1 0 0',
      'matmul_narrow 1x1 37 3 7 1 0 134 7 1 42 3 1 393 3 63 1 0 0',
      'softmax_xent 1x1 37 3 0 0 0 0 0 0 0 0 0 393 0 0 0 763 800',
      'matmul_narrow 1x1 7 3 37 0 0 134 1 7 393 3 1 108 3 0 1 0 0',
      'column_sum 3x1 37 3 0 0 0 393 0 0 0 0 0 129 0 0 0 0 0',
      'matmul_narrow 1x1 37 7 3 3 0 393 3 1 42 1 3 504 7 134 1 0 0',
      'matmul_narrow 1x1 5 7 37 0 1 0 1 5 504 7 1 66 7 0 1 0 0',
      'column_sum 7x1 37 7 0 0 0 504 0 0 0 0 0 101 0 0 0 0 0',
      'loss_sum 1x1 37 0 0 0 0 0 0 0 0 0 0 132 0 0 0 763 800',
    ]);
    // MNIST-sized, with the wide kernel: SHA-256 of the lines, same source.
    const sha = (config: ModelConfig, dtype: 'uint8' | 'float32') =>
      createHash('sha256')
        .update(gradientPlan(config, 37, dtype).map(line).join('\n'))
        .digest('hex');
    const mnist = mlp(784, [64], 10);
    assert.equal(
      sha(mnist, 'uint8'),
      '881bd24d79f56e071c7102c73ea2e26a4e51ed7a4be836de896c2a684e7159c2',
    );
    assert.equal(
      sha(mnist, 'float32'),
      '247757a5e576ca493110fe70c774c986e502363d6f11c908f40d5778a9b5e44a',
    );
    assert.deepEqual(workLayout(mnist, 37), {
      parameterCount: 50890,
      grad: 50890,
      sums: 101780,
      hidden: [101782],
      delta: 104150,
      dh: [104520],
      losses: 106888,
      hits: 106925,
      size: 106962,
    });
  });

  test('4L + 5 dispatches, at most MAX_PLAN_PASSES; regions back to back', () => {
    for (let layers = 1; layers <= MAX_LAYERS; layers++) {
      const config = mlp(
        9,
        Array.from({ length: layers }, (_, l) => 3 + l),
        4,
      );
      assert.equal(gradientPlan(config, 5, 'float32').length, 4 * layers + 5);
    }
    const deepest = mlp(9, Array(MAX_LAYERS).fill(2), 4);
    assert.equal(gradientPlan(deepest, 5, 'float32').length, MAX_PLAN_PASSES);
    const work = workLayout(mlp(3, [5, 4, 2], 6), 10);
    const p = 72;
    assert.deepEqual(work.hidden, [2 * p + 2, 2 * p + 2 + 50, 2 * p + 2 + 90]);
    assert.equal(work.delta, 2 * p + 2 + 110);
    assert.deepEqual(work.dh, [work.delta + 60, work.delta + 110, work.delta + 150]);
    assert.equal(work.losses, work.delta + 170);
    assert.equal(work.size, work.losses + 20);
  });

  test('each layer reads the one below: forward h_{l-1} -> h_l, backward d_l -> d_{l-1}', () => {
    const config = mlp(3, [5, 4, 2], 6);
    const work = workLayout(config, 10);
    const plan = gradientPlan(config, 10, 'float32');
    const forward = plan.slice(0, 4);
    assert.deepEqual(
      forward.map((p) => [p.uniform.a_from_x, p.uniform.a_base, p.uniform.c_base]),
      [
        [1, 0, work.hidden[0]],
        [0, work.hidden[0], work.hidden[1]],
        [0, work.hidden[1], work.hidden[2]],
        [0, work.hidden[2], work.delta],
      ],
    );
    // The masked back-propagations: d_3 from delta, d_2 from d_3, d_1 from d_2.
    const masked = plan.filter((p) => p.uniform.epilogue === 3);
    assert.deepEqual(
      masked.map((p) => [p.uniform.a_base, p.uniform.c_base, p.uniform.aux_base]),
      [
        [work.delta, work.dh[2], work.hidden[2]],
        [work.dh[2], work.dh[1], work.hidden[1]],
        [work.dh[1], work.dh[0], work.hidden[0]],
      ],
    );
  });

  test('logitsPlan: the forward passes alone, logits at workLayout.delta', () => {
    for (const config of [
      { model: 'softmax', inputSize: 5, classes: 3 } as const,
      mlp(5, [7], 3),
      mlp(33, [33, 9, 2], 11),
    ]) {
      const layers = config.model === 'mlp' ? config.hidden.length : 0;
      const plan = logitsPlan(config, 37, 'uint8');
      assert.deepEqual(plan.passes, gradientPlan(config, 37, 'uint8').slice(0, layers + 1));
      assert.equal(plan.logits, workLayout(config, 37).delta);
      assert.equal(plan.size, plan.logits + 37 * config.classes);
      assert.ok(plan.passes.every((p) => p.entryPoint.startsWith('matmul')));
    }
  });
});
