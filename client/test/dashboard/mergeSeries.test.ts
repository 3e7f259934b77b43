// How a page folds incremental points into its history: newer points append, the same instant
// replaces, older (already held) points are ignored, and the bound holds either way.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StepPoint } from '@tessera/shared/protocol/dashboardProtocol';
import { mergePoints, mergeSteps } from '../../src/dashboard/mergeSeries';

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

describe('mergeSteps', () => {
  const s = (step: number, loss = step): StepPoint => ({ step, loss, accuracy: null });

  test('appends newer steps, replaces the same step, ignores older ones', () => {
    const held = [s(0), s(1), s(2)];
    assert.deepEqual(mergeSteps(held, [s(1, 10), s(2, 20), s(3)], 100), [
      s(0),
      s(1),
      s(2, 20),
      s(3),
    ]);
    assert.deepEqual(held, [s(0), s(1), s(2)], 'the held array is not changed');
  });

  test('past the bound the curve is thinned to half, ending at the newest step', () => {
    let held: StepPoint[] = [];
    for (let step = 0; step < 1000; step++) {
      held = mergeSteps(held, [s(step)], 64);
      assert.ok(held.length <= 64, `${held.length} at step ${step}`);
      assert.equal(held.at(-1)!.step, step);
    }
  });
});
