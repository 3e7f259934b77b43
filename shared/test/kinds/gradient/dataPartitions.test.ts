// Resident data partitions (server/SPEC.md G1, G2): the training set is cut once into fixed
// partitions by the seed; every step takes a slice of each partition's epoch order; an epoch
// visits every example once in ceil(N / B) steps; the single-process trainer computes exactly
// these batches.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  partitionCount,
  partitionMembers,
  partitionSizes,
  partitionStepsPerEpoch,
  sliceIndices,
  stepExampleCount,
  stepSlices,
  taskExamples,
  type PartitionLayout,
} from '../../../src/kinds/gradient/dataPartitions';
import { gatherExamples } from '../../../src/kinds/gradient/exampleSet';
import { computeGradient } from '../../../src/kinds/gradient/gradientReference';
import type { GradientTask } from '../../../src/kinds/gradient/gradientSpec';
import { trainLocally } from '../../../src/kinds/gradient/localTrainer';
import { initParameters } from '../../../src/kinds/gradient/parameterInit';
import { makeBlobs } from '../../../src/kinds/gradient/syntheticBlobs';

const SMALL: PartitionLayout = { trainCount: 23, batchSize: 5, shards: 2, seed: 9 };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (values: Iterable<number>) => Array.from(values).sort((a, b) => a - b);

/** Training-set indices of a step's examples, in the order they are computed. */
function stepExamples(layout: PartitionLayout, step: number): number[] {
  const members = partitionMembers(layout);
  const sizes = partitionSizes(layout);
  return stepSlices(layout, step).flatMap((slice) =>
    Array.from(
      sliceIndices(sizes[slice.partition]!, layout.seed, slice),
      (i) => members[slice.partition]![i]!,
    ),
  );
}

describe('[G1] partitions', () => {
  test('[G1] are fixed by the seed (pinned) and hold every example exactly once', () => {
    // Pinned: a change here changes every workload's partitions and their hashes.
    assert.deepEqual(
      partitionMembers(SMALL).map((m) => Array.from(m)),
      [
        [0, 1, 2, 3, 5, 7, 10, 11, 12, 14, 19, 20, 22],
        [4, 6, 8, 9, 13, 15, 16, 17, 18, 21],
      ],
    );
    assert.deepEqual(
      partitionMembers(SMALL).map((m) => Array.from(m)),
      partitionMembers({ ...SMALL }).map((m) => Array.from(m)),
    );
    assert.notDeepEqual(
      partitionMembers({ ...SMALL, seed: 10 }).map((m) => Array.from(m)),
      partitionMembers(SMALL).map((m) => Array.from(m)),
    );
    const layout = { trainCount: 8000, batchSize: 100, shards: 7, seed: 2 ** 40 + 1 };
    const members = partitionMembers(layout);
    assert.equal(members.length, 7);
    assert.deepEqual(sorted(members.flatMap((m) => Array.from(m))), range(8000));
    assert.deepEqual(
      members.map((m) => m.length),
      partitionSizes(layout),
    );
  });

  test('[G1] one per shard, at most one per batch example; sizes in proportion to the batch shares', () => {
    assert.equal(partitionCount({ trainCount: 50, batchSize: 3, shards: 8, seed: 1 }), 3);
    assert.deepEqual(partitionSizes(SMALL), [13, 10]); // batch shares 3 and 2 of 5
    assert.deepEqual(
      partitionSizes({ trainCount: 8000, batchSize: 100, shards: 4, seed: 1 }),
      [2000, 2000, 2000, 2000],
    );
    assert.throws(() => partitionCount({ ...SMALL, batchSize: 24 }), /batchSize/);
    assert.throws(() => partitionCount({ ...SMALL, shards: 0 }), /shards/);
  });
});

