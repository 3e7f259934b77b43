// Units are sized to the device: a tab's measured throughput decides how many units one lease
// request hands it (seconds of work, not a count), and the answer does not change.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimatorFor } from '@tessera/shared';
import { unitsForSeconds } from '../../src/scheduler/throughputMeter';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import { api, startTestCoordinator, waitFor } from '../support/testCoordinator';

describe('device-sized leases', () => {
  test('[L6] batch size follows throughput: at least one unit, at most the cap', () => {
    assert.equal(unitsForSeconds(null, 1_000, 30, 16), 1, 'no record yet: one unit to measure by');
    assert.equal(unitsForSeconds(100, 1_000, 30, 16), 3, 'slow device: 3 units of 10 s');
    assert.equal(unitsForSeconds(1e6, 1_000, 30, 16), 16, 'fast device: capped');
    assert.equal(unitsForSeconds(1, 1_000, 30, 16), 1, 'slower than one unit per lease: still one');
  });

  test('[L6] a fast tab gets several units per request, later ones with later deadlines; same answer', async () => {
    const c = await startTestCoordinator({
      scheduler: { leaseWorkSeconds: 2, maxLeasesPerConnection: 8, retryAfterMs: 20 },
    });
    try {
      const spec = { estimator: 'pi', samples: 64 * 4096, seed: 8, samplesPerUnit: 4096 };
      const created = await api(c.url, 'POST', '/api/workloads', { kind: 'montecarlo', spec });
      const crew = [0, 1].map(
        () => new SimulatedVolunteer({ url: c.url, maxUnits: 8, idleMs: 20 }),
      );
      await Promise.all(crew.map((v) => v.connect()));
      const running = crew.map((v) => v.run());
      await waitFor(
        async () =>
          (await api(c.url, 'GET', `/api/workloads/${created.body.id}`)).body.status ===
          'completed',
        30_000,
        'completion',
      );
      crew.forEach((v) => v.close());
      await Promise.all(running);
      for (const v of crew) {
        assert.equal(v.batches[0], 1, 'the first request, before any measurement, gets one unit');
        assert.ok(Math.max(...v.batches) > 1, `later requests get batches: ${v.batches.join(',')}`);
        assert.ok(Math.max(...v.batches) <= 8);
      }
      const pi = estimatorFor('pi');
      const parsed = pi.specSchema.parse(spec);
      let aggregate = pi.emptyAggregate();
      for (let i = 0; i < pi.unitCount(parsed); i++)
        aggregate = pi.fold(aggregate, pi.runReference(pi.taskFor(parsed, i)));
      const result = (await api(c.url, 'GET', `/api/workloads/${created.body.id}/result`)).body;
      assert.equal(result.estimate, (pi.finalize(aggregate) as { estimate: number }).estimate);
    } finally {
      await c.cleanup();
    }
  });

  test('[L6] queued units of a batch get later deadlines', async () => {
    const c = await startTestCoordinator({
      scheduler: { leaseWorkSeconds: 10, maxLeasesPerConnection: 8 },
    });
    try {
      await api(c.url, 'POST', '/api/workloads', {
        kind: 'montecarlo',
        spec: { estimator: 'pi', samples: 40 * 4096, seed: 9, samplesPerUnit: 4096 },
      });
      const v = new SimulatedVolunteer({ url: c.url });
      await v.connect();
      // Teach the coordinator this tab's speed with one real result, then ask for a batch.
      const first = await v.call<{ lease: { replicaId: number; task: unknown } }>(
        'unit:request',
        {},
      );
      assert.ok(first.ok && first.lease);
      const result = estimatorFor('pi').runReference(first.lease.task);
      await v.call('unit:result', { replicaId: first.lease.replicaId, result, elapsedMs: 50 });
      const batch = await v.call<{ leases: Array<{ deadline: number; leaseDurationMs: number }> }>(
        'unit:request',
        { maxUnits: 4 },
      );
      assert.ok(batch.ok);
      assert.equal(batch.leases.length, 4, '4096 samples in 50 ms: many fit in 10 s, capped at 4');
      const deadlines = batch.leases.map((l) => l.deadline);
      deadlines
        .slice(1)
        .forEach((d, i) => assert.ok(d > deadlines[i]!, 'each queued unit gets more time'));
      const refused = await v.call('unit:request', { maxUnits: 65 });
      assert.equal(!refused.ok && refused.error.code, 'BAD_REQUEST');
      v.close();
    } finally {
      await c.cleanup();
    }
  });
});
