// One contract for where datasets live: files in the data folder (embedded coordinator) and the
// `datasets` table (PostgreSQL, shared by a cluster). Both run here, PostgreSQL never skipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { contentOf, datasetIdOf, encodeDataset } from '../../src/datasets/datasetCodec';
import { parseCsvDataset } from '../../src/datasets/csvDataset';
import {
  FileDatasetStore,
  type DatasetStore,
  type StoredDataset,
} from '../../src/datasets/datasetStore';
import type { PgRepository } from '../../src/repository/postgres/pgRepository';
import { dropSchema, openPg, testSchema } from '../support/postgres';
import { tempDir } from '../support/testCoordinator';

function dataset(text: string, name: string, createdAt: number) {
  const csv = parseCsvDataset(text);
  const bytes = encodeDataset(contentOf(csv));
  const meta: StoredDataset = {
    id: datasetIdOf(bytes),
    name,
    rows: csv.rows,
    features: csv.columns.length,
    classes: csv.classes,
    labeled: csv.labels !== null,
    bytes: bytes.byteLength,
    createdAt,
    columns: csv.columns,
    mean: [0],
    std: [1],
    owner: null,
  };
  return { meta, bytes };
}

function contract(
  name: string,
  open: () => Promise<{ store: DatasetStore; close(): Promise<void> }>,
) {
  describe(`dataset store: ${name}`, () => {
    let store: DatasetStore;
    let close: () => Promise<void>;
    before(async () => ({ store, close } = await open()));
    after(() => close());

    test('put, read, list oldest first, put again finds the first, delete', async () => {
      const a = dataset('x,label\n1,0\n2,1\n', 'a.csv', 2_000);
      const b = dataset('x\n5\n', 'b.csv', 1_000);
      assert.equal(await store.meta(a.meta.id), null);
      assert.deepEqual(await store.put(a.meta, a.bytes), { meta: a.meta, created: true });
      assert.equal((await store.put(b.meta, b.bytes)).created, true);
      const again = await store.put({ ...a.meta, name: 'renamed.csv', createdAt: 3_000 }, a.bytes);
      assert.equal(again.created, false);
      assert.equal(again.meta.name, 'a.csv');
      assert.deepEqual(await store.meta(a.meta.id), a.meta);
      assert.deepEqual(Array.from((await store.bytes(a.meta.id))!), Array.from(a.bytes));
      assert.deepEqual(
        (await store.list()).map((m) => m.name),
        ['b.csv', 'a.csv'],
      );
      assert.equal(await store.delete(a.meta.id), true);
      assert.equal(await store.delete(a.meta.id), false);
      assert.equal(await store.meta(a.meta.id), null);
      assert.equal(await store.bytes(a.meta.id), null);
      assert.deepEqual(
        (await store.list()).map((m) => m.id),
        [b.meta.id],
      );
    });

    test('the same content stored twice at once: one dataset, both answered', async () => {
      const a = dataset('y,label\n1,0\n2,1\n3,1\n', 'twice.csv', 4_000);
      const both = await Promise.all([store.put(a.meta, a.bytes), store.put(a.meta, a.bytes)]);
      for (const answer of both) assert.equal(answer.meta.id, a.meta.id);
      assert.deepEqual(Array.from((await store.bytes(a.meta.id))!), Array.from(a.bytes));
      assert.equal((await store.list()).filter((m) => m.id === a.meta.id).length, 1);
    });

    test('unknown and malformed ids are simply absent', async () => {
      assert.equal(await store.meta('ds-000000000000000000000000'), null);
      assert.equal(await store.meta('../../etc/passwd'), null);
      assert.equal(await store.bytes('nope'), null);
    });
  });
}

contract('files in the data folder', async () => {
  const dir = tempDir();
  return {
    store: new FileDatasetStore(join(dir, 'datasets')),
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

contract('PostgreSQL', async () => {
  const schema = testSchema('datasets');
  const repository: PgRepository = await openPg(schema);
  return {
    store: repository.datasets,
    close: async () => {
      await repository.close();
      await dropSchema(schema);
    },
  };
});
