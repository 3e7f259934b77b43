// The results of a leased batch go back together (unit:results), against a scripted coordinator
// and the real pi reference: one event when the batch is done, what is done at once on pause and
// on stop (before the queued units are handed back), a refused item shown and not counted, and
// the oldest unsent result never held past the flush interval. A lone lease keeps unit:result.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { referenceWithBlocks } from '@tessera/shared/kinds/blockResults';
import { piEstimator } from '@tessera/shared/kinds/pi/piEstimator';

/** What a tab sends for a pi unit: the reference's totals with its blocks (SPEC R9). */
const runPiReference = (task: unknown) => referenceWithBlocks(piEstimator, task);
import type { Lease, ResultItemReply } from '@tessera/shared/protocol/volunteerProtocol';
import { ContributionControls } from '../../src/volunteer/contributionControls';
import { ResultBatch } from '../../src/volunteer/resultBatch';
import { StatusReporter } from '../../src/volunteer/statusReporter';
import { ThroughputMeter } from '../../src/volunteer/throughputMeter';
import { UnitLoop, type UnitLoopDeps } from '../../src/volunteer/unitLoop';
import { CoordinatorRefusedError } from '../../src/volunteer/volunteerErrors';
import type { VolunteerStatus } from '../../src/volunteer/workerMessages';

interface Sent {
  event: string;
  payload: Record<string, unknown>;
}

function leaseOf(replicaId: number): Lease {
  return {
    replicaId,
    workloadId: 'wl-00000001',
    workloadName: 'test pi',
    kind: 'montecarlo',
    estimator: 'pi',
    unitIndex: replicaId - 1,
    task: taskOf(replicaId),
    deadline: Date.now() + 60_000,
    leaseDurationMs: 60_000,
  };
}

const taskOf = (replicaId: number) => ({ seed: 5, start: replicaId * 4096, count: 4096 });

type ResultItem = { replicaId: number; result: unknown; elapsedMs: number };
const itemsOf = (s: Sent) => s.payload.results as ResultItem[];
const idsOf = (s: Sent) => itemsOf(s).map((r) => r.replicaId);

/**
 * Hands out `batches` (each one unit:request's leases), then stops the loop. `answer` decides
 * each unit:results item's reply; `onResults` and `onCurrent` are where a test pauses or stops.
 */
async function runBatches(
  batches: Lease[][],
  options: {
    answer?: (item: ResultItem) => ResultItemReply;
    refuseEvent?: boolean;
    onCurrent?: (replicaId: number, stop: AbortController, controls: ContributionControls) => void;
    onResults?: (sent: Sent[], stop: AbortController) => void;
    resultFlushMs?: number;
    /** How long the coordinator takes to answer a unit:results. */
    replyDelayMs?: number;
  } = {},
): Promise<{ sent: Sent[]; status: VolunteerStatus }> {
  const sent: Sent[] = [];
  const stop = new AbortController();
  const controls = new ContributionControls();
  const queue = [...batches];
  const status = new StatusReporter((event) => {
    const current = event.event === 'status' ? event.status.current : null;
    if (current && !stop.signal.aborted) options.onCurrent?.(current.unitIndex + 1, stop, controls);
  });
  const connection = {
    whenReady: async () => undefined,
    request: async (event: string, payload: Record<string, unknown>) => {
      sent.push({ event, payload });
      await new Promise((resolve) => setTimeout(resolve, 1));
      switch (event) {
        case 'unit:request': {
          const leases = queue.shift() ?? [];
          if (leases.length === 0) stop.abort();
          return { ok: true, lease: leases[0] ?? null, leases, retryAfterMs: 1 };
        }
        case 'unit:results': {
          options.onResults?.(sent, stop);
          await new Promise((resolve) => setTimeout(resolve, options.replyDelayMs ?? 0));
          if (options.refuseEvent) throw new CoordinatorRefusedError('RATE_LIMITED', 'slow down');
          const answer = options.answer ?? (() => ({ ok: true, verdict: 'pending' }) as const);
          return { ok: true, replies: (payload.results as ResultItem[]).map(answer) };
        }
        case 'unit:result':
          return { ok: true, verdict: 'pending' };
        default:
          return { ok: true };
      }
    },
  };
  const loop = new UnitLoop({
    connection: connection as unknown as UnitLoopDeps['connection'],
    backend: () => ({ kind: 'cpu' }),
    recoverFromDeviceLoss: async () => undefined,
    status,
    throughput: new ThroughputMeter(),
    controls,
    errorBackoffMs: 1,
    ...(options.resultFlushMs !== undefined ? { resultFlushMs: options.resultFlushMs } : {}),
  });
  await loop.run(stop.signal);
  return { sent, status: status.current };
}

const events = (sent: Sent[], name: string) => sent.filter((s) => s.event === name);

test('a batch of leases goes back in one unit:results, in lease order', async () => {
  const { sent, status } = await runBatches([[1, 2, 3].map(leaseOf)]);
  assert.equal(events(sent, 'unit:result').length, 0);
  const batches = events(sent, 'unit:results');
  assert.equal(batches.length, 1);
  assert.deepEqual(idsOf(batches[0]!), [1, 2, 3]);
  itemsOf(batches[0]!).forEach((item) => {
    assert.deepEqual(item.result, runPiReference(taskOf(item.replicaId)));
    assert.equal(typeof item.elapsedMs, 'number');
  });
  assert.equal(status.unitsCompleted, 3);
  assert.equal(status.workCompleted, 3 * 4096);
  assert.equal(status.unitsInFlight, 0);
});

