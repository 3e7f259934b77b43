// The dashboard's history buffers: bounded memory, deltas by sequence mark, and a 'halve'
// series that keeps a whole run's shape and always ends at the newest value.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedSeries } from '../../src/realtime/dashboard/boundedSeries';

const point = (t: number, value = t) => ({ t, value });

describe('BoundedSeries', () => {
  test("'window' keeps the newest points", () => {
    const s = new BoundedSeries<{ t: number; value: number }>(5, 'window');
    for (let t = 1; t <= 12; t++) s.push(point(t));
    assert.deepEqual(
      s.all().map((p) => p.t),
      [8, 9, 10, 11, 12],
    );
  });

  test('since(mark) returns what was added or updated after the mark', () => {
    const s = new BoundedSeries<{ t: number; value: number }>(10, 'window');
    s.push(point(1));
    s.push(point(2));
    const mark = s.mark;
    assert.deepEqual(s.since(mark), []);
    s.push(point(3));
    s.push({ t: 3, value: 30 });
    assert.deepEqual(s.since(mark), [{ t: 3, value: 30 }], 'same instant updates in place');
    assert.deepEqual(s.since(0).length, 3);
  });

  test("'halve' stays within capacity over a long run, spans it, and ends at the newest value", () => {
    const s = new BoundedSeries<{ t: number; value: number }>(16, 'halve');
    for (let t = 0; t <= 10_000; t += 7) {
      s.push(point(t));
      assert.ok(s.length <= 16, `length ${s.length} at t=${t}`);
    }
    const all = s.all();
    assert.equal(all[0]!.t, 0, 'the start of the run is kept');
    assert.equal(all.at(-1)!.t, 9996, 'the newest value is last');
    const gaps = all.slice(1).map((p, i) => p.t - all[i]!.t);
    assert.ok(Math.max(...gaps.slice(0, -1)) < (4 * 10_000) / 16, `gaps ${gaps.join(',')}`);
    for (let i = 1; i < all.length; i++) assert.ok(all[i]!.t > all[i - 1]!.t, 'time order');
  });

  test('a clock that does not move updates the last point instead of adding one', () => {
    const s = new BoundedSeries<{ t: number; value: number }>(4, 'halve');
    for (let i = 0; i < 100; i++) s.push({ t: 5, value: i });
    assert.deepEqual(s.all(), [{ t: 5, value: 99 }]);
  });
});
