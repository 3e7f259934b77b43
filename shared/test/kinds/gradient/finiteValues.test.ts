// firstNonFinite: the index of the first NaN or infinity, in every array type a model's values
// come in, wherever it sits; -1 when all are finite, including the largest and smallest floats.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { firstNonFinite } from '../../../src/kinds/gradient/finiteValues';

describe('firstNonFinite', () => {
  test('finite values, extremes included, give -1', () => {
    const extremes = [0, -0, 1, -1, 3.4028234663852886e38, -3.4028234663852886e38, 1.4e-45];
    assert.equal(firstNonFinite(new Float32Array(extremes)), -1);
    assert.equal(firstNonFinite(new Float64Array([...extremes, Number.MAX_VALUE])), -1);
    assert.equal(firstNonFinite([]), -1);
  });

  test('NaN and both infinities are found at their first place', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const at of [0, 1, 4_999, 9_999]) {
        for (const make of [
          (n: number) => new Float32Array(n),
          (n: number) => new Float64Array(n),
        ]) {
          const values = make(10_000).map((_, i) => Math.sin(i));
          values[at] = bad;
          values[9_999] = bad;
          assert.equal(firstNonFinite(values), at, `${bad} at ${at}`);
        }
      }
    }
    // A float64 too large for float32 is infinite once stored as float32.
    assert.equal(firstNonFinite(new Float32Array([1, 1e39])), 1);
  });
});
