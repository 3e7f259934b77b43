// Combining shard gradients: the mean is exactly the whole batch's mean gradient; median and
// trimmed mean shrug off a minority of poisoned shards (NaN, huge, scaled, sign-flipped).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { relativeL2Error } from '../../../src/kinds/gradient/gradientCompare';
import {
  aggregateGradients,
  type ShardGradient,
} from '../../../src/kinds/gradient/robustAggregation';

const shard = (values: number[], count = 1): ShardGradient => ({
  gradSum: Float32Array.from(values),
  count,
});

describe('aggregation rules on hand-checked values', () => {
  test('mean weights shards by their example counts: sum of sums / sum of counts', () => {
    const got = aggregateGradients([shard([3, 30], 3), shard([1, -10], 1)], { rule: 'mean' });
    assert.deepEqual(Array.from(got), [1, 5]);
  });

  test('median of an odd and an even number of shards (per-example means)', () => {
    const odd = aggregateGradients([shard([10], 2), shard([1], 1), shard([9], 3)], {
      rule: 'median',
    });
    assert.deepEqual(Array.from(odd), [3]); // per-example 5, 1, 3
    const even = aggregateGradients([shard([4]), shard([1]), shard([2]), shard([100])], {
      rule: 'median',
    });
    assert.deepEqual(Array.from(even), [3]); // (2 + 4) / 2
  });

  test('trimmed mean drops floor(trim * S) values at each end, per coordinate', () => {
    const shards = [
      shard([1, 50]),
      shard([2, 40]),
      shard([3, 30]),
      shard([4, 20]),
      shard([100, 10]),
    ];
    const got = aggregateGradients(shards, { rule: 'trimmed-mean', trim: 0.2 });
    assert.deepEqual(Array.from(got), [3, 30]);
    const untrimmed = aggregateGradients(shards, { rule: 'trimmed-mean', trim: 0 });
    assert.deepEqual(Array.from(untrimmed), [22, 30]);
  });

  test('refuses no shards, mismatched lengths, empty shards and a trim of 0.5', () => {
    assert.throws(() => aggregateGradients([], { rule: 'mean' }), /no shard/);
    assert.throws(
      () => aggregateGradients([shard([1]), shard([1, 2])], { rule: 'mean' }),
      /shard 1 has 2/,
    );
    assert.throws(() => aggregateGradients([shard([1], 0)], { rule: 'median' }), /count 0/);
    assert.throws(
      () => aggregateGradients([shard([1])], { rule: 'trimmed-mean', trim: 0.5 }),
      /trim/,
    );
  });
});

describe('robust rules against poisoned shards', () => {
  // 10 honest shards of 32 examples around a common gradient, with per-shard noise.
  const size = 64;
  const truth = Float32Array.from({ length: size }, (_, i) => Math.sin(i) * 0.1);
  const honest = Array.from({ length: 10 }, (_, s) =>
    shard(
      Array.from(truth, (g, i) => 32 * (g + 0.01 * Math.cos(7 * s + i))),
      32,
    ),
  );
  const cleanMean = aggregateGradients(honest, { rule: 'mean' });

  const poisons: Record<string, (s: ShardGradient) => ShardGradient> = {
    NaN: (s) => ({ ...s, gradSum: s.gradSum.map(() => Number.NaN) }),
    huge: (s) => ({ ...s, gradSum: s.gradSum.map((v) => v * 1e30) }),
    'sign-flipped x10': (s) => ({ ...s, gradSum: s.gradSum.map((v) => -10 * v) }),
    'NaN and huge mixed': (s) => ({
      ...s,
      gradSum: s.gradSum.map((v, i) => (i % 2 ? Number.NaN : 1e30)),
    }),
  };

  for (const [name, poison] of Object.entries(poisons)) {
    test(`2 of 10 shards ${name}: median and 20%-trimmed mean stay near the clean mean`, () => {
      const shards = honest.map((s, i) => (i === 3 || i === 8 ? poison(s) : s));
      const naive = aggregateGradients(shards, { rule: 'mean' });
      assert.ok(!(relativeL2Error(naive, cleanMean) < 0.5), 'the plain mean should be ruined');
      for (const rule of [{ rule: 'median' }, { rule: 'trimmed-mean', trim: 0.2 }] as const) {
        const got = aggregateGradients(shards, rule);
        assert.ok(got.every(Number.isFinite), `${rule.rule}: non-finite result`);
        const error = relativeL2Error(got, cleanMean);
        assert.ok(error < 0.15, `${rule.rule}: relative L2 error ${error} from the clean mean`);
      }
    });
  }
});
