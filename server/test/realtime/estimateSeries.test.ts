// Which numbers of a result the dashboard charts, for each result shape the estimators give.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimatorFor } from '@tessera/shared';
import { estimateSeriesOf, headlineOf } from '../../src/realtime/dashboard/estimateSeries';

describe('estimateSeriesOf', () => {
  test("pi's real result: the estimate with its 95% interval", () => {
    const pi = estimatorFor('pi');
    const aggregate = pi.fold(pi.emptyAggregate(), { hits: 785, samples: 1000 });
    const result: Record<string, unknown> = {
      ...(pi.finalize(aggregate) as Record<string, unknown>),
      final: false,
      unitsValidated: 1,
      unitsTotal: 4,
    };
    const [series, ...rest] = estimateSeriesOf(result);
    assert.deepEqual(rest, []);
    assert.equal(series!.name, 'estimate');
    assert.equal(series!.value, 3.14);
    const ci = result.ci95 as [number, number];
    assert.equal(series!.lo, ci[0]);
    assert.equal(series!.hi, ci[1]);
    assert.ok(series!.lo! < 3.14 && series!.hi! > 3.14);
  });

  test('an estimate with only a standard error gets the normal 95% interval', () => {
    const [s] = estimateSeriesOf({ estimate: 10, stderr: 1, samples: 100 });
    assert.ok(Math.abs(s!.lo! - (10 - 1.959963984540054)) < 1e-12);
    assert.ok(Math.abs(s!.hi! - (10 + 1.959963984540054)) < 1e-12);
  });

  test('per-observable means (ising-2d) each become a series, in result order', () => {
    const series = estimateSeriesOf({
      magnetization: { mean: 0.9, stderr: 0.01 },
      energy: { mean: -1.7, stderr: 0.02 },
      chains: 8,
      final: true,
    });
    assert.deepEqual(
      series.map((s) => s.name),
      ['magnetization', 'energy'],
    );
    assert.equal(headlineOf(series)?.series, 'magnetization');
    assert.ok(series[1]!.lo! < -1.7 && series[1]!.hi! > -1.7);
  });

  test("a WGSL kernel's outputs each become a series, in the kernel's order, with their intervals", () => {
    const series = estimateSeriesOf({
      outputs: {
        hit: { mean: 0.785, stderr: 0.001, ci95: [0.783, 0.787], rejected: 0 },
        steps: { mean: 12.5, stderr: 0.5, rejected: 2 },
      },
      samples: 1000,
      final: false,
      unitsValidated: 1,
      unitsTotal: 4,
    });
    assert.deepEqual(series[0], { name: 'hit', value: 0.785, lo: 0.783, hi: 0.787 });
    assert.equal(series[1]!.name, 'steps');
    assert.ok(Math.abs(series[1]!.lo! - (12.5 - 0.5 * 1.959963984540054)) < 1e-12);
    assert.equal(series.length, 2);
    assert.deepEqual(headlineOf(series), { series: 'hit', value: 0.785, lo: 0.783, hi: 0.787 });
    // An output whose mean is not a number yet (no finite sample) is left out, not charted as 0.
    assert.deepEqual(estimateSeriesOf({ outputs: { a: { mean: null, stderr: null } } }), []);
  });

  test('an unknown shape falls back to its first non-bookkeeping number, without an interval', () => {
    const series = estimateSeriesOf({ samples: 10, unitsTotal: 3, price: 4.2, other: 1 });
    assert.deepEqual(series, [{ name: 'price', value: 4.2, lo: null, hi: null }]);
  });

  test('nothing chartable gives no series and no headline; infinities are not numbers', () => {
    assert.deepEqual(estimateSeriesOf({ samples: 0, final: false, note: 'x' }), []);
    const [s] = estimateSeriesOf({ estimate: 0, stderr: Number.POSITIVE_INFINITY });
    assert.deepEqual(s, { name: 'estimate', value: 0, lo: null, hi: null });
    assert.equal(headlineOf([]), null);
  });
});
