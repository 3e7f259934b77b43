// The API client's dataset calls against a fetch that records what it was asked and answers as
// the coordinator does: the file sent as it is (text/csv, or application/x-npy with its label
// query; a stream with duplex half; the token, no timeout of its own), 201 and 200 told apart,
// the listing and detail parsed, a 204 delete, and refusals as ApiErrors that keep their line
// and column.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError, TesseraClient } from '../../src';
import { parseNpyLabelColumn } from '../../src/api/datasetSchemas';

const ID = 'ds-0123456789abcdef01234567';
const INFO = {
  id: ID,
  name: 'clusters.csv',
  rows: 3,
  features: 2,
  classes: 2,
  labeled: true,
  bytes: 27,
  createdAt: 1,
};

interface Asked {
  url: string;
  init: RequestInit;
}

function fakeFetch(status: number, body: unknown): { fetch: typeof fetch; asked: Asked[] } {
  const asked: Asked[] = [];
  const fetchImpl = (async (url: string | URL | Request, init?: RequestInit) => {
    asked.push({ url: String(url), init: init ?? {} });
    const text = body === undefined ? null : JSON.stringify(body);
    return new Response(text, {
      status,
      headers: text === null ? {} : { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  return { fetch: fetchImpl, asked };
}

function client(fake: { fetch: typeof fetch }) {
  return new TesseraClient({
    baseUrl: 'http://coordinator:8080/',
    token: 't0k',
    fetch: fake.fetch,
  });
}

describe('the API client’s datasets', () => {
  test('an upload sends the CSV as it is, named, with the token and no timeout', async () => {
    const fake = fakeFetch(201, INFO);
    const csv = new Blob(['a,b,label\n1,2,0\n3,4,1\n5,6,1\n']);
    const answer = await client(fake).uploadDataset(csv, 'my data.csv');
    assert.deepEqual(answer, { dataset: INFO, created: true });
    const [{ url, init }] = fake.asked as [Asked];
    assert.equal(url, 'http://coordinator:8080/api/datasets?name=my%20data.csv');
    assert.equal(init.method, 'POST');
    assert.equal(init.body, csv);
    assert.deepEqual(init.headers, {
      accept: 'application/json',
      authorization: 'Bearer t0k',
      'content-type': 'text/csv',
    });
    // A large file takes as long as the connection needs.
    assert.equal(init.signal, undefined);
    const abort = new AbortController();
    await client(fake).uploadDataset('a\n1\n', 'x.csv', { signal: abort.signal });
    assert.equal(fake.asked[1]!.init.signal, abort.signal);
  });

  test('a stream body goes as it is, with duplex half (Node’s fetch needs it)', async () => {
    const fake = fakeFetch(201, INFO);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('a,label\n1,0\n'));
        controller.close();
      },
    });
    await client(fake).uploadDataset(body, 'streamed.csv');
    const [{ url, init }] = fake.asked as [Asked];
    assert.equal(url, 'http://coordinator:8080/api/datasets?name=streamed.csv');
    assert.equal(init.body, body);
    assert.equal((init as RequestInit & { duplex?: string }).duplex, 'half');
    assert.equal((init.headers as Record<string, string>)['content-type'], 'text/csv');
    assert.equal(init.signal, undefined);
    // A Blob or text needs no duplex: browsers' fetch takes them as they are.
    await client(fake).uploadDataset('a\n1\n', 'x.csv');
    assert.equal((fake.asked[1]!.init as { duplex?: string }).duplex, undefined);
  });

  test('an .npy goes as application/x-npy; labelLast adds label=last to the query', async () => {
    const fake = fakeFetch(201, INFO);
    const npy = new Blob([new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59])]);
    await client(fake).uploadDataset(npy, 'x.npy', { format: 'npy', labelLast: true });
    await client(fake).uploadDataset(npy, 'y.npy', { format: 'npy' });
    // A CSV names its label column; labelLast is for .npy only.
    await client(fake).uploadDataset('a,label\n1,0\n', 'z.csv', { labelLast: true });
    const [labeled, unlabeled, csv] = fake.asked as [Asked, Asked, Asked];
    assert.equal(labeled.url, 'http://coordinator:8080/api/datasets?name=x.npy&label=last');
    assert.equal(unlabeled.url, 'http://coordinator:8080/api/datasets?name=y.npy');
    assert.equal(csv.url, 'http://coordinator:8080/api/datasets?name=z.csv');
    const type = (asked: Asked) => (asked.init.headers as Record<string, string>)['content-type'];
    assert.equal(type(labeled), 'application/x-npy');
    assert.equal(type(unlabeled), 'application/x-npy');
    assert.equal(type(csv), 'text/csv');
    assert.equal(labeled.init.body, npy);
    // labelColumn names any column: first, last or a 0-based index.
    for (const [column, query] of [
      ['first', 'first'],
      [3, '3'],
      ['last', 'last'],
    ] as const) {
      await client(fake).uploadDataset(npy, 'w.npy', { format: 'npy', labelColumn: column });
      assert.equal(
        fake.asked[fake.asked.length - 1]!.url,
        `http://coordinator:8080/api/datasets?name=w.npy&label=${query}`,
      );
    }
  });

  test('the same content again answers 200: not created', async () => {
    const answer = await client(fakeFetch(200, INFO)).uploadDataset('a,label\n1,0\n', 'x.csv');
    assert.equal(answer.created, false);
  });

  test('a refused CSV is an ApiError that keeps its line and column', async () => {
    const refusal = {
      error: {
        code: 'BAD_REQUEST',
        message: 'invalid dataset: line 3, column 2: not a number: "oops"',
        details: [
          { path: 'line 3, column 2', message: 'not a number: "oops"', line: 3, column: 2 },
        ],
      },
    };
    await assert.rejects(client(fakeFetch(400, refusal)).uploadDataset('x', 'x.csv'), (error) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.code, 'BAD_REQUEST');
      assert.equal(error.status, 400);
      assert.deepEqual(error.fieldErrors, [
        { path: 'line 3, column 2', message: 'not a number: "oops"', line: 3, column: 2 },
      ]);
      return true;
    });
  });

  test('list, detail and delete; a delete in use is CONFLICT', async () => {
    const list = fakeFetch(200, { datasets: [INFO] });
    assert.deepEqual(await client(list).datasets(), [INFO]);
    assert.equal(list.asked[0]!.url, 'http://coordinator:8080/api/datasets');

    const detail = { ...INFO, columns: ['a', 'b'], mean: [0, 1], std: [1, 2] };
    assert.deepEqual(await client(fakeFetch(200, detail)).dataset(ID), detail);

    const removed = fakeFetch(204, undefined);
    assert.equal(await client(removed).deleteDataset(ID), undefined);
    assert.equal(removed.asked[0]!.init.method, 'DELETE');
    assert.equal(removed.asked[0]!.url, `http://coordinator:8080/api/datasets/${ID}`);

    const inUse = {
      error: {
        code: 'CONFLICT',
        message: `dataset ${ID} is used by workload abc; cancel or finish it first`,
        details: { workloads: ['abc'] },
      },
    };
    await assert.rejects(client(fakeFetch(409, inUse)).deleteDataset(ID), {
      name: 'ApiError',
      code: 'CONFLICT',
      message: `dataset ${ID} is used by workload abc; cancel or finish it first`,
    });
  });

  test('a listing of another shape is BAD_RESPONSE, not a crash later', async () => {
    await assert.rejects(client(fakeFetch(200, { datasets: [{ id: 'x' }] })).datasets(), {
      code: 'BAD_RESPONSE',
    });
  });

  test('an .npy label column as written: first, last or a 0-based index, nothing else', () => {
    assert.equal(parseNpyLabelColumn('first'), 'first');
    assert.equal(parseNpyLabelColumn('last'), 'last');
    assert.equal(parseNpyLabelColumn('0'), 0);
    assert.equal(parseNpyLabelColumn('12'), 12);
    for (const bad of ['', '-1', '1.5', '1e2', 'First', ' 1', '123456', 'middle']) {
      assert.equal(parseNpyLabelColumn(bad), null, JSON.stringify(bad));
    }
  });
});
