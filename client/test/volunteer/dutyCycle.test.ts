// The throttle's arithmetic and its rests: a share s of busy time means resting
// busy·(1/s − 1) after each busy stretch, a share change applies to a rest under way, and a
// stop cuts a rest short.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DutyCycle, MIN_SHARE, restAfterBusy } from '../../src/volunteer/dutyCycle';

test('full share never rests', () => {
  assert.equal(restAfterBusy(500, 1), 0);
});

test('a quarter share rests three times the busy time', () => {
  assert.equal(restAfterBusy(200, 0.25), 600);
});

test('half and a tenth share rest once and nine times the busy time', () => {
  assert.equal(restAfterBusy(100, 0.5), 100);
  assert.ok(Math.abs(restAfterBusy(100, 0.1) - 900) < 1e-9);
});

test('busy / (busy + rest) equals the share over a range of shares', () => {
  for (let percent = 10; percent <= 100; percent += 5) {
    const share = percent / 100;
    const busy = 37;
    const rest = restAfterBusy(busy, share);
    assert.ok(Math.abs(busy / (busy + rest) - share) < 1e-12, `share ${share}`);
  }
});

test('nonsense inputs never give a negative, infinite or NaN rest', () => {
  assert.equal(restAfterBusy(0, 0.25), 0);
  assert.equal(restAfterBusy(-5, 0.25), 0);
  assert.equal(restAfterBusy(Number.NaN, 0.25), 0);
  assert.equal(restAfterBusy(100, 2), 0);
  assert.equal(restAfterBusy(100, Number.NaN), 0);
  assert.equal(restAfterBusy(100, 0), 100 * (1 / MIN_SHARE - 1));
});

test('a rest lasts about its target', async () => {
  const cycle = new DutyCycle(0.5);
  const started = performance.now();
  const rested = await cycle.rest(60, new AbortController().signal);
  const took = performance.now() - started;
  assert.ok(rested >= 55 && took >= 55, `rested ${rested} ms, took ${took} ms`);
  assert.ok(took < 1_000, `took ${took} ms`);
});

test('raising the share mid-rest ends the rest early', async () => {
  const cycle = new DutyCycle(0.1);
  const started = performance.now();
  // 100 ms busy at 10% would rest 900 ms; at 100% the rest is over at once.
  setTimeout(() => cycle.setShare(1), 50);
  await cycle.rest(100, new AbortController().signal);
  const took = performance.now() - started;
  assert.ok(took < 400, `took ${took} ms`);
});

test('lowering the share mid-rest lengthens the rest', async () => {
  const cycle = new DutyCycle(0.5);
  const started = performance.now();
  // 50 ms busy rests 50 ms at 50%; lowered to 25% after 20 ms, the rest becomes 150 ms,
  // counted from its start.
  setTimeout(() => cycle.setShare(0.25), 20);
  await cycle.rest(50, new AbortController().signal);
  const took = performance.now() - started;
  assert.ok(took >= 140, `took ${took} ms`);
});

test('a stop ends a rest with the stop reason', async () => {
  const cycle = new DutyCycle(0.1);
  const stop = new AbortController();
  setTimeout(() => stop.abort(new Error('stopped')), 20);
  await assert.rejects(cycle.rest(1_000, stop.signal), /stopped/);
});
