// The mlp's depth as a researcher writes it: one width (one hidden layer, as every spec before
// deeper models) or a list of 1 to 8 widths. The spec keeps what was written; the task a
// volunteer gets always carries the list.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LAYERS } from '../../../src/kinds/gradient/gradientModel';
import {
  gradientSpecSchema,
  hiddenLayers,
  modelConfigSchema,
} from '../../../src/kinds/gradient/gradientSpec';

const MLP = {
  model: 'mlp',
  dataset: 'mnist',
  optimizer: { name: 'adam', lr: 0.01 },
  batchSize: 100,
  epochs: 1,
  shards: 2,
  seed: 1,
} as const;

function hiddenErrors(spec: unknown): string[] {
  const parsed = gradientSpecSchema.safeParse(spec);
  assert.equal(parsed.success, false, 'the spec was accepted');
  return parsed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('gradient spec: hidden', () => {
  test('takes one width, kept as the number it was written as', () => {
    const spec = gradientSpecSchema.parse({ ...MLP, hidden: 64 });
    assert.equal(spec.hidden, 64);
    assert.deepEqual(hiddenLayers(spec.hidden), [64]);
  });

  test('takes a list of 1 to 8 widths, input side first', () => {
    const spec = gradientSpecSchema.parse({ ...MLP, hidden: [128, 64] });
    assert.deepEqual(spec.hidden, [128, 64]);
    assert.deepEqual(hiddenLayers(spec.hidden), [128, 64]);
    const deepest = Array.from({ length: MAX_LAYERS }, () => 4);
    assert.deepEqual(gradientSpecSchema.parse({ ...MLP, hidden: deepest }).hidden, deepest);
    assert.deepEqual(hiddenLayers(undefined), []);
  });

  test('refuses an empty list, a zero width, more than 8 layers and fractions', () => {
    assert.deepEqual(hiddenErrors({ ...MLP, hidden: [] }), [
      'hidden: Too small: expected array to have >=1 items',
    ]);
    assert.deepEqual(hiddenErrors({ ...MLP, hidden: [0] }), [
      'hidden.0: Too small: expected number to be >=1',
    ]);
    assert.match(hiddenErrors({ ...MLP, hidden: Array(9).fill(4) }).join(), /list of 1 to 8/);
    assert.match(hiddenErrors({ ...MLP, hidden: [1.5] }).join(), /list of 1 to 8/);
    assert.equal(hiddenErrors({ ...MLP, hidden: 0 }).length, 1);
    assert.deepEqual(hiddenErrors({ ...MLP, hidden: undefined }), [
      'hidden: mlp needs hidden (layer widths)',
    ]);
  });

  test('refuses hidden on softmax, as a number or a list', () => {
    for (const hidden of [64, [64], [128, 64]]) {
      assert.deepEqual(hiddenErrors({ ...MLP, model: 'softmax', hidden }), [
        'hidden: softmax has no hidden layer',
      ]);
    }
  });
});

describe('gradient task: modelConfig', () => {
  test('an mlp carries its hidden widths as a list, 1 to 8 of them', () => {
    const config = { model: 'mlp', inputSize: 784, hidden: [128, 64], classes: 10 };
    assert.deepEqual(modelConfigSchema.parse(config), config);
    for (const hidden of [64, [], Array(9).fill(4), [0]]) {
      assert.equal(modelConfigSchema.safeParse({ ...config, hidden }).success, false, `${hidden}`);
    }
    assert.equal(
      modelConfigSchema.safeParse({ model: 'softmax', inputSize: 784, classes: 10, hidden: [4] })
        .success,
      false,
    );
  });
});
