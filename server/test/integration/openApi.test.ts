// GET /api/openapi.json against a live coordinator: a well-formed OpenAPI 3.1 document that
// names every endpoint of DESIGN.md section 3 and every route the Express app registers (so a
// new route cannot be left out), whose schemas (turned back into zod) accept what the server
// really accepts and answers, whose binary answers have the documented type and headers, and
// whose every path the server really serves.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { gradientTaskSchema } from '@tessera/shared/kinds/gradient/gradientSpec';
import { GradientVolunteer } from '../../src/sim/gradientVolunteer';
import { api, startTestCoordinator, type TestCoordinator } from '../support/testCoordinator';
import { TINY_BLOBS_SOFTMAX } from '../gradient/gradientSupport';

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

/** Routes the app registers that are web pages, not API: the client (or "not built" notice). */
const WEB_PAGES = new Set(['get /']);

const GRADIENT_BODY = {
  kind: 'gradient',
  name: 'openapi gradient',
  spec: TINY_BLOBS_SOFTMAX,
  redundancy: { quorum: 1 },
};

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

/** What router 2.x's `listRoutes()` gives for each layer (not in @types/express). */
interface ListedRoute {
  path: string | RegExp;
  methods: string[] | undefined;
  router: unknown;
}

/**
 * Every route the app answers, as `method /openapi/{template}`, walking mounted routers.
 * HEAD is left out: Express adds it to every GET.
 */
function registeredRoutes(router: unknown, prefix = ''): string[] {
  const listRoutes = (router as { listRoutes?: () => ListedRoute[] }).listRoutes;
  assert.equal(typeof listRoutes, 'function', 'the Express router has no listRoutes()');
  const found: string[] = [];
  for (const layer of listRoutes!.call(router)) {
    assert.equal(typeof layer.path, 'string', `a RegExp route (${layer.path}) cannot be checked`);
    const path = `${prefix}${layer.path === '/' && layer.router ? '' : (layer.path as string)}`;
    if (layer.router) {
      found.push(...registeredRoutes(layer.router, path));
      continue;
    }
    assert.doesNotMatch(path, /[*{}]/, `${path}: wildcard or optional segments need a template`);
    const template = path.replace(/:(\w+)/g, '{$1}');
    for (const method of layer.methods ?? []) {
      if (method !== 'HEAD') found.push(`${method.toLowerCase()} ${template}`);
    }
  }
  return found;
}

/** A path template with real values: the workload `id`, parameter version 0, `hash`. */
function fill(template: string, values: { id: string; hash: string }): string {
  return template
    .replace('{id}', values.id)
    .replace('{version}', '0')
    .replace('{hash}', values.hash);
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

  test('documents every route the Express app registers, and no other', () => {
    const registered = new Set(registeredRoutes(c.server.app.router));
    assert.ok(registered.has('post /api/workloads'), 'the route listing found the API');
    const documented = new Set(
      Object.entries<Json>(doc.paths).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((key) => key !== 'parameters')
          .map((method) => `${method} ${path}`),
      ),
    );
    const undocumented = [...registered].filter((r) => !documented.has(r) && !WEB_PAGES.has(r));
    assert.deepEqual(undocumented, [], 'routes missing from openApiDocument.ts');
    const unserved = [...documented].filter((r) => !registered.has(r));
    assert.deepEqual(unserved, [], 'documented routes the app does not register');
  });

  test('the binary gradient resources answer with the documented type and headers', async () => {
    const created = await api(c.url, 'POST', '/api/workloads', GRADIENT_BODY);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(zodOf(doc, 'SubmitWorkload').safeParse(GRADIENT_BODY).success, true);
    const id = created.body.id as string;
    const volunteer = new GradientVolunteer({ url: c.url });
    let partitionUrl: string;
    try {
      await volunteer.connect();
      const lease = await volunteer.request();
      assert.ok(lease, 'the gradient workload leases a unit');
      partitionUrl = gradientTaskSchema.parse(lease.task).partition.url;
    } finally {
      volunteer.close();
    }
    const hash = partitionUrl.split('/').pop()!;
    const paramBytes = 4 * (3 * 4 + 3); // softmax 4 inputs -> 3 classes: weights and biases
    const cases: Array<{ template: string; url: string; bytes?: number; headers: string[] }> = [
      {
        template: '/api/workloads/{id}/params/{version}',
        url: fill('/api/workloads/{id}/params/{version}', { id, hash }),
        bytes: paramBytes,
        headers: ['cache-control'],
      },
      {
        template: '/api/shards/{hash}',
        url: partitionUrl,
        headers: ['cache-control'],
      },
      {
        template: '/api/workloads/{id}/result',
        url: `/api/workloads/${id}/result?format=bin`,
        bytes: paramBytes,
        headers: ['x-tessera-version', 'x-tessera-final'],
      },
    ];
    for (const k of cases) {
      assert.equal(fill(k.template, { id, hash }), k.url.split('?')[0], 'the URL fits the path');
      const response = await fetch(`${c.url}${k.url}`);
      assert.equal(response.status, 200, k.url);
      const success = doc.paths[k.template].get.responses['200'];
      const type = response.headers.get('content-type')!;
      assert.ok(Object.keys(success.content).includes(type), `${k.url}: ${type} is not documented`);
      const bytes = (await response.arrayBuffer()).byteLength;
      if (k.bytes !== undefined) assert.equal(bytes, k.bytes, k.url);
      assert.ok(bytes > 0, k.url);
      const documented = Object.keys(success.headers ?? {}).map((h) => h.toLowerCase());
      for (const header of k.headers) {
        assert.ok(documented.includes(header), `${k.url}: ${header} is not documented`);
        assert.ok(response.headers.get(header), `${k.url}: no ${header}`);
      }
      const cache = success.headers?.['Cache-Control']?.description as string | undefined;
      if (cache) assert.ok(cache.includes(response.headers.get('cache-control')!), k.url);
    }
    const wrongKind = await api(c.url, 'POST', '/api/workloads', PI_BODY);
    const refused = await fetch(`${c.url}/api/workloads/${wrongKind.body.id}/result?format=bin`);
    assert.equal(refused.status, 400, 'format=bin is refused for a Monte Carlo workload');
    assert.ok('400' in doc.paths['/api/workloads/{id}/result'].get.responses);
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
      // A hash no partition has: the documented 404.
      const path = fill(template, { id: created.body.id, hash: '0'.repeat(64) });
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
