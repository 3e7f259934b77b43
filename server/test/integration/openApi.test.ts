// GET /api/openapi.json against a live coordinator: a well-formed OpenAPI 3.1 document that
// names every endpoint of DESIGN.md section 3, whose schemas (turned back into zod) accept what
// the server really accepts and answers, and whose every path the server really serves.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';

type Json = Record<string, any>;

/** The endpoints DESIGN.md section 3 fixes, as OpenAPI path templates. */
const CONTRACT: Array<[method: string, path: string]> = [
  ['post', '/api/workloads'],
  ['get', '/api/workloads'],
  ['get', '/api/workloads/{id}'],
  ['get', '/api/workloads/{id}/result'],
  ['delete', '/api/workloads/{id}'],
  ['get', '/api/stats'],
  ['get', '/healthz'],
  ['get', '/metrics'],
];

const PI_BODY = {
  kind: 'montecarlo',
  name: 'openapi pi',
  spec: { estimator: 'pi', samples: 100_000, seed: 42, samplesPerUnit: 16_384 },
};

/** Replaces `{ $ref: '#/components/schemas/X' }` with the schema it names, recursively. */
function resolveRefs(node: unknown, doc: Json): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, doc));
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as Json).$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    assert.ok(doc.components.schemas[name], `dangling $ref ${ref}`);
    return resolveRefs(doc.components.schemas[name], doc);
  }
  return Object.fromEntries(Object.entries(node as Json).map(([k, v]) => [k, resolveRefs(v, doc)]));
}

function zodOf(doc: Json, name: string) {
  return z.fromJSONSchema(resolveRefs(doc.components.schemas[name], doc) as Json);
}

describe('OpenAPI description', () => {
  let c: TestCoordinator;
  let doc: Json;
  before(async () => {
    c = await startTestCoordinator();
    const res = await api(c.url, 'GET', '/api/openapi.json', undefined, null);
    assert.equal(res.status, 200);
    doc = res.body;
  });
  after(() => c.cleanup());

  test('is OpenAPI 3.1 with info and a bearer security scheme', () => {
    assert.match(doc.openapi, /^3\.1\.\d+$/);
    assert.equal(typeof doc.info.title, 'string');
    assert.equal(typeof doc.info.version, 'string');
    assert.deepEqual(doc.components.securitySchemes.researcherToken, {
      type: 'http',
      scheme: 'bearer',
      description: doc.components.securitySchemes.researcherToken.description,
    });
  });

  test('documents every endpoint of the contract, with the error shape on every 4xx', () => {
    for (const [method, path] of CONTRACT) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method.toUpperCase()} ${path} is missing`);
      assert.ok(op.operationId, `${method} ${path} has no operationId`);
      assert.ok(op.responses['200'] ?? op.responses['201'], `${method} ${path}: no success`);
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        if (status.startsWith('4')) {
          assert.equal(
            response.content['application/json'].schema.$ref,
            '#/components/schemas/Error',
          );
        }
      }
    }
    const secured = CONTRACT.filter(([m, p]) => doc.paths[p][m].security).map(([m]) => m);
    assert.deepEqual(secured.sort(), ['delete', 'post'], 'submit and cancel need a token');
    const submit = doc.paths['/api/workloads'].post;
    assert.deepEqual(submit.security, [{ researcherToken: [] }]);
    assert.equal(
      submit.requestBody.content['application/json'].schema.$ref,
      '#/components/schemas/SubmitWorkload',
    );
  });

  test('the submit schema accepts a real pi body and refuses what the server refuses', async () => {
    const submit = zodOf(doc, 'SubmitWorkload');
    assert.equal(submit.safeParse(PI_BODY).success, true);
    assert.equal(
      submit.safeParse({ ...PI_BODY, spec: { estimator: 'pi', seed: 1 } }).success,
      false,
    );
    assert.equal(
      submit.safeParse({ ...PI_BODY, spec: { ...PI_BODY.spec, samples: 0 } }).success,
      false,
    );
    assert.equal(submit.safeParse({ ...PI_BODY, extra: 1 }).success, false);
    assert.equal(submit.safeParse({ ...PI_BODY, kind: 'quantum' }).success, false);
    // The server agrees on both sides of the line.
    assert.equal((await api(c.url, 'POST', '/api/workloads', PI_BODY)).status, 201);
    const refused = await api(c.url, 'POST', '/api/workloads', { ...PI_BODY, extra: 1 });
    assert.equal(refused.status, 400);
    assert.equal(zodOf(doc, 'Error').safeParse(refused.body).success, true);
  });

  test('what the server answers matches the response schemas', async () => {
    const created = await api(c.url, 'POST', '/api/workloads', PI_BODY);
    const view = zodOf(doc, 'WorkloadView').safeParse(created.body);
    assert.equal(view.success, true, JSON.stringify(view.error?.issues));
    const list = await api(c.url, 'GET', '/api/workloads');
    assert.equal(zodOf(doc, 'WorkloadList').safeParse(list.body).success, true);
    const stats = await api(c.url, 'GET', '/api/stats');
    const parsedStats = zodOf(doc, 'PlatformStats').safeParse(stats.body);
    assert.equal(parsedStats.success, true, JSON.stringify(parsedStats.error?.issues));
    const health = await api(c.url, 'GET', '/healthz');
    assert.equal(zodOf(doc, 'Health').safeParse(health.body).success, true);
    const notReady = await api(c.url, 'GET', `/api/workloads/${created.body.id}/result`);
    assert.equal(notReady.status, 409);
    assert.equal(zodOf(doc, 'Error').safeParse(notReady.body).success, true);
  });

  test('every documented path is one the server serves', async () => {
    const created = await api(c.url, 'POST', '/api/workloads', PI_BODY);
    for (const [template, item] of Object.entries<Json>(doc.paths)) {
      const path = template.replace('{id}', created.body.id);
      for (const method of Object.keys(item).filter((k) => k !== 'parameters')) {
        const body = method === 'post' ? PI_BODY : undefined;
        const res = await api(c.url, method.toUpperCase(), path, body);
        const documented = Object.keys(item[method].responses);
        assert.ok(
          documented.includes(String(res.status)),
          `${method.toUpperCase()} ${path} answered ${res.status}, documented ${documented.join(', ')}`,
        );
      }
    }
  });
});
