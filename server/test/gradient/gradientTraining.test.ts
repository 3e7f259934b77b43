// Gradient workloads over a real coordinator (SQLite, socket.io, HTTP) with Node volunteers:
// distributed training equals single-process training, the REST result and binary downloads,
// and stale results refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sliceExamples } from '@tessera/shared/kinds/gradient/exampleSet';
import { parameterCount } from '@tessera/shared/kinds/gradient/gradientModel';
import { trainLocally } from '@tessera/shared/kinds/gradient/localTrainer';
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';
import { crewOf, finalParams, relativeL2, runToEnd, submitGradient } from './gradientSupport';

const BLOBS = { train: 600, test: 200, inputSize: 8, classes: 3, seed: 5 };

function blobsTrain() {
  const all = makeBlobs({ count: BLOBS.train + BLOBS.test, inputSize: 8, classes: 3, seed: 5 });
  return sliceExamples(all, 0, BLOBS.train);
}

describe('gradient workloads over the coordinator', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator({
      scheduler: { leaseDurationMs: 5_000, sweepIntervalMs: 50, retryAfterMs: 20 },
    });
  });
  after(async () => {
    await c.cleanup();
  });

  const cases = [
    {
      name: 'softmax + adam, 3 shards',
      spec: { model: 'softmax', optimizer: { name: 'adam', lr: 0.05 }, shards: 3 },
      config: { model: 'softmax', inputSize: 8, classes: 3 } as const,
    },
    {
      name: 'mlp + sgd momentum, 4 shards',
      spec: {
        model: 'mlp',
        hidden: 6,
        optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 },
        shards: 4,
      },
      config: { model: 'mlp' as const, inputSize: 8, hidden: [6], classes: 3 },
    },
  ];
  for (const k of cases) {
    test(`${k.name}: the same parameters as one process with the same batches (rel L2 <= 1e-4)`, async () => {
      const spec = {
        ...k.spec,
        dataset: 'blobs',
        blobs: BLOBS,
        batchSize: 64,
        steps: 12,
        seed: 77,
      };
      const id = await submitGradient(c.url, spec);
      const view = await runToEnd(c.url, id, await crewOf(c.url, ['honest', 'honest', 'honest']));
      assert.equal(view.status, 'completed', view.failureReason);
      assert.equal(view.progress.unitsValidated, view.progress.unitsTotal);
      const { params } = await finalParams(c.url, id);
      const local = trainLocally({
        config: k.config,
        train: blobsTrain(),
        optimizer: k.spec.optimizer as never,
        batchSize: 64,
        steps: 12,
        seed: 77,
        shards: k.spec.shards,
      });
      const err = relativeL2(params, local.params);
      assert.ok(err <= 1e-4, `relative L2 ${err}`);
      // The progress numbers are the single-process ones: each step's mean training loss.
      const result = await api(c.url, 'GET', `/api/workloads/${id}/result`);
      assert.equal(result.status, 200);
      assert.deepEqual(
        result.body.steps.map((s: { step: number }) => s.step),
        Array.from({ length: 12 }, (_, i) => i),
      );
      for (const [i, s] of (result.body.steps as Array<{ loss: number }>).entries()) {
        assert.ok(
          Math.abs(s.loss - local.stepLosses[i]!) <= 1e-5 * local.stepLosses[i]!,
          `step ${i}`,
        );
      }
    });
  }

  test('REST: result summary, ?format=bin, immutable params and shards', async () => {
    const spec = {
      model: 'softmax',
      dataset: 'blobs',
      blobs: BLOBS,
      optimizer: { name: 'adam', lr: 0.05 },
      batchSize: 100,
      epochs: 2,
      shards: 2,
      seed: 3,
      evalEvery: 4,
    };
    const id = await submitGradient(c.url, spec);
    const [probe] = await crewOf(c.url, ['honest']);
    const lease = (await probe!.request())!;
    assert.equal(lease.kind, 'gradient');
    const task = lease.task as {
      paramsUrl: string;
      partition: { url: string };
      count: number;
      version: number;
    };
    assert.equal(task.version, 0);
    const params0 = await fetch(`${c.url}${task.paramsUrl}`);
    assert.equal(params0.status, 200);
    assert.equal(params0.headers.get('content-type'), 'application/octet-stream');
    assert.match(params0.headers.get('cache-control') ?? '', /immutable/);
    const p = parameterCount({ model: 'softmax', inputSize: 8, classes: 3 });
    assert.equal((await params0.arrayBuffer()).byteLength, 4 * p);
    const shard = await fetch(`${c.url}${task.partition.url}`);
    assert.equal(shard.status, 200);
    assert.match(shard.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${c.url}/api/shards/${'0'.repeat(64)}`)).status, 404);
    probe!.close();

    const view = await runToEnd(c.url, id, await crewOf(c.url, ['honest', 'honest']));
    assert.equal(view.status, 'completed', view.failureReason);
    const result = await api(c.url, 'GET', `/api/workloads/${id}/result`);
    assert.equal(result.status, 200);
    const body = result.body;
    // 600 examples in batches of 100: 6 steps an epoch, 12 in all.
    assert.equal(body.kind, 'gradient');
    assert.equal(body.final, true);
    assert.equal(body.stepsTotal, 12);
    assert.equal(body.version, 12);
    assert.equal(body.steps.length, 12);
    const evaluated = body.steps.filter((s: { accuracy?: number }) => s.accuracy !== undefined);
    assert.deepEqual(
      evaluated.map((s: { step: number }) => s.step),
      [3, 7, 11],
    );
    assert.equal(body.accuracy, body.steps[11].accuracy);
    assert.ok(body.accuracy > 0.8, `blobs accuracy ${body.accuracy}`);
    assert.ok(body.steps[11].loss < body.steps[0].loss, 'the loss falls');
    const { params, response } = await finalParams(c.url, id);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
    assert.equal(response.headers.get('x-tessera-version'), '12');
    assert.equal(params.length, p);
    // The old version is gone (its round closed); the final one is served.
    assert.equal((await fetch(`${c.url}/api/workloads/${id}/params/0`)).status, 404);
    assert.equal((await fetch(`${c.url}/api/workloads/${id}/params/12`)).status, 200);
  });

  test('a bad spec is refused with the field named', async () => {
    const res = await api(c.url, 'POST', '/api/workloads', {
      kind: 'gradient',
      spec: {
        model: 'mlp',
        dataset: 'blobs',
        optimizer: { name: 'adam', lr: 0.01 },
        batchSize: 10,
        steps: 5,
        shards: 2,
        seed: 1,
      },
    });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /hidden/);
    const both = await api(c.url, 'POST', '/api/workloads', {
      kind: 'gradient',
      spec: {
        model: 'softmax',
        dataset: 'mnist',
        optimizer: { name: 'rmsprop', lr: 0.01 },
        batchSize: 10,
        steps: 5,
        epochs: 1,
        shards: 2,
        seed: 1,
      },
    });
    assert.equal(both.status, 400);
    assert.match(JSON.stringify(both.body.error), /optimizer/);
  });
});
