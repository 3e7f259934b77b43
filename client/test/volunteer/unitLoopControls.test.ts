// The unit loop under the volunteer's controls, against a scripted coordinator and the real pi
// reference: several lanes hold several leases at once on one connection, Pause lets the unit
// in hand finish and then asks for nothing until Resume, and the throttle makes a CPU lane
// rest busy·(1/share − 1) before asking again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceWithBlocks } from '@tessera/shared/kinds/blockResults';
import { piEstimator } from '@tessera/shared/kinds/pi/piEstimator';

/** What a tab sends for a pi unit: the reference's totals with its blocks (SPEC R9). */
const runPiReference = (task: unknown) => referenceWithBlocks(piEstimator, task);
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import { ContributionControls } from '../../src/volunteer/contributionControls';
import { StatusReporter } from '../../src/volunteer/statusReporter';
import { ThroughputMeter } from '../../src/volunteer/throughputMeter';
import { UnitLoop, type UnitLoopDeps } from '../../src/volunteer/unitLoop';
import { REQUEST_HOLD_MS } from '../../src/volunteer/workRequests';
import { DEFAULT_SETTINGS } from '../../src/volunteer/volunteerSettings';

interface Sent {
  event: string;
  payload: Record<string, unknown>;
  at: number;
}

/** About 20-60 ms of pi reference work on one core. */
const TASK_COUNT = 2 ** 18;

function leaseOf(replicaId: number): Lease {
  return {
    replicaId,
    workloadId: 'wl-00000001',
    workloadName: 'test pi',
    kind: 'montecarlo',
    estimator: 'pi',
    unitIndex: replicaId - 1,
    task: { seed: 11, start: (replicaId - 1) * TASK_COUNT, count: TASK_COUNT },
    deadline: Date.now() + 60_000,
    leaseDurationMs: 60_000,
  };
}

/** A coordinator with `units` leases that records what it is sent and how many it has out. */
function scriptedCoordinator(units: number) {
  const sent: Sent[] = [];
  let next = 1;
  let out = 0;
  let maxOut = 0;
  const connection = {
    whenReady: async () => undefined,
    request: async (event: string, payload: Record<string, unknown>) => {
      sent.push({ event, payload, at: performance.now() });
      // A real round trip takes a little while; the lanes must not rely on it being instant.
      await new Promise((resolve) => setTimeout(resolve, 1));
      switch (event) {
        case 'unit:request': {
          if (next > units) return { ok: true, lease: null, retryAfterMs: 20 };
          out++;
          maxOut = Math.max(maxOut, out);
          return { ok: true, lease: leaseOf(next++), retryAfterMs: 20 };
        }
        case 'unit:result':
          out--;
          return { ok: true, verdict: 'pending' };
        default:
          return { ok: true };
      }
    },
  };
  return {
    sent,
    connection: connection as unknown as UnitLoopDeps['connection'],
    maxOut: () => maxOut,
    count: (event: string) => sent.filter((s) => s.event === event).length,
  };
}

