// The tab's gradient runner against a scripted origin (server/SPEC.md G1, G2): a data partition
// is downloaded once per tab, even by units asking for it at the same moment or by a unit that is
// dropped while it arrives; bytes that do not match their hash are refused and not kept; each
// unit computes the reference gradient of its slice of the partition; parameters that came with
// a lease (L14) are not downloaded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  partitionMembers,
  stepSlices,
  taskExamples,
  type PartitionLayout,
} from '@tessera/shared/kinds/gradient/dataPartitions';
import { gatherExamples } from '@tessera/shared/kinds/gradient/exampleSet';
import { computeGradient } from '@tessera/shared/kinds/gradient/gradientReference';
import { decodeGradientResult } from '@tessera/shared/kinds/gradient/gradientResultCodec';
import type { GradientTask } from '@tessera/shared/kinds/gradient/gradientSpec';
import { initParameters } from '@tessera/shared/kinds/gradient/parameterInit';
import { encodeShard, shardHash } from '@tessera/shared/kinds/gradient/shardCodec';
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import { GradientUnitRunner } from '../../src/volunteer/gradientUnit';

const CONFIG = { model: 'softmax', inputSize: 5, classes: 3 } as const;
const LAYOUT: PartitionLayout = { trainCount: 90, batchSize: 18, shards: 3, seed: 4 };
const train = makeBlobs({ count: 90, inputSize: 5, classes: 3, seed: 6 });
const partitions = partitionMembers(LAYOUT).map((m) => gatherExamples(train, m));
const params = initParameters(CONFIG, 1);

/** An origin serving the parameters and the partitions, counting requests per path. */
async function origin(corrupt = false) {
  const files = new Map<string, ArrayBuffer>([['/params', params.slice().buffer]]);
  const hashes: string[] = [];
  for (const partition of partitions) {
    const bytes = encodeShard(partition);
    const hash = await shardHash(bytes);
    hashes.push(hash);
    // One label changed in transit: well-formed bytes, but not the ones the hash names.
    const view = new DataView(bytes);
    if (corrupt) view.setUint8(bytes.byteLength - 4, view.getUint8(bytes.byteLength - 4) ^ 1);
    files.set(`/shards/${hash}`, bytes);
  }
  const requests = new Map<string, number>();
  const gates: Array<() => void> = [];
  let held = false;
  let paramsFail = false;
  const fetch = async (path: string) => {
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (held && path.startsWith('/shards/')) await new Promise<void>((r) => gates.push(r));
    if (path.startsWith('/params/')) {
      if (paramsFail) throw new Error(`GET ${path}: HTTP 503`);
      return files.get('/params')!.slice(0);
    }
    return files.get(path)!.slice(0);
  };
  return {
    fetch,
    hashes,
    requests,
    /** Parameter downloads fail (true) or work again (false). */
    failParams: (fail: boolean) => (paramsFail = fail),
    /** Holds partition downloads until release(). */
    hold: () => (held = true),
    release: () => {
      held = false;
      gates.splice(0).forEach((open) => open());
    },
  };
}

function taskFor(step: number, shard: number, hashes: string[]): GradientTask {
  const slice = stepSlices(LAYOUT, step)[shard]!;
  return {
    version: step,
    step,
    shard,
    modelConfig: CONFIG,
    parameterCount: params.length,
    paramsUrl: `/params/${step}`,
    partition: {
      url: `/shards/${hashes[shard]}`,
      hash: hashes[shard]!,
      count: partitions[shard]!.count,
    },
    examples: { seed: LAYOUT.seed, epoch: slice.epoch, offset: slice.offset },
    count: slice.count,
  };
}

