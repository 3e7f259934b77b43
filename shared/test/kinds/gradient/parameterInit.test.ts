// Initial parameters and synthetic data come from the workload seed alone: pinned values (the
// arithmetic is exactly rounded, so every engine must produce these bits), documented scales,
// and a synthetic dataset that a model can actually learn.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tensorSlot, type ModelConfig } from '../../../src/kinds/gradient/gradientModel';
import { evaluate } from '../../../src/kinds/gradient/gradientReference';
import { sliceExamples } from '../../../src/kinds/gradient/exampleSet';
import { trainLocally } from '../../../src/kinds/gradient/localTrainer';
import { initParameters } from '../../../src/kinds/gradient/parameterInit';
import { makeBlobs } from '../../../src/kinds/gradient/syntheticBlobs';

const MLP: ModelConfig = { model: 'mlp', inputSize: 784, hidden: [64], classes: 10 };

describe('initial parameters', () => {
  test('are pinned bit for bit (seed 7)', () => {
    const params = initParameters(MLP, 7);
    assert.deepEqual(
      Array.from(params.slice(0, 3)),
      [-0.05174056068062782, 0.05420677736401558, 0.02537713572382927],
    );
    const w2 = tensorSlot(MLP, 'W2').offset;
    assert.deepEqual(
      Array.from(params.slice(w2, w2 + 3)),
      [0.24452462792396545, -0.27456289529800415, -0.04744595289230347],
    );
  });

  test('weights are uniform in [-a, a] with the documented a; biases are zero', () => {
    const params = initParameters(MLP, 3);
    const check = (name: string, a: number) => {
      const slot = tensorSlot(MLP, name);
      const values = params.slice(slot.offset, slot.offset + slot.size);
      assert.ok(
        values.every((v) => Math.abs(v) <= a),
        `${name} outside [-a, a]`,
      );
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const variance = values.reduce((s, v) => s + v * v, 0) / values.length;
      assert.ok(Math.abs(mean) < 0.05 * a, `${name} mean ${mean}`);
      // Uniform on [-a, a] has variance a^2 / 3.
      assert.ok(Math.abs(variance / ((a * a) / 3) - 1) < 0.05, `${name} variance ${variance}`);
    };
    check('W1', Math.sqrt(6 / 784));
    check('W2', Math.sqrt(6 / (64 + 10)));
    for (const bias of ['b1', 'b2']) {
      const slot = tensorSlot(MLP, bias);
      assert.ok(params.slice(slot.offset, slot.offset + slot.size).every((v) => v === 0));
    }
  });

  test('softmax and one hidden layer draw exactly what they drew before depth was a parameter', () => {
    // SHA-256 of the float32 bytes, taken from the one-hidden-layer code (commit 4bf6e7e).
    const sha = (params: Float32Array) =>
      createHash('sha256').update(new Uint8Array(params.buffer)).digest('hex');
    const softmax: ModelConfig = { model: 'softmax', inputSize: 784, classes: 10 };
    assert.equal(
      sha(initParameters(softmax, 7)),
      '18e42b917f51c751913d1efd64840f08c5f9567dcb3379f3c36d30ed97e7444f',
    );
    assert.equal(
      sha(initParameters(MLP, 7)),
      'b7a1b1000fb9a3112b46781b2f33f1f71192901f668a6b39a25139887e777097',
    );
    assert.equal(
      sha(initParameters({ model: 'mlp', inputSize: 5, hidden: [7], classes: 3 }, 7)),
      '82b84757f8b63c2344b7ecfbb13d362a83d0590972fd4fd0a8a0e7391c31e624',
    );
  });

  test('deeper: He scale sqrt(6 / fan-in) into each ReLU layer, Glorot into the logits', () => {
    const deep: ModelConfig = { model: 'mlp', inputSize: 784, hidden: [256, 128, 64], classes: 10 };
    const params = initParameters(deep, 3);
    const scales: Array<[string, number]> = [
      ['W1', Math.sqrt(6 / 784)],
      ['W2', Math.sqrt(6 / 256)],
      ['W3', Math.sqrt(6 / 128)],
      ['W4', Math.sqrt(6 / (64 + 10))],
    ];
    for (const [name, a] of scales) {
      const slot = tensorSlot(deep, name);
      const values = params.slice(slot.offset, slot.offset + slot.size);
      assert.ok(
        values.every((v) => Math.abs(v) <= a),
        `${name} outside [-a, a]`,
      );
      const variance = values.reduce((s, v) => s + v * v, 0) / values.length;
      assert.ok(Math.abs(variance / ((a * a) / 3) - 1) < 0.05, `${name} variance ${variance}`);
    }
    for (const bias of ['b1', 'b2', 'b3', 'b4']) {
      const slot = tensorSlot(deep, bias);
      assert.ok(params.slice(slot.offset, slot.offset + slot.size).every((v) => v === 0));
    }
    // The draws are keyed by the tensor's index: W1 is the same in every model of D x 256.
    const w1 = tensorSlot(deep, 'W1');
    const shallow: ModelConfig = { model: 'mlp', inputSize: 784, hidden: [256], classes: 10 };
    assert.deepEqual(params.slice(0, w1.size), initParameters(shallow, 3).slice(0, w1.size));
  });

  test('different seeds give different parameters; the same seed the same', () => {
    assert.deepEqual(initParameters(MLP, 99), initParameters(MLP, 99));
    assert.notDeepEqual(initParameters(MLP, 99), initParameters(MLP, 100));
    assert.notDeepEqual(initParameters(MLP, 0), initParameters(MLP, 2 ** 32));
  });
});

describe('synthetic Gaussian blobs', () => {
  test('are pinned, balanced, and any shape', () => {
    const tiny = makeBlobs({ count: 4, inputSize: 3, classes: 2, seed: 5 });
    assert.deepEqual(Array.from(tiny.labels), [0, 1, 0, 1]);
    assert.deepEqual(
      Array.from(tiny.features.slice(0, 3)),
      [0.5031417608261108, 1.4495123624801636, 3.2235448360443115],
    );
    const wide = makeBlobs({ count: 1001, inputSize: 37, classes: 7, seed: 1 });
    assert.equal(wide.features.length, 1001 * 37);
    const perClass = new Array<number>(7).fill(0);
    wide.labels.forEach((l) => (perClass[l] = perClass[l]! + 1));
    assert.ok(perClass.every((n) => n === 143));
  });

  test('are learnable: softmax regression separates them', () => {
    const blobs = makeBlobs({ count: 1200, inputSize: 20, classes: 5, seed: 4 });
    const train = sliceExamples(blobs, 0, 1000);
    const heldOut = sliceExamples(blobs, 1000, 1200);
    const config: ModelConfig = { model: 'softmax', inputSize: 20, classes: 5 };
    const before = evaluate(config, initParameters(config, 1), heldOut);
    const { params } = trainLocally({
      config,
      train,
      optimizer: { name: 'adam', lr: 0.05 },
      batchSize: 50,
      steps: 60,
      seed: 1,
    });
    const after = evaluate(config, params, heldOut);
    assert.ok(
      after.accuracy >= 0.95,
      `held-out accuracy ${after.accuracy} (before ${before.accuracy})`,
    );
  });
});
