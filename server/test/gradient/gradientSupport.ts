// Shared steps of the gradient workload tests: submit a spec, run a crew of Node volunteers
// until the workload ends, read the final parameters as bytes.
import assert from 'node:assert/strict';
import { sliceExamples } from '@tessera/shared/kinds/gradient/exampleSet';
import type { ModelConfig } from '@tessera/shared/kinds/gradient/gradientModel';
import {
  trainLocally,
  type LocalTrainingResult,
} from '@tessera/shared/kinds/gradient/localTrainer';
import type { OptimizerConfig } from '@tessera/shared/kinds/gradient/optimizer';
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import { GradientVolunteer, type GradientBehavior } from '../../src/sim/gradientVolunteer';
import { api, waitFor } from '../support/testCoordinator';

/**
 * A small MLP on synthetic blobs that trains in seconds: the spec the restart and kill tests
 * share; each adds its own shards, steps and seed.
 */
export const SMALL_BLOBS_MLP = {
  model: 'mlp',
  hidden: 6,
  dataset: 'blobs',
  blobs: { train: 600, test: 200, inputSize: 8, classes: 3, seed: 5 },
  optimizer: { name: 'adam', lr: 0.05 },
  batchSize: 60,
} as const;

/** The smallest gradient spec there is: softmax on 64 blobs, 2 steps of 2 shards. */
export const TINY_BLOBS_SOFTMAX = {
  model: 'softmax',
  dataset: 'blobs',
  blobs: { train: 64, test: 16, inputSize: 4, classes: 3, seed: 1 },
  optimizer: { name: 'sgd', lr: 0.1 },
  batchSize: 16,
  steps: 2,
  shards: 2,
  seed: 7,
} as const;

/** SMALL_BLOBS_MLP's model, as trainBlobsLocally takes it. */
const SMALL_BLOBS_MODEL: ModelConfig = { model: 'mlp', inputSize: 8, hidden: [6], classes: 3 };

/**
 * A SMALL_BLOBS_MLP run that survived kills ended right: every step closed exactly once (as
 * `url` reports it) and its parameters are one process's within relative L2 1e-4. Returns the
 * relative L2.
 */
export async function assertSingleProcessAnswer(
  urls: readonly string[],
  id: string,
  spec: BlobsRun & { steps: number },
  kills: number,
): Promise<number> {
  for (const url of urls) {
    const result = (await api(url, 'GET', `/api/workloads/${id}/result`)).body;
    assert.deepEqual(
      result.steps.map((s: { step: number }) => s.step),
      Array.from({ length: spec.steps }, (_, i) => i),
      'every step closed exactly once',
    );
  }
  const local = trainBlobsLocally(spec, SMALL_BLOBS_MODEL);
  const { params } = await finalParams(urls[urls.length - 1]!, id);
  const err = relativeL2(params, local.params);
  assert.ok(err <= 1e-4, `relative L2 ${err} after ${kills} kills`);
  return err;
}

export async function submitGradient(
  url: string,
  spec: object,
  redundancy?: object,
): Promise<string> {
  const res = await api(url, 'POST', '/api/workloads', {
    kind: 'gradient',
    name: 'gradient test',
    spec,
    ...(redundancy ? { redundancy } : {}),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.kind, 'gradient');
  return res.body.id as string;
}

export async function crewOf(
  url: string,
  behaviors: GradientBehavior[],
): Promise<GradientVolunteer[]> {
  const crew = behaviors.map(
    (behavior, i) => new GradientVolunteer({ url, behavior, displayName: `${behavior}-${i}` }),
  );
  await Promise.all(crew.map((v) => v.connect()));
  return crew;
}

export async function runToEnd(
  url: string,
  id: string,
  crew: GradientVolunteer[],
  timeoutMs = 50_000,
) {
  const running = crew.map((v) => v.run().catch(() => undefined));
  try {
    return await waitFor(
      async () => {
        const res = await api(url, 'GET', `/api/workloads/${id}`);
        return ['completed', 'failed', 'cancelled'].includes(res.body.status) ? res.body : null;
      },
      timeoutMs,
      `gradient workload ${id} to finish`,
    );
  } finally {
    crew.forEach((v) => v.close());
    await Promise.all(running);
  }
}

export async function finalParams(
  url: string,
  id: string,
): Promise<{ params: Float32Array; response: Response }> {
  const response = await fetch(`${url}/api/workloads/${id}/result?format=bin`);
  assert.equal(response.status, 200);
  const params = new Float32Array(await response.clone().arrayBuffer());
  return { params, response };
}

export function relativeL2(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
}

/** The fields of a submitted blobs spec that one process needs to train the same run. */
export interface BlobsRun {
  blobs: { train: number; test: number; inputSize: number; classes: number; seed: number };
  optimizer: object;
  batchSize: number;
  steps: number;
  seed: number;
  shards: number;
}

/**
 * One process training `run` as the coordinator does (same data, batches, shards and order);
 * `versionOf` replays an asynchronous run's parameter versions (SPEC A3).
 */
export function trainBlobsLocally(
  run: BlobsRun,
  config: ModelConfig,
  versionOf?: (step: number, partition: number) => number,
): LocalTrainingResult {
  const { blobs } = run;
  const all = makeBlobs({
    count: blobs.train + blobs.test,
    inputSize: blobs.inputSize,
    classes: blobs.classes,
    seed: blobs.seed,
  });
  return trainLocally({
    config,
    train: sliceExamples(all, 0, blobs.train),
    optimizer: run.optimizer as OptimizerConfig,
    batchSize: run.batchSize,
    steps: run.steps,
    seed: run.seed,
    shards: run.shards,
    ...(versionOf ? { versionOf } : {}),
  });
}
