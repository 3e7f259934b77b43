// MNIST over the coordinator with Node volunteers: softmax + Adam reaches the single-process
// accuracy bar with every unit replicated (quorum 2), and the MLP reaches its bar (quorum 1,
// to keep the suite fast: replication is covered by the softmax run).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';
import type { GradientBehavior } from '../../src/sim/gradientVolunteer';
import { crewOf, runToEnd, submitGradient } from './gradientSupport';

// 8,000 training digits in batches of 200: 40 steps an epoch. In one process (the same batches)
// softmax + Adam lr 0.01 reaches 0.9045 after 2 epochs, and the 64-unit MLP with lr 0.01 0.932
// after 3 (seeds 7 and 99 give 0.9075 / 0.934 and 0.906 / 0.936): margins for float32 noise.
const SOFTMAX = {
  model: 'softmax',
  dataset: 'mnist',
  optimizer: { name: 'adam', lr: 0.01 },
  batchSize: 200,
  epochs: 2,
  seed: 20261127,
  evalEvery: 40,
};

async function train(
  c: TestCoordinator,
  spec: object,
  redundancy: object,
  behaviors: GradientBehavior[],
) {
  const started = performance.now();
  const id = await submitGradient(c.url, spec, redundancy);
  // A bound against a hang, not a speed test: a loaded 2-core machine takes about a minute.
  const view = await runToEnd(c.url, id, await crewOf(c.url, behaviors), 150_000);
  assert.equal(view.status, 'completed', view.failureReason);
  const result = await api(c.url, 'GET', `/api/workloads/${id}/result`);
  assert.equal(result.status, 200);
  const seconds = (performance.now() - started) / 1000;
  return { body: result.body, seconds };
}

describe('MNIST over the coordinator', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 10_000, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  test('softmax + Adam reaches 0.88 held-out accuracy (replicated, quorum 2)', async () => {
    const { body, seconds } = await train(c, { ...SOFTMAX, shards: 2 }, { quorum: 2 }, [
      'honest',
      'honest',
      'honest',
      'honest',
    ]);
    console.log(
      `# mnist softmax: ${body.steps.length} steps in ${seconds.toFixed(1)} s, accuracy ${body.accuracy}`,
    );
    assert.equal(body.steps.length, 80);
    assert.ok(body.accuracy >= 0.88, `held-out accuracy ${body.accuracy}`);
    assert.ok(body.steps[79].loss < body.steps[0].loss / 3, 'the training loss falls');
  });

  test('mlp (64 hidden) + Adam reaches 0.92 held-out accuracy', async () => {
    const spec = { ...SOFTMAX, model: 'mlp', hidden: 64 };
    const { body, seconds } = await train(
      c,
      { ...spec, epochs: 3, shards: 4, evalEvery: 40 },
      { quorum: 1 },
      ['honest', 'honest', 'honest', 'honest'],
    );
    console.log(
      `# mnist mlp: ${body.steps.length} steps in ${seconds.toFixed(1)} s, accuracy ${body.accuracy}`,
    );
    assert.equal(body.steps.length, 120);
    assert.ok(body.accuracy >= 0.92, `held-out accuracy ${body.accuracy}`);
  });
});
