// The browser volunteer runtime's unit loop (client/src/volunteer/unitLoop.ts, CPU backend)
// trains a gradient workload over a real coordinator: it leases gradient units over socket.io,
// downloads parameters and shards over HTTP (each shard once, by hash), returns binary results,
// and the final parameters equal single-process training with the same batches.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sliceExamples } from '@tessera/shared/kinds/gradient/exampleSet';
import { trainLocally } from '@tessera/shared/kinds/gradient/localTrainer';
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import { browserLoop } from '../support/browserLoop';
import {
  api,
  startTestCoordinator,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';
import { finalParams, relativeL2, submitGradient } from './gradientSupport';

const BLOBS = { train: 400, test: 100, inputSize: 5, classes: 4, seed: 12 };

describe('the browser runtime on gradient units', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 5_000, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  test('two CPU loops train softmax on blobs to the single-process parameters', async () => {
    const spec = {
      model: 'softmax',
      dataset: 'blobs',
      blobs: BLOBS,
      optimizer: { name: 'adam', lr: 0.05 },
      batchSize: 80,
      steps: 8,
      shards: 2,
      seed: 31,
    };
    const id = await submitGradient(c.url, spec);
    const tabs = [await browserLoop(c.url), await browserLoop(c.url)];
    const stop = new AbortController();
    const running = tabs.map((t) => t.loop.run(stop.signal));
    try {
      await waitFor(
        async () => {
          const res = await api(c.url, 'GET', `/api/workloads/${id}`);
          return ['completed', 'failed'].includes(res.body.status) ? res.body : null;
        },
        30_000,
        'the workload to finish',
      ).then((view) => assert.equal(view.status, 'completed', view.failureReason));
    } finally {
      stop.abort();
      await Promise.all(running);
      tabs.forEach((t) => t.socket.close());
    }
    const { params } = await finalParams(c.url, id);
    const all = makeBlobs({ count: 500, inputSize: 5, classes: 4, seed: 12 });
    const local = trainLocally({
      config: { model: 'softmax', inputSize: 5, classes: 4 },
      train: sliceExamples(all, 0, 400),
      optimizer: { name: 'adam', lr: 0.05 },
      batchSize: 80,
      steps: 8,
      seed: 31,
      shards: 2,
    });
    assert.ok(relativeL2(params, local.params) <= 1e-4);
    for (const tab of tabs) {
      const shards = tab.fetched.filter((p) => p.startsWith('/api/shards/'));
      assert.ok(shards.length > 0, 'the tab computed units');
      // Content-addressed shards are cached by hash: no tab downloads one twice.
      assert.equal(new Set(shards).size, shards.length, 'a shard is downloaded once per tab');
    }
  });
});
