// The dashboard's broadcast ceiling: CoalescingThrottle under bursts, slow tasks and close,
// driven by ManualTimers so every interleaving is exact.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CoalescingThrottle } from '../../src/realtime/dashboard/coalescingThrottle';
import { ManualTimers } from '../../src/realtime/dashboard/timers';

/** Lets the task's promise chain settle between timer steps. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function harness(intervalMs: number, taskMs = 0) {
  const timers = new ManualTimers();
  const starts: number[] = [];
  const errors: unknown[] = [];
  const throttle = new CoalescingThrottle(
    async () => {
      starts.push(timers.now());
      if (taskMs > 0) await new Promise<void>((resolve) => timers.setTimeout(resolve, taskMs));
    },
    intervalMs,
    timers,
    (e) => errors.push(e),
  );
  return { timers, starts, errors, throttle };
}

describe('CoalescingThrottle', () => {
  test('a burst of requests becomes one run', async () => {
    const { timers, starts, throttle } = harness(250);
    for (let i = 0; i < 1000; i++) throttle.request();
    timers.advance(0);
    await settle();
    assert.equal(starts.length, 1);
    timers.advance(10_000);
    await settle();
    assert.equal(starts.length, 1, 'no request since the run: no second run');
  });

  test('continuous requests run at most once per interval, whatever their rate', async () => {
    const { timers, starts, throttle } = harness(250);
    // 10 requests per millisecond for 10 simulated seconds.
    for (let ms = 0; ms < 10_000; ms++) {
      for (let i = 0; i < 10; i++) throttle.request();
      timers.advance(1);
      await settle();
    }
    assert.ok(starts.length <= 10_000 / 250 + 1, `${starts.length} runs`);
    assert.ok(starts.length >= 10_000 / 250 - 1, `${starts.length} runs: requests were starved`);
    for (let i = 1; i < starts.length; i++) {
      assert.ok(starts[i]! - starts[i - 1]! >= 250, `runs ${i - 1} and ${i} too close`);
    }
  });

  test('a request during a slow run is served once, after it, no sooner than the interval', async () => {
    const { timers, starts, throttle } = harness(100, 400);
    throttle.request();
    timers.advance(0);
    await settle();
    assert.equal(starts.length, 1);
    throttle.request();
    throttle.request();
    timers.advance(200);
    await settle();
    assert.equal(starts.length, 1, 'the first run is still going');
    timers.advance(200);
    await settle();
    timers.advance(0);
    await settle();
    assert.equal(starts.length, 2);
    assert.ok(starts[1]! - starts[0]! >= 400);
  });

  test('a failing run is reported and does not stop later runs', async () => {
    const timers = new ManualTimers();
    const errors: unknown[] = [];
    let calls = 0;
    const throttle = new CoalescingThrottle(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('store closed');
      },
      50,
      timers,
      (e) => errors.push(e),
    );
    throttle.request();
    timers.advance(0);
    await settle();
    throttle.request();
    timers.advance(50);
    await settle();
    assert.equal(calls, 2);
    assert.equal(errors.length, 1);
  });

  test('close cancels the pending run and ignores later requests', async () => {
    const { timers, starts, throttle } = harness(100);
    throttle.request();
    throttle.close();
    throttle.request();
    timers.advance(1_000);
    await settle();
    assert.equal(starts.length, 0);
    assert.equal(timers.pendingCount, 0);
  });
});
