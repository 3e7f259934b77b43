// A dataset deleted while a workload naming it is submitted: one of the two is refused, never
// neither (a workload left training on a dataset that is gone). Both repositories: SQLite (its
// transactions never overlap; the dataset files sit beside the database) and PostgreSQL (row
// locks on the `datasets` row), PostgreSQL never skipped.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { submitWorkloadSchema, TesseraError } from '@tessera/shared';
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import { systemClock } from '../../src/clock';
import { Coordinator } from '../../src/coordinator';
import type { Repository } from '../../src/engine/repository';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';
import { schedulerOptionsSchema } from '../../src/scheduler/schedulerOptions';
import { dropSchema, openPg, testSchema } from '../support/postgres';
import { tempDir } from '../support/testCoordinator';

const FEATURES = 4;

function csvOf(rows: number, seed: number): string {
  const set = makeBlobs({ count: rows, inputSize: FEATURES, classes: 2, seed });
  const lines = [[...Array.from({ length: FEATURES }, (_, j) => `f${j}`), 'label'].join(',')];
  for (let n = 0; n < rows; n++) {
    const cells = Array.from({ length: FEATURES }, (_, j) =>
      String(set.features[n * FEATURES + j]),
    );
    lines.push([...cells, String(set.labels[n])].join(','));
  }
  return lines.join('\n') + '\n';
}

async function* chunks(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

function trainingOn(dataset: string) {
  return submitWorkloadSchema.parse({
    kind: 'gradient',
    spec: {
      model: 'softmax',
      dataset,
      optimizer: { name: 'sgd', lr: 0.1 },
      batchSize: 16,
      steps: 2,
      shards: 2,
      seed: 1,
    },
  });
}

/** Resolves when `release` is called; the promise a held step waits on. */
function gate(): { opened: Promise<void>; release(): void } {
  let release = () => {};
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { opened, release };
}

async function refusal(promise: Promise<unknown>): Promise<TesseraError> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TesseraError, String(error));
  return error;
}

function deletionRace(
  name: string,
  open: () => Promise<{ repository: Repository; dispose(): Promise<void> }>,
) {
  describe(`dataset deletion against submission: ${name}`, () => {
    let repository: Repository;
    let dispose: () => Promise<void>;
    let coordinator: Coordinator;
    before(async () => {
      ({ repository, dispose } = await open());
      coordinator = new Coordinator(repository, systemClock, schedulerOptionsSchema.parse({}));
    });
    after(async () => {
      await coordinator.close();
      await dispose();
    });

    const upload = async (seed: number) =>
      (
        await coordinator.datasets.upload({
          body: chunks(Buffer.from(csvOf(40, seed))),
          name: `blobs-${seed}.csv`,
          owner: null,
          now: Date.now(),
          format: 'csv',
        })
      ).meta.id;

    test('[G3] deleted while the submission was planned: the submission is refused, nothing names it', async () => {
      const id = await upload(1);
      // Planning reads the dataset's bytes; once read, hold them until the deletion is done.
      const held = gate();
      const reading = gate();
      const bytes = repository.datasets.bytes.bind(repository.datasets);
      repository.datasets.bytes = async (wanted: string) => {
        const read = await bytes(wanted);
        reading.release();
        await held.opened;
        return read;
      };
      try {
        const submitting = coordinator.submitWorkload(trainingOn(id));
        await reading.opened;
        // No workload names it yet: the deletion goes through.
        await coordinator.datasets.delete(id);
        held.release();
        const error = await refusal(submitting);
        assert.equal(error.code, 'CONFLICT');
        assert.match(error.message, /was deleted while this workload was being submitted/);
      } finally {
        repository.datasets.bytes = bytes;
      }
      assert.equal(await coordinator.datasets.find(id), null);
      const views = await repository.transaction(Date.now(), (tx) => tx.workloadViews());
      assert.deepEqual(
        views.filter((w) => (w.spec as { dataset?: string }).dataset === id),
        [],
        'no workload names the deleted dataset',
      );
    });

    test('[G3] a deletion waits for a submission holding the dataset, then sees its workload', async () => {
      const id = await upload(2);
      const planned = await coordinator.kinds.gradient.plan(trainingOn(id), 'wl-held', Date.now());
      const held = gate();
      const holding = gate();
      // A submission's transaction, held open between holding the dataset and its commit.
      const submitting = repository.transaction(Date.now(), async (tx) => {
        assert.equal(await tx.holdDataset(id, 'use'), true);
        holding.release();
        await held.opened;
        await tx.insertWorkload({
          id: 'wl-held',
          name: planned.name,
          kind: 'gradient',
          estimator: planned.estimator,
          spec: planned.spec,
          redundancy: trainingOn(id).redundancy,
          status: 'queued',
          unitsTotal: planned.unitsTotal,
          unitsValidated: 0,
          unitsFailed: 0,
          aggregate: planned.aggregate,
          failureReason: null,
          owner: null,
          priority: 0,
          createdAt: Date.now(),
        });
      });
      await holding.opened;
      const deleting = coordinator.datasets.delete(id);
      // Long enough for a deletion that does not wait to finish first (and so fail this test).
      await new Promise((resolve) => setTimeout(resolve, 300));
      held.release();
      await submitting;
      const error = await refusal(deleting);
      assert.equal(error.code, 'CONFLICT');
      assert.match(error.message, /used by workload wl-held/);
      assert.notEqual(await coordinator.datasets.find(id), null, 'the dataset is kept');
      await coordinator.cancelWorkload('wl-held');
      await coordinator.datasets.delete(id);
      assert.equal(await coordinator.datasets.find(id), null);
    });

    test('deleting a dataset that is not there is not found', async () => {
      const error = await refusal(coordinator.datasets.delete(`ds-${'0'.repeat(24)}`));
      assert.equal(error.code, 'NOT_FOUND');
    });
  });
}

deletionRace('SQLite', async () => {
  const dir = tempDir();
  const repository = new SqliteRepository(join(dir, 'tessera.sqlite'));
  return {
    repository,
    async dispose() {
      await repository.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

deletionRace('PostgreSQL', async () => {
  const schema = testSchema('dsdelete');
  const repository = await openPg(schema);
  return {
    repository,
    async dispose() {
      await repository.close();
      await dropSchema(schema);
    },
  };
});
