// The typed API client (shared/src/api) against a real coordinator on port 0 with simulated
// volunteers computing: every call, every refusal as an ApiError with the server's code and
// field details, and the failures that come without a Tessera answer, in words.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  ApiError,
  DEFAULT_REDUNDANCY,
  TesseraClient,
  isAuthRefusal,
  waitForWorkload,
  type WorkloadView,
} from '@tessera/shared';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import { TEST_TOKEN, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';

const PI_SPEC = { estimator: 'pi', samples: 400_000, seed: 11, samplesPerUnit: 65_536 } as const;

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

function listenOn(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

describe('TesseraClient against a real coordinator', () => {
  let c: TestCoordinator;
  let client: TesseraClient;
  before(async () => {
    c = await startTestCoordinator({ scheduler: { retryAfterMs: 20 } });
    client = new TesseraClient({ baseUrl: `${c.url}/`, token: TEST_TOKEN });
  });
  after(() => c.cleanup());

  test('submit, list and get describe the same queued workload', async () => {
    const created = await client.submit({ kind: 'montecarlo', name: 'client pi', spec: PI_SPEC });
    assert.equal(created.status, 'queued');
    assert.equal(created.name, 'client pi');
    assert.equal(created.progress.unitsTotal, Math.ceil(400_000 / 65_536));
    assert.deepEqual(created.redundancy, DEFAULT_REDUNDANCY);
    assert.deepEqual(await client.get(created.id), created);
    assert.ok((await client.list()).some((w) => w.id === created.id));
    assert.equal(client.workloadPageUrl(created.id), `${c.url}/workloads/${created.id}`);
  });

  test('a workload computed by volunteers is followed to the end and its result read', async () => {
    const created = await client.submit({ kind: 'montecarlo', spec: PI_SPEC });
    const notReady = await rejection(client.result(created.id));
    assert.equal(notReady.code, 'NOT_READY');
    assert.equal(notReady.status, 409);

    const crew = [0, 1].map((i) => new SimulatedVolunteer({ url: c.url, displayName: `v${i}` }));
    await Promise.all(crew.map((v) => v.connect()));
    const running = crew.map((v) => v.run());
    const seen: WorkloadView[] = [];
    try {
      const final = await waitForWorkload(client, created.id, {
        intervalMs: 50,
        onProgress: (view) => seen.push(view),
      });
      assert.equal(final.status, 'completed');
      assert.equal(final.progress.unitsValidated, final.progress.unitsTotal);
    } finally {
      crew.forEach((v) => v.close());
      await Promise.all(running);
    }
    assert.ok(seen.length >= 1);
    assert.equal(seen.at(-1)!.status, 'completed');
    const result = await client.result(created.id);
    assert.equal(result.final, true);
    assert.equal(result.unitsValidated, result.unitsTotal);
    const estimate = result.estimate as number;
    const stderr = result.stderr as number;
    assert.ok(Math.abs(estimate - Math.PI) < 5 * stderr, `${estimate} ± ${stderr}`);
    assert.equal(result.samples, 400_000);

    const stats = await client.stats();
    assert.ok(stats.unitsValidated >= result.unitsTotal);
    assert.ok(stats.workloads.completed >= 1);
  });

  test('cancel ends a queued workload; cancelling it again is a CONFLICT', async () => {
    const created = await client.submit({ kind: 'montecarlo', spec: PI_SPEC });
    const cancelled = await client.cancel(created.id);
    assert.equal(cancelled.status, 'cancelled');
    const again = await rejection(client.cancel(created.id));
    assert.equal(again.code, 'CONFLICT');
    assert.match(again.message, /already cancelled/);
  });

  test('an unknown id is NOT_FOUND', async () => {
    const missing = await rejection(client.get('no-such-id'));
    assert.equal(missing.code, 'NOT_FOUND');
    assert.equal(missing.status, 404);
  });

  test('a bad spec comes back as INVALID_SPEC with the offending fields named', async () => {
    const error = await rejection(
      client.submit({
        kind: 'montecarlo',
        spec: { estimator: 'pi', samples: -5, seed: 1.5 },
      }),
    );
    assert.equal(error.code, 'INVALID_SPEC');
    assert.equal(error.status, 400);
    const paths = error.fieldErrors.map((f) => f.path).sort();
    assert.deepEqual(paths, ['spec.samples', 'spec.seed']);
    assert.match(error.fieldErrors.find((f) => f.path === 'spec.seed')!.message, /integer/);
  });

  test('a missing or wrong token is UNAUTHORIZED, and reads need none', async () => {
    for (const token of [undefined, 'wrong-token']) {
      const anonymous = new TesseraClient({ baseUrl: c.url, token });
      const error = await rejection(anonymous.submit({ kind: 'montecarlo', spec: PI_SPEC }));
      assert.equal(error.code, 'UNAUTHORIZED');
      assert.equal(isAuthRefusal(error), true);
      assert.ok(Array.isArray(await anonymous.list()));
    }
  });
});

describe('TesseraClient without a usable coordinator', () => {
  test('a closed port is UNREACHABLE, said in words', async () => {
    const c = await startTestCoordinator();
    await c.cleanup();
    const error = await rejection(new TesseraClient({ baseUrl: c.url }).list());
    assert.equal(error.code, 'UNREACHABLE');
    assert.equal(error.status, null);
    assert.equal(
      error.message,
      `cannot reach the coordinator at ${c.url}: connection refused (is the coordinator running?) (ECONNREFUSED)`,
    );
  });

  test('a port fetch refuses to open is UNREACHABLE, said in words', async () => {
    const error = await rejection(new TesseraClient({ baseUrl: 'http://127.0.0.1:1' }).list());
    assert.equal(error.code, 'UNREACHABLE');
    assert.match(error.message, /: fetch refuses to connect to this port: use another$/);
  });

  test('an unknown host is UNREACHABLE', async () => {
    const error = await rejection(
      new TesseraClient({ baseUrl: 'http://no-such-host.invalid:8080' }).list(),
    );
    assert.equal(error.code, 'UNREACHABLE');
    assert.match(error.message, /host name (not found|lookup failed)/);
  });

  test('a server that never answers times out as UNREACHABLE', async () => {
    const silent = createServer(() => undefined);
    const url = await listenOn(silent);
    try {
      const error = await rejection(new TesseraClient({ baseUrl: url, timeoutMs: 200 }).stats());
      assert.equal(error.code, 'UNREACHABLE');
      assert.match(error.message, /: no answer within 200 ms$/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  test('something that is not a coordinator is a BAD_RESPONSE', async () => {
    const other = createServer((req, res) => {
      if (req.url === '/api/stats') res.writeHead(200).end('<html>hello</html>');
      else if (req.url === '/api/workloads') res.writeHead(200).end('{"not":"a list"}');
      else res.writeHead(502).end('{"message":"bad gateway"}');
    });
    const url = await listenOn(other);
    try {
      const client = new TesseraClient({ baseUrl: url });
      const html = await rejection(client.stats());
      assert.equal(html.code, 'BAD_RESPONSE');
      assert.match(html.message, /not JSON: is http:\/\/127\.0\.0\.1:\d+ a Tessera coordinator\?/);
      const shape = await rejection(client.list());
      assert.equal(shape.code, 'BAD_RESPONSE');
      assert.match(shape.message, /unexpected shape/);
      const gateway = await rejection(client.get('x'));
      assert.equal(gateway.code, 'BAD_RESPONSE');
      assert.equal(gateway.status, 502);
      const bytes = await rejection(client.resultBytes('x'));
      assert.equal(bytes.code, 'BAD_RESPONSE');
      assert.match(bytes.message, /answered 502 without a Tessera error body/);
    } finally {
      other.close();
    }
  });
});
