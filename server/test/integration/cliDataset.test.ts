// `tessera dataset upload|list|delete` with the real binary against a real coordinator on port
// 0: a small CSV streamed in and described back (rows, features, classes), the same content
// uploaded again answered with the same dataset, a malformed file refused with its line and
// column (exit 1, nothing stored), the table and the JSON of `dataset list`, and delete.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  TEST_TOKEN,
  api,
  startTestCoordinator,
  tempDir,
  type TestCoordinator,
} from '../support/testCoordinator';
import { npyBytes } from '../support/npyFile';
import { tesseraBinary } from '../support/tesseraBinary';

/** Two features and a label column: 6 rows, classes 0..2. */
const IRIS = [
  'sepal_length,petal_length,label',
  '5.1,1.4,0',
  '4.9,1.5,0',
  '7.0,4.7,1',
  '6.4,4.5,1',
  '6.3,6.0,2',
  '5.8,5.1,2',
].join('\n');

const tessera = tesseraBinary;

describe('tessera dataset', { timeout: 120_000 }, () => {
  let c: TestCoordinator;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    c = await startTestCoordinator();
    dir = tempDir('tessera-cli-dataset-');
    writeFileSync(join(dir, 'iris.csv'), `${IRIS}\n`);
    writeFileSync(join(dir, 'bad.csv'), 'a,b,label\n1,2,0\n3,x4,1\n');
    env = { TESSERA_URL: c.url, TESSERA_TOKEN: TEST_TOKEN };
  });
  after(async () => {
    await c.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('upload a CSV, list it, upload it again, delete it', async () => {
    const upload = await tessera(['dataset', 'upload', 'iris.csv'], env, dir);
    assert.equal(upload.code, 0, upload.stderr);
    const id = upload.stdout.trim();
    assert.match(id, /^ds-[0-9a-f]{24}$/);
    assert.match(
      upload.stderr,
      new RegExp(
        `^Uploaded iris\\.csv \\(\\d+ B\\) as dataset ${id} "iris\\.csv": 6 rows, 2 features, 3 classes; \\d+ B stored\\.\\n$`,
      ),
    );
    const stored = await api(c.url, 'GET', `/api/datasets/${id}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.body.rows, 6);

    const table = await tessera(['dataset', 'list'], env, dir);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID +NAME +ROWS +FEATURES +LABELS +SIZE +CREATED\n/);
    assert.equal(
      table.stderr,
      'Built in, named as "dataset" in a gradient spec: mnist (10,000 rows, 784 features, 10 classes), blobs (2,500 rows, 16 features, 4 classes).\n',
    );
    assert.match(
      table.stdout,
      new RegExp(`^${id} +iris\\.csv +6 +2 +3 classes +\\d+ B +\\d{4}-\\d\\d-\\d\\d \\d\\d:`, 'm'),
    );
    const json = await tessera(['dataset', 'list', '--json'], env, dir);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      JSON.parse(json.stdout),
      (await api(c.url, 'GET', '/api/datasets')).body.datasets,
    );

    const again = await tessera(
      ['dataset', 'upload', 'iris.csv', '--name', 'copy.csv', '--json'],
      env,
      dir,
    );
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).id, id);
    assert.match(again.stderr, new RegExp(`^Already uploaded: dataset ${id} "iris\\.csv"`));

    const removed = await tessera(['dataset', 'delete', id], env, dir);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `${id} deleted\n`);
    assert.equal((await api(c.url, 'GET', `/api/datasets/${id}`)).status, 404);
    const empty = await tessera(['dataset', 'list'], env, dir);
    assert.equal(empty.stdout, '');
    assert.match(
      empty.stderr,
      /^No datasets yet\..*\nBuilt in, named as "dataset" in a gradient spec: mnist /,
    );
  });

  test('a NumPy .npy file with --label-last (or its labels first, --label-column first) is the same dataset as the same numbers in a CSV', async () => {
    const rows = IRIS.split('\n')
      .slice(1)
      .map((line) => line.split(',').map(Number));
    writeFileSync(join(dir, 'iris.npy'), npyBytes(rows, '<f8'));
    const csv = await tessera(['dataset', 'upload', 'iris.csv'], env, dir);
    const npy = await tessera(['dataset', 'upload', 'iris.npy', '--label-last'], env, dir);
    assert.equal(npy.code, 0, npy.stderr);
    assert.equal(npy.stdout.trim(), csv.stdout.trim());
    const features = await tessera(['dataset', 'upload', 'iris.npy', '--json'], env, dir);
    assert.equal(features.code, 0, features.stderr);
    assert.deepEqual(
      { ...JSON.parse(features.stdout), id: 0, createdAt: 0, bytes: 0 },
      {
        id: 0,
        name: 'iris.npy',
        rows: 6,
        features: 3,
        classes: 0,
        labeled: false,
        bytes: 0,
        createdAt: 0,
      },
    );
    // Labels in the first column: --label-column first, or its index.
    writeFileSync(
      join(dir, 'first.npy'),
      npyBytes(
        rows.map((row) => [row[row.length - 1]!, ...row.slice(0, -1)]),
        '<f4',
      ),
    );
    for (const column of ['first', '0']) {
      const first = await tessera(
        ['dataset', 'upload', 'first.npy', '--label-column', column],
        env,
        dir,
      );
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout.trim(), csv.stdout.trim(), column);
    }
    for (const misuse of [
      ['dataset', 'upload', 'iris.csv', '--label-last'],
      ['dataset', 'upload', 'iris.csv', '--label-column', 'first'],
      ['dataset', 'upload', 'iris.npy', '--label-column', 'middle'],
      ['dataset', 'upload', 'iris.npy', '--label-column', 'last', '--label-last'],
    ]) {
      const run = await tessera(misuse, env, dir);
      assert.equal(run.code, 2, misuse.join(' '));
      assert.match(run.stderr, /label/, misuse.join(' '));
    }
  });

  test('a malformed CSV is refused with its line and column: exit 1, nothing stored', async () => {
    const before = (await api(c.url, 'GET', '/api/datasets')).body.datasets;
    const run = await tessera(['dataset', 'upload', 'bad.csv'], env, dir);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /^tessera: the coordinator refused bad\.csv: .*line 3, column 2: .+\n$/,
    );
    assert.equal(run.stdout, '');
    assert.deepEqual((await api(c.url, 'GET', '/api/datasets')).body.datasets, before);
  });

  test('without a token the upload is refused: exit 3', async () => {
    const run = await tessera(['dataset', 'upload', 'iris.csv'], { TESSERA_URL: c.url }, dir);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /\(UNAUTHORIZED\)\nNo token was given/);
  });
});
