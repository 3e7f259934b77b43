// Batch order and sharding: every epoch visits every training example once, in an order fixed
// by (seed, epoch) alone; shards split a batch into near-equal contiguous ranges.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  batchIndices,
  epochPermutation,
  shardRanges,
  stepsPerEpoch,
} from '../../../src/kinds/gradient/batchSchedule';

describe('epoch order', () => {
  test('is a permutation, pinned for (seed 42, epochs 0 and 1)', () => {
    // Pinned: a change here reorders every workload's batches.
    assert.deepEqual(Array.from(epochPermutation(10, 42, 0)), [3, 6, 8, 1, 2, 0, 5, 9, 7, 4]);
    assert.deepEqual(Array.from(epochPermutation(10, 42, 1)), [0, 6, 5, 9, 8, 3, 1, 7, 4, 2]);
    const big = epochPermutation(8000, 2 ** 40 + 3, 7);
    assert.deepEqual(
      Array.from(big).sort((a, b) => a - b),
      Array.from({ length: 8000 }, (_, i) => i),
    );
  });

  test('depends on the seed and the epoch, and only on them', () => {
    const a = Array.from(epochPermutation(1000, 1, 0));
    assert.deepEqual(Array.from(epochPermutation(1000, 1, 0)), a);
    assert.notDeepEqual(Array.from(epochPermutation(1000, 2, 0)), a);
    assert.notDeepEqual(Array.from(epochPermutation(1000, 1, 1)), a);
  });

  test('moves every position about as often (no first-place bias)', () => {
    // Where example 0 lands over 2,000 seeds: each of 10 places expects 200.
    const landed = new Array<number>(10).fill(0);
    for (let seed = 0; seed < 2000; seed++) {
      const place = epochPermutation(10, seed, 0).indexOf(0);
      landed[place] = landed[place]! + 1;
    }
    for (const count of landed) assert.ok(count > 140 && count < 260, `${landed}`);
  });
});

describe('batches', () => {
  const schedule = { trainCount: 23, batchSize: 5, seed: 9 };

  test('each epoch of ceil(N / B) steps covers every example once; the last batch is short', () => {
    assert.equal(stepsPerEpoch(schedule), 5);
    for (const epoch of [0, 1, 2]) {
      const batches = [0, 1, 2, 3, 4].map((s) => batchIndices(schedule, epoch * 5 + s));
      assert.deepEqual(
        batches.map((b) => b.length),
        [5, 5, 5, 5, 3],
      );
      const seen = batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
      assert.deepEqual(
        seen,
        Array.from({ length: 23 }, (_, i) => i),
      );
      assert.deepEqual(
        batches.flatMap((b) => Array.from(b)),
        Array.from(epochPermutation(23, 9, epoch)),
      );
    }
  });

  test('refuses nonsense', () => {
    assert.throws(() => batchIndices({ ...schedule, batchSize: 0 }, 0), /batchSize/);
    assert.throws(() => batchIndices(schedule, -1), /step/);
    assert.throws(() => epochPermutation(5, 1, 2 ** 32), /epoch/);
  });
});

describe('shards of a batch', () => {
  test('contiguous, in order, sizes within one of each other, larger first', () => {
    assert.deepEqual(shardRanges(10, 3), [
      [0, 4],
      [4, 7],
      [7, 10],
    ]);
    assert.deepEqual(shardRanges(8, 4), [
      [0, 2],
      [2, 4],
      [4, 6],
      [6, 8],
    ]);
  });

  test('never makes an empty shard: a batch smaller than the shard count gets one per example', () => {
    assert.deepEqual(shardRanges(2, 5), [
      [0, 1],
      [1, 2],
    ]);
    assert.throws(() => shardRanges(4, 0), /shards/);
  });
});
