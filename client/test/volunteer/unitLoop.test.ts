// The unit loop against a scripted coordinator: what it sends for a good unit, an unreadable
// one, one whose workload ends mid-unit, one interrupted by Stop, and a refused result. The
// CPU backend runs the real pi reference, so the result checked is the real one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceWithBlocks } from '@tessera/shared/kinds/blockResults';
import { piEstimator } from '@tessera/shared/kinds/pi/piEstimator';

/** What a tab sends for a pi unit: the reference's totals with its blocks (SPEC R9). */
const runPiReference = (task: unknown) => referenceWithBlocks(piEstimator, task);
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import { StatusReporter } from '../../src/volunteer/statusReporter';
import { ThroughputMeter } from '../../src/volunteer/throughputMeter';
import { UnitLoop, type UnitLoopDeps } from '../../src/volunteer/unitLoop';
import { CoordinatorRefusedError } from '../../src/volunteer/volunteerErrors';
import type { VolunteerStatus } from '../../src/volunteer/workerMessages';

interface Sent {
  event: string;
  payload: Record<string, unknown>;
}

function leaseOf(replicaId: number, task: unknown, estimator = 'pi'): Lease {
  return {
    replicaId,
    workloadId: 'wl-00000001',
    workloadName: 'test pi',
    kind: 'montecarlo',
    estimator,
    unitIndex: replicaId - 1,
    task,
    deadline: Date.now() + 60_000,
    leaseDurationMs: 60_000,
  };
}

/**
 * Hands out the given leases one per unit:request, then stops the loop. `onCurrent` runs when
 * the loop reports a unit in flight: the place to end a workload or press Stop mid-unit.
 */
async function runScript(
  leases: Lease[],
  options: {
    refuseResult?: boolean;
    onCurrent?: (loop: UnitLoop, stop: AbortController) => void;
  } = {},
): Promise<{ sent: Sent[]; status: VolunteerStatus }> {
  const sent: Sent[] = [];
  const stop = new AbortController();
  const queue = [...leases];
  let loop: UnitLoop | undefined;
  const status = new StatusReporter((event) => {
    if (event.event === 'status' && event.status.current && loop) {
      options.onCurrent?.(loop, stop);
    }
  });
  const connection = {
    whenReady: async () => undefined,
    request: async (event: string, payload: Record<string, unknown>) => {
      sent.push({ event, payload });
      switch (event) {
        case 'unit:request': {
          const lease = queue.shift() ?? null;
          if (!lease) stop.abort();
          return { ok: true, lease, retryAfterMs: 1 };
        }
        case 'unit:result':
          // The real connection turns { ok: false } into this throw.
          if (options.refuseResult) {
            throw new CoordinatorRefusedError('LEASE_EXPIRED', 'the lease expired');
          }
          return { ok: true, verdict: 'pending' };
        default:
          return { ok: true };
      }
    },
  };
  loop = new UnitLoop({
    connection: connection as unknown as UnitLoopDeps['connection'],
    backend: () => ({ kind: 'cpu' }),
    recoverFromDeviceLoss: async () => undefined,
    status,
    throughput: new ThroughputMeter(),
    errorBackoffMs: 1,
  });
  await loop.run(stop.signal);
  return { sent, status: status.current };
}

const task = { seed: 7, start: 4096, count: 2050 };

test('a leased unit is computed by the reference and its result returned', async () => {
  const { sent, status } = await runScript([leaseOf(1, task)]);
  const results = sent.filter((s) => s.event === 'unit:result');
  assert.equal(results.length, 1);
  assert.equal(results[0]?.payload.replicaId, 1);
  assert.deepEqual(results[0]?.payload.result, runPiReference(task));
  assert.equal(typeof results[0]?.payload.elapsedMs, 'number');
  assert.equal(status.unitsCompleted, 1);
  assert.equal(status.workCompleted, 2050);
  assert.ok((status.workPerSecond ?? 0) > 0);
});

