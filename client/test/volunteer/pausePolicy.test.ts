// When the tab pauses by itself: hidden only when the volunteer asked for it, on battery only
// below the chosen level and never while charging, and Pause always.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pauseReasons, VISIBLE_UNKNOWN_BATTERY } from '../../src/volunteer/pausePolicy';

const settings = { pauseWhenHidden: true, batteryPauseBelowPercent: 20 };

test('a visible tab with no battery reading runs', () => {
  assert.deepEqual(pauseReasons(false, settings, VISIBLE_UNKNOWN_BATTERY), []);
});

test('Pause pauses whatever else holds', () => {
  assert.deepEqual(pauseReasons(true, settings, VISIBLE_UNKNOWN_BATTERY), ['user']);
});

test('a hidden tab pauses only when the volunteer asked for it', () => {
  const hidden = { hidden: true, battery: null };
  assert.deepEqual(pauseReasons(false, settings, hidden), ['hidden']);
  assert.deepEqual(pauseReasons(false, { ...settings, pauseWhenHidden: false }, hidden), []);
});

test('on battery below the level pauses; at or above it, or charging, does not', () => {
  const at = (level: number, charging = false) => ({
    hidden: false,
    battery: { level, charging },
  });
  assert.deepEqual(pauseReasons(false, settings, at(0.15)), ['battery']);
  assert.deepEqual(pauseReasons(false, settings, at(0.2)), []);
  assert.deepEqual(pauseReasons(false, settings, at(0.9)), []);
  assert.deepEqual(pauseReasons(false, settings, at(0.05, true)), []);
  assert.deepEqual(pauseReasons(false, { ...settings, batteryPauseBelowPercent: 0 }, at(0.01)), []);
});

test('every reason that holds is listed, in a fixed order', () => {
  assert.deepEqual(
    pauseReasons(true, settings, { hidden: true, battery: { level: 0.1, charging: false } }),
    ['user', 'hidden', 'battery'],
  );
});