function loopWith(
  coordinator: ReturnType<typeof scriptedCoordinator>,
  controls: ContributionControls,
  status = new StatusReporter(() => undefined),
): UnitLoop {
  return new UnitLoop({
    connection: coordinator.connection,
    backend: () => ({ kind: 'cpu' }),
    recoverFromDeviceLoss: async () => undefined,
    status,
    throughput: new ThroughputMeter(),
    controls,
    errorBackoffMs: 1,
  });
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('three lanes hold three leases at once on one connection', async () => {
  const coordinator = scriptedCoordinator(9);
  const loop = loopWith(coordinator, new ContributionControls());
  loop.setLanes(3);
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  await until(() => coordinator.count('unit:result') === 9);
  stop.abort();
  await running;
  assert.equal(coordinator.maxOut(), 3);
  // Every result is the reference's own: lanes do not change what a unit computes.
  for (const sent of coordinator.sent.filter((s) => s.event === 'unit:result')) {
    const replicaId = sent.payload.replicaId as number;
    assert.deepEqual(sent.payload.result, runPiReference(leaseOf(replicaId).task as never));
  }
});

test('one lane (the default) never holds two leases', async () => {
  const coordinator = scriptedCoordinator(4);
  const loop = loopWith(coordinator, new ContributionControls());
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  await until(() => coordinator.count('unit:result') === 4);
  stop.abort();
  await running;
  assert.equal(coordinator.maxOut(), 1);
});

test('Pause returns the unit in hand, then requests nothing until Resume', async () => {
  const coordinator = scriptedCoordinator(50);
  const controls = new ContributionControls();
  let paused = false;
  const status = new StatusReporter((event) => {
    // Pause the moment the second unit is in hand.
    if (event.event === 'status' && event.status.current?.unitIndex === 1 && !paused) {
      paused = true;
      controls.setUserPaused(true);
    }
  });
  const loop = loopWith(coordinator, controls, status);
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  await until(() => paused && status.current.unitsInFlight === 0);
  const requestsAtPause = coordinator.count('unit:request');
  const resultsAtPause = coordinator.count('unit:result');
  assert.equal(resultsAtPause, 2, 'the unit in hand was finished and returned');
  assert.equal(coordinator.count('unit:error'), 0, 'nothing was given up');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(coordinator.count('unit:request'), requestsAtPause, 'no request while paused');
  assert.deepEqual(controls.pausedBecause, ['user']);

  controls.setUserPaused(false);
  await until(() => coordinator.count('unit:result') >= resultsAtPause + 2);
  stop.abort();
  await running;
});

test('Stop while paused ends the loop at once', async () => {
  const coordinator = scriptedCoordinator(5);
  const controls = new ContributionControls();
  controls.setUserPaused(true);
  const loop = loopWith(coordinator, controls);
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  await new Promise((resolve) => setTimeout(resolve, 50));
  stop.abort();
  await running;
  assert.equal(coordinator.count('unit:request'), 0);
});

test('at 25% a CPU lane rests three times a unit’s busy time before asking again', async () => {
  const coordinator = scriptedCoordinator(3);
  const controls = new ContributionControls();
  controls.setSettings({ ...DEFAULT_SETTINGS, throttlePercent: 25 });
  const loop = loopWith(coordinator, controls);
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  await until(() => coordinator.count('unit:result') === 3);
  stop.abort();
  await running;
  const requests = coordinator.sent.filter((s) => s.event === 'unit:request');
  const results = coordinator.sent.filter((s) => s.event === 'unit:result');
  for (let i = 0; i < 2; i++) {
    const busyMs = results[i]!.payload.elapsedMs as number;
    const gap = requests[i + 1]!.at - results[i]!.at;
    assert.ok(gap >= 3 * busyMs * 0.95, `unit ${i}: rested ${gap} ms after ${busyMs} ms busy`);
  }
});

/** Whether `running` settles within `ms`: bounded, so a loop that never ends fails, not hangs. */
function endsWithin(running: Promise<void>, ms = 5_000): Promise<boolean> {
  return Promise.race([
    running.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
  ]);
}

/**
 * A coordinator with no work that holds every unit:request (server/SPEC.md L13) until the tab
 * sends unit:wait-cancel, or forever when `cancellable` is false (an unreachable coordinator).
 */
function holdingCoordinator(cancellable = true) {
  const sent: Sent[] = [];
  const held = new Set<() => void>();
  const connection = {
    whenReady: async () => undefined,
    request: async (event: string, payload: Record<string, unknown>) => {
      sent.push({ event, payload, at: performance.now() });
      switch (event) {
        case 'unit:request':
          await new Promise<void>((resolve) => held.add(resolve));
          return { ok: true, lease: null, leases: [], retryAfterMs: 60_000 };
        case 'unit:wait-cancel': {
          const cancelled = cancellable ? held.size : 0;
          if (cancellable) for (const resolve of held) resolve();
          if (cancellable) held.clear();
          return { ok: true, cancelled };
        }
        default:
          return { ok: true };
      }
    },
  };
  return {
    sent,
    connection: connection as unknown as UnitLoopDeps['connection'],
    count: (event: string) => sent.filter((s) => s.event === event).length,
    held: () => held.size,
  };
}

test('[L13] a request is held by the coordinator; a pause ends the hold, and no request follows until resume', async () => {
  const coordinator = holdingCoordinator();
  const controls = new ContributionControls();
  let waiting = false;
  const status = new StatusReporter((event) => {
    if (event.event === 'status') waiting = event.status.waitingForWork;
  });
  const loop = loopWith(coordinator as never, controls, status);
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  await until(() => coordinator.held() === 1);
  const asked = coordinator.sent.find((s) => s.event === 'unit:request')!;
  assert.equal(asked.payload.waitMs, REQUEST_HOLD_MS, 'the request asks to be held');
  // Held a while: the tab shows it is waiting for work, as an empty answer would.
  await until(() => waiting);
  controls.setUserPaused(true);
  await until(() => coordinator.count('unit:wait-cancel') === 1);
  await until(() => coordinator.held() === 0);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(coordinator.count('unit:request'), 1, 'nothing more asked for while paused');
  controls.setUserPaused(false);
  await until(() => coordinator.count('unit:request') === 2);
  stop.abort();
  assert.ok(await endsWithin(running), 'the loop ends at the stop');
});

test('[L13] stopping does not wait for a held request the coordinator never answers', async () => {
  const coordinator = holdingCoordinator(false);
  const loop = loopWith(coordinator as never, new ContributionControls());
  const stop = new AbortController();
  const running = loop.run(stop.signal);
  await until(() => coordinator.held() === 1);
  const started = Date.now();
  stop.abort();
  assert.ok(
    await endsWithin(running),
    'the loop still waits for the held request 5 s after the stop',
  );
  assert.ok(
    Date.now() - started < 1_000,
    `the loop ended ${Date.now() - started} ms after the stop`,
  );
});
