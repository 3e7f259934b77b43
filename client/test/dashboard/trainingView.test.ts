// How a gradient workload reads on the dashboard and its page, without a browser: its figures in
// words, its result read by shape, its curve laid out for the chart and for the small chart.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accuracyWords, kindWords, lossWords, stepsWords } from '../../src/dashboard/formatting';
import { sparklinePaths } from '../../src/dashboard/sparkline';
import {
  parameterBytesWords,
  trainingChartData,
  trainingNow,
  trainingResultOf,
} from '../../src/workload/trainingView';

describe('training figures in words', () => {
  test('loss, accuracy, steps and kind', () => {
    assert.equal(lossWords(0.312345), '0.3123');
    assert.equal(lossWords(2.302585), '2.303');
    assert.equal(lossWords(null), '—');
    assert.equal(lossWords(Number.NaN), '—');
    assert.equal(accuracyWords(0.91234), '91.2%');
    assert.equal(accuracyWords(1), '100.0%');
    assert.equal(accuracyWords(null), '—');
    assert.equal(stepsWords(37, 1600), '37 / 1,600 steps');
    assert.equal(stepsWords(1, 1), '1 / 1 step');
    assert.equal(kindWords({ kind: 'gradient', estimator: 'gradient' }), 'gradient');
    assert.equal(kindWords({ kind: 'montecarlo', estimator: 'pi' }), 'pi · montecarlo');
    assert.equal(kindWords({ kind: 'montecarlo', estimator: 'wgsl' }), 'WGSL kernel · montecarlo');
    assert.equal(parameterBytesWords(68), '272 bytes');
    assert.equal(parameterBytesWords(7_850), '30.7 KB');
    assert.equal(parameterBytesWords(1_000_000), '3.8 MB');
  });
});

describe('trainingResultOf', () => {
  const result = {
    kind: 'gradient',
    status: 'running',
    final: false,
    version: 12,
    stepsTotal: 160,
    loss: 0.5,
    accuracy: null,
    parameterCount: 7_850,
    paramsUrl: '/api/workloads/w/result?format=bin',
    unitsValidated: 24,
    unitsTotal: 320,
  };

  test('reads a gradient result as the detail pushes it', () => {
    const read = trainingResultOf(result)!;
    assert.equal(read.version, 12);
    assert.equal(read.stepsTotal, 160);
    assert.equal(read.accuracy, null);
    assert.equal(read.parameterCount, 7_850);
  });

  test('where training stands: whichever of snapshot and result is further along', () => {
    const read = trainingResultOf(result)!;
    const fromResult = { stepsDone: 12, stepsTotal: 160, loss: 0.5, accuracy: null };
    const live = { stepsDone: 13, stepsTotal: 160, loss: 0.4, accuracy: 0.9 };
    assert.equal(trainingNow(null, null), null);
    assert.deepEqual(trainingNow(null, read), fromResult);
    assert.deepEqual(trainingNow(live, read), live);
    assert.deepEqual(trainingNow({ ...live, stepsDone: 11 }, read), fromResult);
    assert.deepEqual(trainingNow({ ...live, stepsDone: 12 }, read), { ...live, stepsDone: 12 });
  });

  test('no result, a Monte Carlo result or a malformed one reads as none', () => {
    assert.equal(trainingResultOf(null), null);
    assert.equal(trainingResultOf({ estimate: 3.14, final: true }), null);
    assert.equal(trainingResultOf({ ...result, version: -1 }), null);
    assert.equal(trainingResultOf({ ...result, loss: 'low' }), null);
  });
});

describe('training curve layouts', () => {
  const curve = [
    { step: 0, loss: 2, accuracy: null },
    { step: 1, loss: 1, accuracy: 0.5 },
    { step: 2, loss: null, accuracy: null },
    { step: 3, loss: 0, accuracy: 1 },
  ];

  test('the chart counts steps done, with gaps where a step has no figure', () => {
    assert.deepEqual(trainingChartData(curve), [
      [1, 2, 3, 4],
      [2, 1, null, 0],
      [null, 0.5, null, 1],
    ]);
    assert.deepEqual(trainingChartData([]), [[], [], []]);
  });

  test('the small chart: loss on its own range, accuracy on 0-100%, gaps skipped', () => {
    // 90 wide, 23 high: x every 30, y from 1.5 (top) to 21.5 (bottom).
    const paths = sparklinePaths(curve, 90, 23);
    assert.equal(paths.loss, 'M0.0 1.5L30.0 11.5L90.0 21.5');
    assert.equal(paths.accuracy, 'M30.0 11.5L90.0 1.5');
  });

  test('one point, a flat loss, nothing at all', () => {
    assert.deepEqual(sparklinePaths([{ step: 5, loss: 1, accuracy: null }], 100, 13), {
      loss: 'M50.0 6.5',
      accuracy: '',
    });
    const flat = sparklinePaths(
      [
        { step: 0, loss: 1, accuracy: null },
        { step: 1, loss: 1, accuracy: null },
      ],
      10,
      13,
    );
    assert.equal(flat.loss, 'M0.0 6.5L10.0 6.5');
    assert.deepEqual(sparklinePaths([], 10, 10), { loss: '', accuracy: '' });
    const noLoss = sparklinePaths([{ step: 0, loss: null, accuracy: 0 }], 10, 13);
    assert.deepEqual(noLoss, { loss: '', accuracy: 'M5.0 11.5' });
  });
});
