// The MNIST split every gradient workload trains and evaluates on: fixed, balanced, disjoint,
// faithful to the package's pixels, and the same on every load.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  MNIST_CLASSES,
  MNIST_HELD_OUT_PER_CLASS,
  MNIST_INPUT_SIZE,
  loadMnist,
} from '../../src/datasets/mnist';

function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('MNIST split', () => {
  test('holds out 200 of each class (2,000) and trains on the other 8,000', async () => {
    const { train, test: heldOut } = await loadMnist();
    assert.equal(heldOut.count, MNIST_CLASSES * MNIST_HELD_OUT_PER_CLASS);
    assert.equal(train.count, 10_000 - 2_000);
    const perClass = new Array<number>(MNIST_CLASSES).fill(0);
    heldOut.labels.forEach((label) => (perClass[label] = perClass[label]! + 1));
    assert.deepEqual(perClass, new Array(MNIST_CLASSES).fill(MNIST_HELD_OUT_PER_CLASS));
    for (const set of [train, heldOut]) {
      assert.equal(set.inputSize, MNIST_INPUT_SIZE);
      assert.equal(set.features.length, set.count * MNIST_INPUT_SIZE);
    }
  });

  test('train and held-out sets are disjoint and together are the whole package', async () => {
    const { trainIds, testIds } = await loadMnist();
    const all = new Set([...trainIds, ...testIds]);
    assert.equal(all.size, trainIds.length + testIds.length);
    assert.equal(all.size, 10_000);
    assert.ok([...all].every((id) => id < 10_000));
  });

  test('pixels and labels are the package’s own, as bytes', async () => {
    const { train, trainIds, test: heldOut, testIds } = await loadMnist();
    const root = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
    // Raw index of each class's first digit, from the files themselves.
    const files = Array.from(
      { length: 10 },
      (_, digit) =>
        (
          JSON.parse(readFileSync(join(root, 'src', 'digits', `${digit}.json`), 'utf8')) as {
            data: number[];
          }
        ).data,
    );
    const starts = [0];
    for (const data of files) starts.push(starts.at(-1)! + data.length / MNIST_INPUT_SIZE);
    for (const [set, ids] of [
      [train, trainIds],
      [heldOut, testIds],
    ] as const) {
      for (const n of [0, 1, 777, set.count - 1]) {
        const id = ids[n]!;
        const digit = starts.findIndex((start, d) => id >= start && id < starts[d + 1]!);
        assert.equal(set.labels[n], digit, `label of example ${n} (raw ${id})`);
        const local = id - starts[digit]!;
        const expected = files[digit]!.slice(
          local * MNIST_INPUT_SIZE,
          (local + 1) * MNIST_INPUT_SIZE,
        );
        const got = Array.from(
          set.features.subarray(n * MNIST_INPUT_SIZE, (n + 1) * MNIST_INPUT_SIZE),
        );
        assert.deepEqual(
          got.map((b) => Math.round((b / 255) * 1000) / 1000),
          expected,
          `pixels of example ${n} (raw ${id})`,
        );
        assert.ok(
          got.some((b) => b > 200),
          'a digit has ink',
        );
      }
    }
  });

  test('the split is deterministic: pinned by its content hash, not by Math.random', async () => {
    const { train, test: heldOut, testIds } = await loadMnist();
    // Pinned values: a change here changes every MNIST workload's result.
    assert.deepEqual(Array.from(testIds.slice(0, 5)), PINNED_FIRST_TEST_IDS);
    assert.equal(digest(heldOut.features), PINNED_TEST_FEATURES_SHA256);
    assert.equal(digest(train.labels), PINNED_TRAIN_LABELS_SHA256);
  });
});

const PINNED_FIRST_TEST_IDS = [2, 9, 10, 19, 21];
const PINNED_TEST_FEATURES_SHA256 =
  'c57a9f19c8fd08150a7373dc9b8c267b28321b2619323513d5063940589864f3';
const PINNED_TRAIN_LABELS_SHA256 =
  '766fa9e50580c932b182f0f053836f2634ce331cc1954aff61e55c309602080a';
