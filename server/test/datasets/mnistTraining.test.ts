// Single-process training on the MNIST split with the TypeScript reference: the accuracy bar
// the distributed runs must also reach (softmax >= 0.88, mlp >= 0.92 on the 2,000 held-out
// digits), with both optimizers, in seconds on a 2-core machine. Settings (batch 100, so an
// epoch of the 8,000 training digits is 80 steps):
//   softmax + Adam lr 0.01, 2 epochs        softmax + SGD momentum 0.9 lr 0.1, 3 epochs
//   mlp H=64 + Adam lr 0.005, 3 epochs      mlp H=64 + SGD momentum 0.9 lr 0.05, 5 epochs
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelConfig } from '@tessera/shared/kinds/gradient/gradientModel';
import { evaluate } from '@tessera/shared/kinds/gradient/gradientReference';
import { trainLocally } from '@tessera/shared/kinds/gradient/localTrainer';
import type { OptimizerConfig } from '@tessera/shared/kinds/gradient/optimizer';
import { loadMnist, type MnistSplit } from '../../src/datasets/mnist';

const SOFTMAX: ModelConfig = { model: 'softmax', inputSize: 784, classes: 10 };
const MLP: ModelConfig = { model: 'mlp', inputSize: 784, hidden: [64], classes: 10 };
const BATCH = 100;
const EPOCH = 80;

interface Run {
  config: ModelConfig;
  optimizer: OptimizerConfig;
  steps: number;
  bar: number;
}

const RUNS: Run[] = [
  { config: SOFTMAX, optimizer: { name: 'adam', lr: 0.01 }, steps: 2 * EPOCH, bar: 0.88 },
  {
    config: SOFTMAX,
    optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 },
    steps: 3 * EPOCH,
    bar: 0.88,
  },
  { config: MLP, optimizer: { name: 'adam', lr: 0.005 }, steps: 3 * EPOCH, bar: 0.92 },
  { config: MLP, optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, steps: 5 * EPOCH, bar: 0.92 },
];

let mnist: MnistSplit;
before(async () => {
  mnist = await loadMnist();
});

describe('MNIST training in one process (TypeScript reference)', () => {
  for (const run of RUNS) {
    test(
      `${run.config.model} + ${run.optimizer.name} reaches ${run.bar} held-out accuracy`,
      { timeout: 120_000 },
      () => {
        const start = evaluate(
          run.config,
          trainLocally({ ...common(run), steps: 0 }).params,
          mnist.test,
        );
        const { params, stepLosses } = trainLocally(common(run));
        const end = evaluate(run.config, params, mnist.test);
        assert.ok(start.accuracy < 0.3, `untrained accuracy ${start.accuracy} (should be chance)`);
        assert.ok(end.accuracy >= run.bar, `held-out accuracy ${end.accuracy} < ${run.bar}`);
        assert.ok(end.loss < start.loss / 3, `held-out loss ${start.loss} -> ${end.loss}`);
        const firstEpoch = mean(stepLosses.slice(0, 10));
        const lastEpoch = mean(stepLosses.slice(-10));
        assert.ok(lastEpoch < firstEpoch / 2, `training loss ${firstEpoch} -> ${lastEpoch}`);
      },
    );
  }
});

function common(run: Run) {
  return {
    config: run.config,
    train: mnist.train,
    optimizer: run.optimizer,
    batchSize: BATCH,
    steps: run.steps,
    seed: 1,
  };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
