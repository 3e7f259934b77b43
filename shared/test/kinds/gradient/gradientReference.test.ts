// The TypeScript reference is the oracle for everything else (WGSL kernels, replicas, the
// distributed run), so it is checked against calculus itself: its gradient must equal float64
// central differences of its own loss, on tiny models of both kinds (mlps of 1, 2 and 3 hidden
// layers) and both feature types. Models of one hidden layer must also sum exactly as before
// depth became a parameter (stored workloads replay bit for bit), and the forward pass alone
// (inference: forwardLogits, softmaxRows) must be the training pass's.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { relativeL2Error } from '../../../src/kinds/gradient/gradientCompare';
import {
  parameterLayout,
  tensorSlot,
  type ModelConfig,
} from '../../../src/kinds/gradient/gradientModel';
import {
  computeGradient,
  evaluate,
  forwardLogits,
  softmaxRows,
} from '../../../src/kinds/gradient/gradientReference';
import { sliceExamples, type FeatureRows } from '../../../src/kinds/gradient/exampleSet';
import { initParameters } from '../../../src/kinds/gradient/parameterInit';
import { oneLayerGradient } from './oneLayerReference';
import { testParams, testSet } from './testSets';

const TINY_MODELS: ModelConfig[] = [
  { model: 'softmax', inputSize: 5, classes: 3 },
  { model: 'mlp', inputSize: 4, hidden: [3], classes: 3 },
  { model: 'mlp', inputSize: 6, hidden: [5], classes: 2 },
  { model: 'mlp', inputSize: 5, hidden: [4, 3], classes: 3 },
  { model: 'mlp', inputSize: 4, hidden: [5, 3, 4], classes: 2 },
];

/** Initial parameters nudged so biases are non-zero too (init sets them to 0). */
function tinyParams(config: ModelConfig): Float64Array {
  const params = Float64Array.from(initParameters(config, 11));
  for (let i = 0; i < params.length; i++) params[i] = params[i]! + 0.05 * Math.sin(i + 1);
  return params;
}

const describeModel = (c: ModelConfig) =>
  c.model === 'mlp'
    ? `mlp ${c.inputSize}-${c.hidden.join('-')}-${c.classes}`
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
          // A dead layer (every ReLU off) would agree vacuously.
          assert.ok(
            numeric.slice(...range).some((v) => Math.abs(v) > 1e-6),
            `${slot.name}: no gradient`,
          );
        }
        assert.ok(Math.abs(result.lossSum - lossSum(params)) <= 1e-12 * result.lossSum);
      });
    }
  }
});