test('a task the estimator cannot parse is reported as unit:error, not computed', async () => {
  const { sent, status } = await runScript([leaseOf(1, { seed: -1, start: 1, count: 0 })]);
  const errors = sent.filter((s) => s.event === 'unit:error');
  assert.equal(errors.length, 1);
  assert.deepEqual((errors[0]?.payload.error as { name: string }).name, 'UnreadableUnit');
  assert.equal(sent.filter((s) => s.event === 'unit:result').length, 0);
  assert.equal(status.unitsCompleted, 0);
  assert.ok(status.lastError);
});

test('an unknown estimator is reported as unit:error', async () => {
  const { sent } = await runScript([leaseOf(1, task, 'no-such-estimator')]);
  assert.equal(sent.filter((s) => s.event === 'unit:error').length, 1);
});

test('workload:ended for the unit in flight drops it silently', async () => {
  const { sent, status } = await runScript([leaseOf(1, task)], {
    onCurrent: (loop) => loop.workloadEnded('wl-00000001'),
  });
  assert.equal(sent.filter((s) => s.event === 'unit:result').length, 0);
  assert.equal(sent.filter((s) => s.event === 'unit:error').length, 0);
  assert.equal(status.unitsCompleted, 0);
});

test('workload:ended for another workload leaves the unit alone', async () => {
  const { sent } = await runScript([leaseOf(1, task)], {
    onCurrent: (loop) => loop.workloadEnded('wl-someone-else'),
  });
  assert.equal(sent.filter((s) => s.event === 'unit:result').length, 1);
});

test('Stop mid-unit tells the coordinator the unit is given up', async () => {
  const { sent } = await runScript([leaseOf(1, task), leaseOf(2, task)], {
    onCurrent: (_loop, stop) => stop.abort(),
  });
  const errors = sent.filter((s) => s.event === 'unit:error');
  assert.equal(errors.length, 1);
  assert.equal((errors[0]?.payload.error as { name: string }).name, 'Stopped');
  assert.equal(sent.filter((s) => s.event === 'unit:result').length, 0);
  assert.equal(sent.filter((s) => s.event === 'unit:request').length, 1);
});

test('a refused result is shown in words and not counted', async () => {
  const { status } = await runScript([leaseOf(1, task)], { refuseResult: true });
  assert.equal(status.unitsCompleted, 0);
  assert.equal(status.lastError?.message, 'the lease expired');
});

/**
 * A coordinator with no work at first that answers with a long retryAfterMs: the loop's next
 * request comes when `wake` says so, not after the minute, and a push that lands while a
 * request is still out is not lost.
 */
async function waitingLoop(wake: (loop: UnitLoop, request: number) => void) {
  const stop = new AbortController();
  let requests = 0;
  let loop: UnitLoop | undefined;
  const connection = {
    whenReady: async () => undefined,
    request: async (event: string) => {
      if (event !== 'unit:request') return { ok: true };
      requests += 1;
      if (requests === 3) stop.abort();
      wake(loop!, requests);
      return { ok: true, lease: null, leases: [], retryAfterMs: 60_000 };
    },
  };
  loop = new UnitLoop({
    connection: connection as unknown as UnitLoopDeps['connection'],
    backend: () => ({ kind: 'cpu' }),
    recoverFromDeviceLoss: async () => undefined,
    status: new StatusReporter(() => undefined),
    throughput: new ThroughputMeter(),
  });
  const started = performance.now();
  await loop.run(stop.signal);
  return { requests, ms: performance.now() - started };
}

test('[L10] work:available ends the wait for work at once', async () => {
  const { requests, ms } = await waitingLoop((loop) => {
    setTimeout(() => loop.workAvailable(), 20);
  });
  assert.equal(requests, 3);
  assert.ok(ms < 30_000, `waited ${ms} ms: the push did not wake the loop`);
});

test('[L10] a work:available that arrives while the request is out is not lost', async () => {
  // The push lands before the empty reply is read: the loop must ask again without sleeping.
  const { requests, ms } = await waitingLoop((loop) => loop.workAvailable());
  assert.equal(requests, 3);
  assert.ok(ms < 30_000, `waited ${ms} ms: the early push was lost`);
});
