// The built-in datasets GET /api/datasets and `tessera dataset list` describe are the ones the
// coordinator trains on: their names are the spec's, their shapes the loaders'.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BUILT_IN_DATASETS } from '@tessera/shared/api/datasetSchemas';
import { blobsOptionsSchema, GRADIENT_DATASETS } from '@tessera/shared/kinds/gradient/gradientSpec';
import { loadMnist, MNIST_CLASSES, MNIST_INPUT_SIZE } from '../../src/datasets/mnist';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';

describe('built-in datasets', () => {
  test('named as a gradient spec names them', () => {
    assert.deepEqual(
      BUILT_IN_DATASETS.map((d) => d.name),
      [...GRADIENT_DATASETS],
    );
  });

  test('mnist: the shape and split the loader gives', async () => {
    const mnist = BUILT_IN_DATASETS.find((d) => d.name === 'mnist')!;
    const { train, test: heldOut } = await loadMnist();
    assert.equal(mnist.train, train.count);
    assert.equal(mnist.test, heldOut.count);
    assert.equal(mnist.rows, train.count + heldOut.count);
    assert.equal(mnist.features, MNIST_INPUT_SIZE);
    assert.equal(mnist.classes, MNIST_CLASSES);
  });

  test('blobs: the figures of its default options', () => {
    const blobs = BUILT_IN_DATASETS.find((d) => d.name === 'blobs')!;
    const defaults = blobsOptionsSchema.parse({});
    assert.equal(blobs.train, defaults.train);
    assert.equal(blobs.test, defaults.test);
    assert.equal(blobs.rows, defaults.train + defaults.test);
    assert.equal(blobs.features, defaults.inputSize);
    assert.equal(blobs.classes, defaults.classes);
  });

  describe('GET /api/datasets', () => {
    let c: TestCoordinator;
    before(async () => (c = await startTestCoordinator()));
    after(() => c.cleanup());

    test('lists them beside the uploads', async () => {
      const list = await api(c.url, 'GET', '/api/datasets');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, { datasets: [], builtIn: BUILT_IN_DATASETS });
    });
  });
});
