// The REST contract of DESIGN.md section 3, including every way a request can be wrong.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';

const piSpec = { estimator: 'pi', samples: 10_000, seed: 1, samplesPerUnit: 4096 };

describe('REST API', () => {
  let c: TestCoordinator;
  before(async () => {
    c = await startTestCoordinator();
  });
  after(async () => {
    await c.cleanup();
  });

  test('submit, read, list and cancel a workload', async () => {
    const created = await api(c.url, 'POST', '/api/workloads', {
      kind: 'montecarlo',
      name: 'rest',
      spec: { estimator: 'pi', samples: 10_000, seed: 1 },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, 'queued');
    assert.equal(created.body.name, 'rest');
    assert.deepEqual(created.body.progress, {
      unitsTotal: 1,
      unitsValidated: 0,
      unitsInFlight: 0,
      unitsFailed: 0,
      fraction: 0,
    });
    assert.equal(created.body.spec.samplesPerUnit, 2 ** 24, 'defaults are filled in and shown');
    assert.deepEqual(created.body.redundancy, {
      quorum: 2,
      maxReplicas: 10,
      maxErrors: 8,
      adaptive: false,
    });
    assert.ok(!Number.isNaN(Date.parse(created.body.createdAt)));
    const id = created.body.id as string;

    const read = await api(c.url, 'GET', `/api/workloads/${id}`, undefined, null);
    assert.equal(read.status, 200);
    assert.equal(read.body.id, id);
    const list = await api(c.url, 'GET', '/api/workloads', undefined, null);
    assert.ok(Array.isArray(list.body) && list.body.some((w: { id: string }) => w.id === id));

    const early = await api(c.url, 'GET', `/api/workloads/${id}/result`);
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'NOT_READY');

    const cancelled = await api(c.url, 'DELETE', `/api/workloads/${id}`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelled');
    const again = await api(c.url, 'DELETE', `/api/workloads/${id}`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'CONFLICT');
  });

  test('researcher calls need a valid bearer token', async () => {
    const none = await api(
      c.url,
      'POST',
      '/api/workloads',
      { kind: 'montecarlo', spec: piSpec },
      null,
    );
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'UNAUTHORIZED');
    const wrong = await api(
      c.url,
      'POST',
      '/api/workloads',
      { kind: 'montecarlo', spec: piSpec },
      'not-the-token',
    );
    assert.equal(wrong.status, 401);
    assert.equal((await api(c.url, 'DELETE', '/api/workloads/x', undefined, null)).status, 401);
  });

  test('bad specs get a 400 naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ kind: 'montecarlo', spec: { ...piSpec, samples: 0 } }, /spec\.samples/],
      [{ kind: 'montecarlo', spec: { ...piSpec, seed: -1 } }, /spec\.seed/],
      [{ kind: 'montecarlo', spec: { ...piSpec, samplesPerUnit: 4097 } }, /spec\.samplesPerUnit/],
      [{ kind: 'montecarlo', spec: { ...piSpec, samples: 2 ** 51 } }, /spec\.samples/],
      [
        { kind: 'montecarlo', spec: { ...piSpec, samples: 2 ** 40, samplesPerUnit: 1024 } },
        /spec\.samplesPerUnit/,
      ],
      [{ kind: 'montecarlo', spec: { ...piSpec, estimator: 'nope' } }, /spec\.estimator/],
      [{ kind: 'quantum', spec: piSpec }, /kind/],
      [{ kind: 'montecarlo', spec: piSpec, extra: 1 }, /extra/],
      [
        { kind: 'montecarlo', spec: piSpec, redundancy: { quorum: 3, maxReplicas: 2 } },
        /redundancy\.maxReplicas/,
      ],
      [[1, 2, 3], /must be an object/i],
    ];
    for (const [body, field] of cases) {
      const res = await api(c.url, 'POST', '/api/workloads', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'INVALID_SPEC');
      assert.match(JSON.stringify(res.body.error), field);
    }
  });

  test('malformed, missing and oversized bodies get a clear 4xx, never a stack trace', async () => {
    const badJson = await api(c.url, 'POST', '/api/workloads', '{"kind": ');
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'BAD_REQUEST');
    assert.doesNotMatch(JSON.stringify(badJson.body), /at .*\.ts|node_modules/);
    const missing = await api(c.url, 'POST', '/api/workloads');
    assert.equal(missing.status, 400);
    const huge = await api(c.url, 'POST', '/api/workloads', {
      kind: 'montecarlo',
      name: 'x'.repeat(300_000),
      spec: piSpec,
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  test('unknown workloads and endpoints are 404s in the error shape', async () => {
    const unknown = await api(c.url, 'GET', '/api/workloads/does-not-exist');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'NOT_FOUND');
    assert.equal((await api(c.url, 'GET', '/api/workloads/does-not-exist/result')).status, 404);
    const endpoint = await api(c.url, 'GET', '/api/nothing-here');
    assert.equal(endpoint.status, 404);
    assert.equal(endpoint.body.error.code, 'NOT_FOUND');
  });

  test('stats, health and Prometheus metrics', async () => {
    const health = await api(c.url, 'GET', '/healthz', undefined, null);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    const stats = await api(c.url, 'GET', '/api/stats', undefined, null);
    assert.equal(stats.status, 200);
    for (const key of [
      'volunteersOnline',
      'unitsValidated',
      'throughput',
      'workloads',
      'replicas',
    ]) {
      assert.ok(key in stats.body, key);
    }
    const metrics = await fetch(`${c.url}/metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    assert.match(text, /^# TYPE tessera_volunteers_online gauge$/m);
    // Every series carries the node's instance id (ops/prometheus.ts).
    assert.match(text, /^tessera_workloads\{status="cancelled",instance="[^"]+"\} \d+$/m);
    assert.match(text, /^tessera_workloads_submitted_total\{instance="[^"]+"\} \d+$/m);
  });
});
