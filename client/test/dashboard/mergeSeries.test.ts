// How a page folds incremental points into its history: newer points append, the same instant
// replaces, older (already held) points are ignored, and the bound holds either way.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergePoints } from '../../src/dashboard/mergeSeries';

const p = (t: number, v = t) => ({ t, v });

describe('mergePoints', () => {
  test('appends newer points, replaces the same instant, ignores older ones', () => {
    const held = [p(1), p(2), p(3)];
    const merged = mergePoints(held, [p(2, 20), p(3, 30), p(4)], 100, 'window');
    assert.deepEqual(merged, [p(1), p(2), p(3, 30), p(4)]);
    assert.deepEqual(held, [p(1), p(2), p(3)], 'the held array is not changed');
  });

  test("'window' keeps the newest points within the bound", () => {
    const incoming = Array.from({ length: 50 }, (_, i) => p(i));
    assert.deepEqual(
      mergePoints([], incoming, 10, 'window').map((x) => x.t),
      [40, 41, 42, 43, 44, 45, 46, 47, 48, 49],
    );
  });

  test("'halve' keeps the first and the newest point and halves the rest", () => {
    let held: Array<{ t: number; v: number }> = [];
    for (let t = 0; t < 1000; t++) {
      held = mergePoints(held, [p(t)], 64, 'halve');
      assert.ok(held.length <= 64);
    }
    assert.equal(held[0]!.t, 0);
    assert.equal(held.at(-1)!.t, 999);
  });
});
