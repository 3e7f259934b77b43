// The gradient kind through the engine, over every repository: rounds close exactly once after
// the transaction that validated their last shard ([A4]), a forged gradient is arbitrated by the
// coordinator's own computation ([Q6][R6]), and the run ends with the parameters one process
// computes ([G2]).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_REDUNDANCY, submitWorkloadSchema, type Lease } from '@tessera/shared';
import { taskExamples } from '@tessera/shared/kinds/gradient/dataPartitions';
import { computeGradient } from '@tessera/shared/kinds/gradient/gradientReference';
import { encodeGradientResult } from '@tessera/shared/kinds/gradient/gradientResultCodec';
import { gradientTaskSchema } from '@tessera/shared/kinds/gradient/gradientSpec';
import { decodeShard } from '@tessera/shared/kinds/gradient/shardCodec';
import { paramsOf } from '../../src/kinds/gradient/gradientPlan';
import { relativeL2, trainBlobsLocally } from '../gradient/gradientSupport';
import { EngineDriver } from './engineDriver';
import type { StoreHarness } from './engineContract';

const T0 = 1_900_000_000_000;
const RUN = {
  blobs: { train: 240, test: 60, inputSize: 5, classes: 3, seed: 2 },
  optimizer: { name: 'sgd' as const, lr: 0.2 },
  batchSize: 40,
  steps: 4,
  shards: 2,
  seed: 7,
};
const CONFIG = { model: 'softmax' as const, inputSize: 5, classes: 3 };

export function engineGradient(name: string, harness: StoreHarness): void {
  describe(`Engine, gradient kind: ${name}`, () => {
    let driver: EngineDriver;
    before(async () => {
      driver = new EngineDriver(await harness.open(), { arbitration: true });
    });
    after(async () => {
      await driver.close();
      await harness.dispose();
    });

    test('[A4][Q6][R6][G2] rounds close once, a forged gradient is caught, the run equals one process', async () => {
      const engine = driver.engine(T0);
      const who = (id: string) => ({ volunteerId: id, connectionId: `c-${id}`, netGroup: null });
      for (const id of ['g-a', 'g-b', 'g-liar']) {
        await driver.createVolunteer({ id, secretHash: 'h', displayName: id, now: T0 });
      }
      const record = await engine.submitWorkload(
        submitWorkloadSchema.parse({
          kind: 'gradient',
          spec: { model: 'softmax', dataset: 'blobs', ...RUN },
          redundancy: DEFAULT_REDUNDANCY,
        }),
      );
      const compute = async (lease: Lease, forge = false) => {
        const task = gradientTaskSchema.parse(lease.task);
        const params = paramsOf(await engine.kinds.gradient.params(record.id, task.version));
        const set = decodeShard(await engine.kinds.gradient.shard(task.partition.hash));
        const result = computeGradient(task.modelConfig, params, taskExamples(set, task));
        const sum = forge ? result.gradSum.map((v) => v * -3) : result.gradSum;
        return new Uint8Array(encodeGradientResult({ ...result, gradSum: sum }));
      };
      let forged = 0;
      for (let step = 0; step < RUN.steps; step++) {
        for (let shard = 0; shard < RUN.shards; shard++) {
          const a = (await engine.leaseBatch(who('g-a')))[0]!;
          const other = step === 1 && shard === 0 ? 'g-liar' : 'g-b';
          const b = (await engine.leaseBatch(who(other)))[0]!;
          assert.equal(b.unitIndex, a.unitIndex, 'both replicas of the same shard');
          assert.equal(gradientTaskSchema.parse(a.task).step, step);
          await engine.submitResult('g-a', a.replicaId, await compute(a), 1);
          const reply = await engine.submitResult(
            other,
            b.replicaId,
            await compute(b, other === 'g-liar'),
            1,
          );
          if (other === 'g-liar') {
            forged += 1;
            assert.equal(reply.verdict, 'invalid', 'the forgery is arbitrated away at once');
          } else {
            assert.equal(reply.verdict, 'valid');
          }
          if (shard < RUN.shards - 1) {
            assert.equal(
              await driver.unitsUnsettled(record.id, step),
              RUN.shards - shard - 1,
              'the shards of the open round not validated yet',
            );
          }
        }
        assert.equal(await driver.unitsUnsettled(record.id, step), 0, 'a closed round');
        const view = (await engine.reads.workload(record.id))!;
        const state = view.aggregate as { version: number };
        assert.equal(state.version, step + 1, 'the round closed, once, with its last shard');
      }
      assert.equal(forged, 1);
      const done = (await engine.reads.workload(record.id))!;
      assert.equal(done.status, 'completed');
      const result = await engine.resultOf(done);
      assert.deepEqual(
        (result.steps as Array<{ step: number }>).map((s) => s.step),
        [0, 1, 2, 3],
      );
      const liar = (await driver.getVolunteer('g-liar'))!;
      assert.equal(liar.offenses, 1);
      assert.equal(liar.creditMicro, 0);
      const trained = await engine.kinds.gradient.currentParams(record.id);
      const local = trainBlobsLocally(RUN, CONFIG);
      assert.ok(relativeL2(paramsOf(trained.params), local.params) <= 1e-4);
    });
  });
}
