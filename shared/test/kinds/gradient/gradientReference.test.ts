// The TypeScript reference is the oracle for everything else (WGSL kernels, replicas, the
// distributed run), so it is checked against calculus itself: its gradient must equal float64
// central differences of its own loss, on tiny models of both kinds and both feature types.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { relativeL2Error } from '../../../src/kinds/gradient/gradientCompare';
import {
  parameterLayout,
  tensorSlot,
  type ModelConfig,
} from '../../../src/kinds/gradient/gradientModel';
import { computeGradient, evaluate } from '../../../src/kinds/gradient/gradientReference';
import { sliceExamples } from '../../../src/kinds/gradient/exampleSet';
import { initParameters } from '../../../src/kinds/gradient/parameterInit';
import { testSet } from './testSets';

const TINY_MODELS: ModelConfig[] = [
  { model: 'softmax', inputSize: 5, classes: 3 },
  { model: 'mlp', inputSize: 4, hidden: 3, classes: 3 },
  { model: 'mlp', inputSize: 6, hidden: 5, classes: 2 },
];

/** Initial parameters nudged so biases are non-zero too (init sets them to 0). */
function tinyParams(config: ModelConfig): Float64Array {
  const params = Float64Array.from(initParameters(config, 11));
  for (let i = 0; i < params.length; i++) params[i] = params[i]! + 0.05 * Math.sin(i + 1);
  return params;
}

const describeModel = (c: ModelConfig) =>
  c.model === 'mlp'
    ? `mlp ${c.inputSize}-${c.hidden}-${c.classes}`
    : `softmax ${c.inputSize}-${c.classes}`;

describe('gradient reference: analytic gradient vs float64 central differences', () => {
  for (const config of TINY_MODELS) {
    for (const dtype of ['float32', 'uint8'] as const) {
      test(`${describeModel(config)}, ${dtype} features`, () => {
        const set = testSet({
          count: 6,
          inputSize: config.inputSize,
          classes: config.classes,
          dtype,
        });
        const params = tinyParams(config);
        const result = computeGradient(config, params, set);
        const lossSum = (p: Float64Array) => evaluate(config, p, set).loss * set.count;
        const h = 1e-5;
        const numeric = new Float64Array(params.length);
        for (let i = 0; i < params.length; i++) {
          const plus = Float64Array.from(params);
          const minus = Float64Array.from(params);
          plus[i] = plus[i]! + h;
          minus[i] = minus[i]! - h;
          numeric[i] = (lossSum(plus) - lossSum(minus)) / (2 * h);
        }
        const error = relativeL2Error(result.gradSum, numeric);
        assert.ok(error <= 1e-6, `relative L2 error ${error}`);
        // Every tensor, not just the whole vector: a wrong bias would hide behind the weights.
        for (const slot of parameterLayout(config).tensors) {
          const range = [slot.offset, slot.offset + slot.size] as const;
          const part = relativeL2Error(result.gradSum.slice(...range), numeric.slice(...range));
          assert.ok(part <= 1e-5, `${slot.name}: relative L2 error ${part}`);
        }
        assert.ok(Math.abs(result.lossSum - lossSum(params)) <= 1e-12 * result.lossSum);
      });
    }
  }
});

describe('gradient reference: properties the rounds rely on', () => {
  const config: ModelConfig = { model: 'mlp', inputSize: 12, hidden: 9, classes: 4 };
  const set = testSet({ count: 40, inputSize: 12, classes: 4, dtype: 'float32', seed: 3 });
  const params = initParameters(config, 5);

  test('the gradient of a set is the sum of its shards’ gradients (shards add up)', () => {
    const whole = computeGradient(config, params, set);
    const parts = [
      sliceExamples(set, 0, 13),
      sliceExamples(set, 13, 14),
      sliceExamples(set, 14, 40),
    ];
    const results = parts.map((part) => computeGradient(config, params, part));
    const sum = new Float64Array(whole.gradSum.length);
    for (const r of results) r.gradSum.forEach((v, i) => (sum[i] = sum[i]! + v));
    assert.ok(relativeL2Error(sum, whole.gradSum) <= 1e-6);
    assert.equal(
      results.reduce((a, r) => a + r.count, 0),
      whole.count,
    );
    assert.equal(
      results.reduce((a, r) => a + r.correct, 0),
      whole.correct,
    );
    const lossSum = results.reduce((a, r) => a + r.lossSum, 0);
    assert.ok(Math.abs(lossSum - whole.lossSum) <= 1e-12 * whole.lossSum);
  });

  test('output-bias gradients sum to zero (sum over classes of p - onehot is 0)', () => {
    const { gradSum } = computeGradient(config, params, set);
    const b2 = tensorSlot(config, 'b2');
    const total = gradSum.slice(b2.offset, b2.offset + b2.size).reduce((a, v) => a + v, 0);
    assert.ok(Math.abs(total) <= 1e-5, `sum ${total}`);
    assert.ok(gradSum.some((v) => v !== 0));
  });

  test('evaluate agrees with the gradient unit’s loss and hits', () => {
    const result = computeGradient(config, params, set);
    const evaluation = evaluate(config, params, set);
    assert.equal(evaluation.count, set.count);
    assert.equal(evaluation.loss, result.lossSum / set.count);
    assert.equal(evaluation.accuracy, result.correct / set.count);
    // A chance-level model on 4 classes: loss near log 4, and not a constant.
    assert.ok(evaluation.loss > 0.5 && evaluation.loss < 5, `loss ${evaluation.loss}`);
  });

  test('uint8 features are read as byte / 255', () => {
    const bytes = testSet({ count: 9, inputSize: 12, classes: 4, dtype: 'uint8' });
    const floats = {
      ...bytes,
      dtype: 'float32' as const,
      features: Float32Array.from(bytes.features, (b) => b / 255),
    };
    const a = computeGradient(config, params, bytes);
    const b = computeGradient(config, params, floats);
    assert.ok(relativeL2Error(a.gradSum, b.gradSum) <= 1e-6);
  });

  test('refuses parameters of the wrong length, non-finite parameters and mismatched shards', () => {
    assert.throws(() => computeGradient(config, params.slice(1), set), /params hold/);
    const poisoned = Float32Array.from(params);
    poisoned[3] = Number.NaN;
    assert.throws(() => computeGradient(config, poisoned, set), /parameter 3 is NaN/);
    const other = testSet({ count: 2, inputSize: 11, classes: 4, dtype: 'float32' });
    assert.throws(() => computeGradient(config, params, other), /model wants/);
  });
});