test('a lone lease still goes back in unit:result', async () => {
  const { sent } = await runBatches([[leaseOf(1)], [leaseOf(2)]]);
  assert.equal(events(sent, 'unit:results').length, 0);
  assert.deepEqual(
    events(sent, 'unit:result').map((s) => s.payload.replicaId),
    [1, 2],
  );
});

test('a refused item is shown in words and not counted; the others are', async () => {
  const { status } = await runBatches([[1, 2, 3].map(leaseOf)], {
    answer: (item) =>
      item.replicaId === 2
        ? { ok: false, error: { code: 'LEASE_EXPIRED', message: 'the lease on this unit expired' } }
        : { ok: true, verdict: 'pending' },
  });
  assert.equal(status.unitsCompleted, 2);
  assert.equal(status.lastError?.message, 'the lease on this unit expired');
});

test('a refused event fails every result in it', async () => {
  const { status } = await runBatches([[1, 2].map(leaseOf)], { refuseEvent: true });
  assert.equal(status.unitsCompleted, 0);
  assert.equal(status.lastError?.message, 'slow down');
  assert.equal(status.unitsInFlight, 0);
});

test('Pause sends what is done at once; the rest of the batch follows when it is done', async () => {
  const { sent } = await runBatches([[1, 2, 3].map(leaseOf)], {
    onCurrent: (replicaId, _stop, controls) => {
      if (replicaId === 2) controls.setUserPaused(true);
    },
    // Paused, the loop asks for nothing more: end it once the whole batch is back.
    onResults: (sent, stop) => {
      const back = events(sent, 'unit:results').flatMap(idsOf);
      if (back.length === 3) stop.abort();
    },
  });
  assert.deepEqual(events(sent, 'unit:results').map(idsOf), [[1, 2], [3]]);
  assert.equal(events(sent, 'unit:request').length, 1, 'nothing more asked for while paused');
});

test('Stop sends what is done, then hands back the unit in hand and the queued ones', async () => {
  const { sent } = await runBatches([[1, 2, 3, 4].map(leaseOf)], {
    onCurrent: (replicaId, stop) => {
      if (replicaId === 3) stop.abort();
    },
  });
  const batches = events(sent, 'unit:results');
  assert.deepEqual(batches.map(idsOf), [[1, 2]]);
  const errors = events(sent, 'unit:error').map((s) => [
    s.payload.replicaId,
    (s.payload.error as { name: string }).name,
  ]);
  assert.deepEqual(errors, [
    [3, 'Stopped'],
    [4, 'Dropped'],
  ]);
  assert.ok(
    sent.indexOf(batches[0]!) < sent.findIndex((s) => s.payload.replicaId === 4),
    'the results go before the queued unit is handed back',
  );
});

test('a lease stays renewed until its result is answered', async () => {
  // Leases of 2 s are renewed every second; the coordinator takes 1.3 s to answer the batch.
  const short = (id: number) => ({ ...leaseOf(id), leaseDurationMs: 2_000 });
  const { sent } = await runBatches([[short(1), short(2)]], { replyDelayMs: 1_300 });
  const renewed = events(sent, 'unit:renew').map((s) => s.payload.replicaId);
  assert.deepEqual([...new Set(renewed)].sort(), [1, 2], 'both renewed while the answer was out');
  // Answered, the renewals stop: none comes in the next renewal interval.
  const count = sent.length;
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  assert.equal(sent.length, count, 'no renewal after the answer');
});

test('the oldest unsent result waits no longer than the flush interval', async () => {
  // The first unit finishes at once; the second is held up long past a 20 ms flush interval.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const sent: Array<{ ids: number[]; at: number }> = [];
  const batch = new ResultBatch(
    {
      request: async (_event: string, payload: object) => {
        const results = (payload as { results: ResultItem[] }).results;
        sent.push({ ids: results.map((r) => r.replicaId), at: performance.now() });
        return { ok: true, replies: results.map(() => ({ ok: true, verdict: 'pending' })) };
      },
    } as unknown as ConstructorParameters<typeof ResultBatch>[0],
    20,
  );
  const started = performance.now();
  const first = batch.add({ replicaId: 1, result: {}, elapsedMs: 1 });
  setTimeout(release, 200);
  await held;
  const second = batch.add({ replicaId: 2, result: {}, elapsedMs: 1 });
  await batch.drain();
  assert.deepEqual(await first, { ok: true, verdict: 'pending' });
  assert.deepEqual(await second, { ok: true, verdict: 'pending' });
  assert.deepEqual(
    sent.map((s) => s.ids),
    [[1], [2]],
  );
  assert.ok(sent[0]!.at - started < 150, `the first result waited ${sent[0]!.at - started} ms`);
});

test('a result batch never holds more than one event can carry', async () => {
  const sizes: number[] = [];
  const batch = new ResultBatch(
    {
      request: async (_event: string, payload: object) => {
        const results = (payload as { results: ResultItem[] }).results;
        sizes.push(results.length);
        return { ok: true, replies: results.map(() => ({ ok: true, verdict: 'pending' })) };
      },
    } as unknown as ConstructorParameters<typeof ResultBatch>[0],
    60_000,
  );
  const replies = Array.from({ length: 70 }, (_, i) =>
    batch.add({ replicaId: i + 1, result: {}, elapsedMs: 1 }),
  );
  await batch.drain();
  await Promise.all(replies);
  assert.deepEqual(sizes, [64, 6]);
});
