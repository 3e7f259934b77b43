// Thinning a training curve: bounded, evenly spaced by step, losses averaged, the latest
// accuracy of each run kept, the final step kept.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StepPoint } from '../../src/protocol/dashboardProtocol';
import { thinSteps } from '../../src/protocol/stepCurve';

/** Steps 0..n-1, loss = step, accuracy every `evalEvery` steps (and at the last). */
function curve(n: number, evalEvery: number): StepPoint[] {
  return Array.from({ length: n }, (_, step) => ({
    step,
    loss: step,
    accuracy: (step + 1) % evalEvery === 0 || step === n - 1 ? step / n : null,
  }));
}

describe('thinSteps', () => {
  test('a curve within the bound comes back as is, as a copy', () => {
    const points = curve(10, 3);
    const thinned = thinSteps(points, 10);
    assert.deepEqual(thinned, points);
    assert.notEqual(thinned, points);
    assert.deepEqual(thinSteps([], 4), []);
  });

  test('runs of equal steps: mean loss, latest accuracy, at the run’s last step', () => {
    const thinned = thinSteps(curve(10, 3), 4);
    // width ceil(10 / 4) = 3: steps 0-2, 3-5, 6-8, 9.
    assert.deepEqual(thinned, [
      { step: 2, loss: 1, accuracy: 0.2 },
      { step: 5, loss: 4, accuracy: 0.5 },
      { step: 8, loss: 7, accuracy: 0.8 },
      { step: 9, loss: 9, accuracy: 0.9 },
    ]);
  });

  test('awkward sizes stay within the bound and keep the final step and accuracy', () => {
    for (const n of [2, 7, 33, 100, 1001, 4097]) {
      for (const max of [1, 2, 5, 32, 1000]) {
        const points = curve(n, 10);
        const thinned = thinSteps(points, max);
        assert.ok(thinned.length <= max, `${n} steps into ${max}: ${thinned.length}`);
        assert.equal(thinned.at(-1)!.step, n - 1);
        assert.equal(thinned.at(-1)!.accuracy, (n - 1) / n);
        for (let i = 1; i < thinned.length; i++) {
          assert.ok(thinned[i]!.step > thinned[i - 1]!.step, 'steps increase');
        }
      }
    }
  });

  test('a thinned curve that grew is thinned evenly again; null losses are skipped', () => {
    const once = thinSteps(curve(100, 10), 10);
    const grown = [...once, ...curve(200, 10).slice(100)];
    const again = thinSteps(grown, 10);
    assert.deepEqual(
      again.map((p) => p.step),
      [19, 39, 59, 79, 99, 119, 139, 159, 179, 199],
    );
    const diverged = thinSteps(
      [
        { step: 0, loss: 2, accuracy: null },
        { step: 1, loss: null, accuracy: null },
        { step: 2, loss: null, accuracy: 0.5 },
        { step: 3, loss: null, accuracy: null },
      ],
      2,
    );
    assert.deepEqual(diverged, [
      { step: 1, loss: 2, accuracy: null },
      { step: 3, loss: null, accuracy: 0.5 },
    ]);
  });

  test('a bound below one is refused', () => {
    assert.throws(() => thinSteps(curve(3, 1), 0), RangeError);
    assert.throws(() => thinSteps(curve(3, 1), 2.5), RangeError);
  });
});