describe('[G1][G2] gradient units in the tab', () => {
  test('[G1] a partition is downloaded once, also by lanes asking at the same moment', async () => {
    const o = await origin();
    const runner = new GradientUnitRunner(o.fetch);
    const signal = new AbortController().signal;
    const tasks = [taskFor(0, 1, o.hashes), taskFor(1, 1, o.hashes), taskFor(6, 1, o.hashes)];
    const first = await Promise.all(
      tasks.slice(0, 2).map((t) => runner.run({ kind: 'cpu' }, t, signal)),
    );
    const later = await runner.run({ kind: 'cpu' }, tasks[2]!, signal);
    assert.equal(o.requests.get(tasks[0]!.partition.url), 1);
    // Three steps, three parameter versions: each downloaded once.
    for (const t of tasks) assert.equal(o.requests.get(t.paramsUrl), 1);
    assert.equal(runner.cachedPartitions, 1);
    for (const [i, run] of [...first, later].entries()) {
      const expected = computeGradient(CONFIG, params, taskExamples(partitions[1]!, tasks[i]!));
      assert.deepEqual(decodeGradientResult(run.result), expected);
    }
  });

  test('the parameters of a version are downloaded once for all its units; a failed download is not kept', async () => {
    const o = await origin();
    const runner = new GradientUnitRunner(o.fetch);
    const signal = new AbortController().signal;
    o.failParams(true);
    await assert.rejects(runner.run({ kind: 'cpu' }, taskFor(0, 0, o.hashes), signal), /503/);
    o.failParams(false);
    const shards = [0, 1, 2].map((shard) => taskFor(0, shard, o.hashes));
    await Promise.all(shards.map((t) => runner.run({ kind: 'cpu' }, t, signal)));
    await runner.run({ kind: 'cpu' }, taskFor(0, 1, o.hashes), signal);
    assert.equal(o.requests.get('/params/0'), 2, 'the failed try, then one for all four units');
  });

  test('[L14] parameters that came with a lease are used without a download', async () => {
    const o = await origin();
    const runner = new GradientUnitRunner(o.fetch);
    const signal = new AbortController().signal;
    const task = taskFor(2, 0, o.hashes);
    // Other values than the origin serves: the run must compute with the offered ones.
    const offered = params.map((v, i) => v + (i % 3) * 0.01);
    runner.offerParameters(task.paramsUrl, offered.slice().buffer);
    const run = await runner.run({ kind: 'cpu' }, task, signal);
    assert.equal(o.requests.get(task.paramsUrl), undefined, 'no download of offered parameters');
    const expected = computeGradient(CONFIG, offered, taskExamples(partitions[0]!, task));
    assert.deepEqual(decodeGradientResult(run.result), expected);
    // A version nobody offered is still downloaded.
    await runner.run({ kind: 'cpu' }, taskFor(3, 0, o.hashes), signal);
    assert.equal(o.requests.get('/params/3'), 1);
  });

  test('[G1] a unit dropped while its partition arrives does not cancel the download', async () => {
    const o = await origin();
    const runner = new GradientUnitRunner(o.fetch);
    o.hold();
    const dropped = new AbortController();
    const running = runner.run({ kind: 'cpu' }, taskFor(0, 2, o.hashes), dropped.signal);
    dropped.abort(new Error('unit dropped'));
    await assert.rejects(running, /unit dropped/);
    o.release();
    const task = taskFor(1, 2, o.hashes);
    await runner.run({ kind: 'cpu' }, task, new AbortController().signal);
    assert.equal(o.requests.get(task.partition.url), 1);
  });

  test('[G1] bytes that do not match their hash are refused and not kept', async () => {
    const o = await origin(true);
    const runner = new GradientUnitRunner(o.fetch);
    const task = taskFor(0, 0, o.hashes);
    for (let attempt = 1; attempt <= 2; attempt++) {
      await assert.rejects(
        runner.run({ kind: 'cpu' }, task, new AbortController().signal),
        /arrived as/,
      );
      assert.equal(o.requests.get(task.partition.url), attempt);
    }
    assert.equal(runner.cachedPartitions, 0);
  });
});