describe('gradient reference: properties the rounds rely on', () => {
  const config: ModelConfig = { model: 'mlp', inputSize: 12, hidden: [9], classes: 4 };
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

describe('gradient reference: one hidden layer (and softmax) sum exactly as they always did', () => {
  const shapes = [
    { inputSize: 7, hidden: 0, classes: 3 },
    { inputSize: 784, hidden: 0, classes: 10 },
    { inputSize: 7, hidden: 5, classes: 3 },
    { inputSize: 784, hidden: 64, classes: 10 },
    { inputSize: 1, hidden: 17, classes: 2 },
  ];
  for (const shape of shapes) {
    for (const dtype of ['float32', 'uint8'] as const) {
      const config: ModelConfig =
        shape.hidden === 0
          ? { model: 'softmax', inputSize: shape.inputSize, classes: shape.classes }
          : { model: 'mlp', ...shape, hidden: [shape.hidden] };
      test(`${describeModel(config)}, ${dtype} features: the same bits`, () => {
        const set = testSet({
          count: 23,
          inputSize: shape.inputSize,
          classes: shape.classes,
          dtype,
        });
        const params = testParams(config, 5);
        const got = computeGradient(config, params, set);
        const frozen = oneLayerGradient(shape, params, set);
        assert.deepEqual(got.gradSum, frozen.gradSum);
        assert.equal(got.lossSum, frozen.lossSum);
        assert.equal(got.correct, frozen.correct);
        assert.ok(got.gradSum.some((v) => v !== 0));
      });
    }
  }
});

/** The rows of a set without its labels, as inference gets them. */
function unlabelled(config: ModelConfig, count: number, dtype: 'uint8' | 'float32'): FeatureRows {
  const {
    labels: _labels,
    classes: _classes,
    ...rows
  } = testSet({
    count,
    inputSize: config.inputSize,
    classes: config.classes,
    dtype,
  });
  return rows;
}

describe('forward pass alone (inference)', () => {
  const deep: ModelConfig = { model: 'mlp', inputSize: 12, hidden: [9, 4, 6], classes: 5 };

  test('forwardLogits gives the logits the gradient unit scored: its loss and hits', () => {
    for (const config of [...TINY_MODELS, deep]) {
      for (const dtype of ['float32', 'uint8'] as const) {
        const set = testSet({
          count: 11,
          inputSize: config.inputSize,
          classes: config.classes,
          dtype,
        });
        const params = testParams(config, 3);
        const logits = forwardLogits(config, params, set);
        assert.equal(logits.length, 11 * config.classes);
        const k = config.classes;
        let lossSum = 0;
        let correct = 0;
        const { classes } = softmaxRows(logits, set.count, k);
        for (let n = 0; n < set.count; n++) {
          const z = logits.subarray(n * k, n * k + k);
          const m = Math.max(...z);
          const sum = z.reduce((s, v) => s + Math.exp(v - m), 0);
          lossSum += Math.log(sum) - (z[set.labels[n]!]! - m);
          if (classes[n] === set.labels[n]) correct++;
        }
        const result = computeGradient(config, params, set);
        assert.ok(Math.abs(lossSum - result.lossSum) <= 1e-12 * result.lossSum);
        assert.equal(correct, result.correct);
      }
    }
  });

  test('rows need no labels, and give what the labelled set gives', () => {
    const params = testParams(deep, 8);
    const rows = unlabelled(deep, 9, 'uint8');
    const set = testSet({ count: 9, inputSize: 12, classes: 5, dtype: 'uint8' });
    assert.deepEqual(forwardLogits(deep, params, rows), forwardLogits(deep, params, set));
    assert.equal(forwardLogits(deep, params, unlabelled(deep, 0, 'uint8')).length, 0);
  });

  test('refuses parameters and rows that do not fit the model', () => {
    const params = testParams(deep, 8);
    const rows = unlabelled(deep, 3, 'float32');
    assert.throws(() => forwardLogits(deep, params.slice(1), rows), /params hold/);
    const wide = unlabelled({ ...deep, inputSize: 13 }, 3, 'float32');
    assert.throws(() => forwardLogits(deep, params, wide), /model wants 12/);
    const short = { ...rows, count: 4 };
    assert.throws(() => forwardLogits(deep, params, short), /features hold/);
    const poisoned = {
      ...rows,
      features: rows.features.map((v, i) => (i === 5 ? Infinity : v)),
    } as FeatureRows;
    assert.throws(() => forwardLogits(deep, params, poisoned), /feature 5 is Infinity/);
  });
});

describe('softmaxRows: classes and probabilities from logits', () => {
  test('per row: the first-highest logit, and exp(z - m) / sum rounded to float32', () => {
    const logits = Float64Array.of(0.5, -1, 2, 0.25, 3, 3, 3, 1);
    const { classes, probabilities } = softmaxRows(logits, 2, 4);
    assert.deepEqual(Array.from(classes), [2, 0]);
    const e = [0.5, -1, 2, 0.25].map((z) => Math.exp(z - 2));
    const sum = e.reduce((a, b) => a + b, 0);
    assert.deepEqual(
      probabilities.subarray(0, 4),
      Float32Array.from(e, (v) => v / sum),
    );
  });

  test('ties go to the lowest class and share the probability equally', () => {
    const { classes, probabilities } = softmaxRows([1, 4, 4, 4, -2, 7, 7], 1, 7);
    assert.deepEqual(Array.from(classes), [5]);
    assert.equal(probabilities[5], probabilities[6]);
    const flat = softmaxRows(new Float32Array(11), 1, 11);
    assert.deepEqual(Array.from(flat.classes), [0]);
    assert.ok(flat.probabilities.every((p) => p === Math.fround(1 / 11)));
  });

  test('extreme logits: no overflow, no NaN, probabilities in [0, 1] summing to 1', () => {
    const big = 3.4e38; // near float32's largest, as a GPU row might hold
    const rows = [
      [1000, -1000, 999],
      [-1e300, 1e300, 0],
      [big, -big, big],
      [-big, -big, -big],
      [1e-40, -1e-40, 0],
    ];
    const { classes, probabilities } = softmaxRows(rows.flat(), rows.length, 3);
    assert.deepEqual(Array.from(classes), [0, 1, 0, 0, 0]);
    for (let n = 0; n < rows.length; n++) {
      const p = Array.from(probabilities.subarray(3 * n, 3 * n + 3));
      assert.ok(
        p.every((v) => v >= 0 && v <= 1),
        `row ${n}: ${p}`,
      );
      assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) <= 1e-6, `row ${n}: ${p}`);
    }
    assert.deepEqual(Array.from(probabilities.subarray(3, 6)), [0, 1, 0]);
    assert.deepEqual(Array.from(probabilities.subarray(6, 9)), [0.5, 0, 0.5]);
    const e = Math.exp(-1);
    assert.equal(probabilities[2], Math.fround(e / (1 + e + Math.exp(-2000))));
  });

  test('refuses non-finite logits and a shape that does not fit', () => {
    assert.throws(() => softmaxRows([0, Number.NaN], 1, 2), /logit 1 of row 0 is NaN/);
    assert.throws(() => softmaxRows([0, 1, Infinity, 0], 2, 2), /logit 0 of row 1 is Infinity/);
    assert.throws(() => softmaxRows([0, 1, 2], 2, 2), /expected 2 x 2/);
    assert.equal(softmaxRows([], 0, 10).classes.length, 0);
  });
});
