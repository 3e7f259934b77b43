// The contribute page's words for the controls: the CPU fallback's worker count, why the tab
// is paused (the battery reason with its level), and a pause that is still finishing units.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backendWords,
  currentWorkWords,
  runWords,
  speedWords,
  throttleWords,
} from '../../src/contribute/statusWords';
import { INITIAL_STATUS, type VolunteerStatus } from '../../src/volunteer/workerMessages';

const settings = { batteryPauseBelowPercent: 20 };
const visible = { hidden: false, battery: null };
const running: VolunteerStatus = { ...INITIAL_STATUS, run: 'running', connection: 'ready' };

test('the CPU fallback says how many workers compute', () => {
  const cpu = { kind: 'cpu', forced: true, reason: null } as const;
  assert.equal(backendWords(cpu, 'cpu', 'running', 4).main, 'CPU fallback, 4 workers');
  assert.equal(backendWords(cpu, 'cpu', 'running', 1).main, 'CPU fallback, 1 worker');
  assert.equal(backendWords(cpu, 'cpu', 'running').main, 'CPU fallback');
});

test('a running tab says it contributes; a stopped one says it does not', () => {
  assert.equal(runWords(running, settings, visible), 'Contributing');
  assert.equal(runWords(INITIAL_STATUS, settings, visible), 'Not contributing');
});

test('a pause names its reasons, the battery with its level', () => {
  const paused = { ...running, pausedBecause: ['user', 'battery'] } as VolunteerStatus;
  const onBattery = { hidden: false, battery: { level: 0.12, charging: false } };
  assert.equal(
    runWords(paused, settings, onBattery),
    'Paused: you pressed Pause; on battery at 12%, below 20%',
  );
});

test('a pause with units still in hand says it is finishing them', () => {
  const pausing = { ...running, pausedBecause: ['hidden'], unitsInFlight: 2 } as VolunteerStatus;
  assert.equal(
    runWords(pausing, settings, visible),
    'Pausing after the 2 units in hand: this tab is hidden',
  );
  assert.equal(currentWorkWords({ ...pausing, unitsInFlight: 0 }), 'Nothing: paused');
});

test('the throttle reads as a share of time', () => {
  assert.equal(throttleWords(100), '100% (no limit)');
  assert.equal(throttleWords(25), '25% of the time');
});

test('the speed of several CPU workers is their sum', () => {
  assert.equal(speedWords(1_500_000), '1.5M samples/s');
  assert.equal(speedWords(1_500_000, 2), '3M samples/s (2 workers × 1.5M)');
  assert.equal(speedWords(null, 2), '—');
});
