// The tab's controls as the unit lanes see them: a pause holds every waiting lane and its end
// releases them all, a stop releases a held lane with its reason, and the throttle setting
// reaches the duty cycle at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContributionControls } from '../../src/volunteer/contributionControls';
import { DEFAULT_SETTINGS } from '../../src/volunteer/volunteerSettings';

test('an unpaused tab lets lanes through at once', async () => {
  const controls = new ContributionControls();
  await controls.whenRunnable(new AbortController().signal);
  assert.equal(controls.paused, false);
});

test('a pause holds the lanes until every reason is gone', async () => {
  const changes: string[][] = [];
  const controls = new ContributionControls((reasons) => changes.push(reasons));
  controls.setSettings({ ...DEFAULT_SETTINGS, pauseWhenHidden: true });
  controls.setUserPaused(true);
  controls.setEnvironment({ hidden: true, battery: null });
  let released = 0;
  const lanes = [1, 2].map(() =>
    controls.whenRunnable(new AbortController().signal).then(() => released++),
  );
  controls.setUserPaused(false);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(released, 0, 'still hidden');
  controls.setEnvironment({ hidden: false, battery: null });
  await Promise.all(lanes);
  assert.equal(released, 2);
  assert.deepEqual(changes, [['user'], ['user', 'hidden'], ['hidden'], []]);
});

test('a stop releases a paused lane with the stop reason', async () => {
  const controls = new ContributionControls();
  controls.setUserPaused(true);
  const stop = new AbortController();
  const waiting = controls.whenRunnable(stop.signal);
  stop.abort(new Error('stopped'));
  await assert.rejects(waiting, /stopped/);
});

test('the throttle setting becomes the duty cycle share', () => {
  const controls = new ContributionControls();
  controls.setSettings({ ...DEFAULT_SETTINGS, throttlePercent: 25 });
  assert.equal(controls.dutyCycle.currentShare, 0.25);
});