describe('[G2] steps', () => {
  test('[G2] each epoch of ceil(N / B) steps visits every example once; only the last step is short', () => {
    for (const layout of [
      SMALL,
      { trainCount: 10, batchSize: 7, shards: 3, seed: 1 },
      { trainCount: 600, batchSize: 64, shards: 3, seed: 77 },
      { trainCount: 997, batchSize: 13, shards: 5, seed: 4 },
      { trainCount: 40, batchSize: 40, shards: 6, seed: 3 },
      { trainCount: 101, batchSize: 9, shards: 12, seed: 8 },
    ]) {
      const perEpoch = partitionStepsPerEpoch(layout);
      assert.equal(perEpoch, Math.ceil(layout.trainCount / layout.batchSize));
      for (const epoch of [0, 1]) {
        const steps = range(perEpoch).map((i) => epoch * perEpoch + i);
        const seen = steps.flatMap((s) => stepExamples(layout, s));
        assert.deepEqual(sorted(seen), range(layout.trainCount), JSON.stringify(layout));
        for (const s of steps.slice(0, -1)) {
          assert.equal(stepExampleCount(layout, s), layout.batchSize, `step ${s}`);
        }
      }
    }
  });

  test('[G2] a step is one slice per partition with examples left, pinned', () => {
    assert.deepEqual(stepSlices(SMALL, 1), [
      { partition: 0, epoch: 0, offset: 3, count: 3 },
      { partition: 1, epoch: 0, offset: 2, count: 2 },
    ]);
    assert.deepEqual(stepSlices(SMALL, 4), [
      { partition: 0, epoch: 0, offset: 12, count: 1 },
      { partition: 1, epoch: 0, offset: 8, count: 2 },
    ]);
    assert.deepEqual(stepSlices(SMALL, 5)[0], { partition: 0, epoch: 1, offset: 0, count: 3 });
    // 10 examples, batches of 7 in 3 shards (3 + 2 + 2) from partitions of 4, 3, 3: the last
    // step of an epoch takes the one example each has left.
    const odd = { trainCount: 10, batchSize: 7, shards: 3, seed: 1 };
    assert.deepEqual(
      stepSlices(odd, 1).map((s) => s.count),
      [1, 1, 1],
    );
    // Partitions that are used up sit the step out.
    const uneven = { trainCount: 101, batchSize: 9, shards: 12, seed: 8 };
    const last = stepSlices(uneven, partitionStepsPerEpoch(uneven) - 1);
    assert.ok(last.length < 9 && last.length > 0, `${last.length} units`);
  });

  test('[G2] the epoch order of a partition is pinned, and differs by epoch and partition', () => {
    const order = (partition: number, epoch: number, size: number) =>
      Array.from(sliceIndices(size, 9, { partition, epoch, offset: 0, count: size }));
    assert.deepEqual(order(0, 0, 13), [10, 0, 3, 8, 11, 7, 9, 4, 2, 6, 12, 1, 5]);
    assert.deepEqual(order(0, 1, 13), [12, 4, 2, 6, 3, 9, 1, 0, 7, 10, 11, 8, 5]);
    assert.deepEqual(order(1, 0, 10), [1, 8, 7, 3, 0, 9, 6, 4, 2, 5]);
    assert.deepEqual(
      Array.from(sliceIndices(13, 9, { partition: 0, epoch: 0, offset: 3, count: 3 })),
      [8, 11, 7],
    );
    assert.throws(
      () => sliceIndices(13, 9, { partition: 0, epoch: 0, offset: 12, count: 2 }),
      /outside/,
    );
  });
});

describe('[G2] a volunteer view of a task', () => {
  const train = makeBlobs({ count: 60, inputSize: 4, classes: 3, seed: 2 });
  const layout: PartitionLayout = { trainCount: 60, batchSize: 12, shards: 3, seed: 5 };
  const config = { model: 'softmax', inputSize: 4, classes: 3 } as const;
  const members = partitionMembers(layout);

  function taskFor(step: number, shard: number): GradientTask {
    const slice = stepSlices(layout, step)[shard]!;
    return {
      version: step,
      step,
      shard,
      modelConfig: config,
      parameterCount: 15,
      paramsUrl: '/p',
      partition: { url: '/s', hash: 'a'.repeat(64), count: members[shard]!.length },
      examples: { seed: layout.seed, epoch: slice.epoch, offset: slice.offset },
      count: slice.count,
    };
  }

  test('[G2] taskExamples picks the slice out of the partition the task names', () => {
    const task = taskFor(7, 2);
    const partition = gatherExamples(train, members[2]!);
    const got = taskExamples(partition, task);
    const expected = gatherExamples(
      train,
      Array.from(
        sliceIndices(members[2]!.length, 5, stepSlices(layout, 7)[2]!),
        (i) => members[2]![i]!,
      ),
    );
    assert.deepEqual(got, expected);
    assert.throws(
      () => taskExamples(gatherExamples(train, members[1]!.slice(1)), taskFor(7, 1)),
      /holds/,
    );
  });

  test('[G2] the single-process trainer computes exactly the units volunteers would', () => {
    const params: Float32Array[] = [initParameters(config, 5)];
    trainLocally({
      config,
      train,
      optimizer: { name: 'sgd', lr: 0.1 },
      batchSize: 12,
      steps: 7,
      seed: 5,
      shards: 3,
      initialParams: params[0]!,
      onStep: (step, results, after) => {
        const before = params.at(-1)!;
        params.push(after);
        assert.deepEqual(
          results,
          stepSlices(layout, step).map((_, shard) =>
            computeGradient(
              config,
              before,
              taskExamples(gatherExamples(train, members[shard]!), taskFor(step, shard)),
            ),
          ),
        );
      },
    });
    assert.equal(params.length, 8);
  });
});
