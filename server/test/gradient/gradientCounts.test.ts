// The dashboard's platform figures count gradient work: validated gradient units in the recent
// throughput, gradient replicas among the replica states.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTestCoordinator } from '../support/testCoordinator';
import { crewOf, runToEnd, submitGradient } from './gradientSupport';

const SPEC = {
  model: 'softmax',
  dataset: 'blobs',
  blobs: { train: 600, test: 200, inputSize: 8, classes: 3, seed: 5 },
  optimizer: { name: 'adam', lr: 0.05 },
  batchSize: 60,
  shards: 3,
  seed: 41,
};

describe('platform counts with gradient work', () => {
  test('validated gradient units show in the dashboard counts (recent units, replica states)', async () => {
    const c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 5_000, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
    try {
      const id = await submitGradient(c.url, { ...SPEC, steps: 4 });
      const view = await runToEnd(c.url, id, await crewOf(c.url, ['honest', 'honest']));
      assert.equal(view.status, 'completed', view.failureReason);
      const counts = await c.server.coordinator.reads.counts(60_000);
      assert.equal(counts.recent.units, 4 * SPEC.shards, 'every validated unit of the run');
      assert.ok(counts.replicasByState.valid >= 4 * SPEC.shards);
      assert.equal(counts.unitsValidated, 4 * SPEC.shards);
    } finally {
      await c.cleanup();
    }
  });
});
