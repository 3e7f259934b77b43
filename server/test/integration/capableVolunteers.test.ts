// [L12] A Monte Carlo workload's REST view says how many volunteer tabs online can run its units
// (`capableVolunteers`): every tab for an estimator with a CPU fallback, only the WebGPU tabs
// for a researcher's WGSL kernel. Real tabs here are real socket.io connections that say hello
// with a backend; the figure follows them as they come and go. Gradient workloads carry none.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION, VOLUNTEER_NAMESPACE, type Backend } from '@tessera/shared';
import {
  api,
  startTestCoordinator,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';
import { TINY_BLOBS_SOFTMAX } from '../gradient/gradientSupport';

/** The starter kernel of the submit page: pi, as a kernel. */
const PI_KERNEL = `fn sample() -> array<f32, 1> {
  let x = uniform();
  let y = uniform();
  return array<f32, 1>(select(0.0, 4.0, x * x + y * y < 1.0));
}
`;

/** A tab that says hello with `backend` and then only stays connected (it asks for no work). */
async function tab(url: string, backend: Backend): Promise<Socket> {
  const socket = io(`${url}${VOLUNTEER_NAMESPACE}`, {
    auth: { protocolVersion: PROTOCOL_VERSION },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const reply = (await socket.timeout(10_000).emitWithAck('hello', {
    device: { backend, ...(backend === 'cpu' ? { cores: 2 } : { adapter: 'test adapter' }) },
  })) as { ok: boolean };
  assert.equal(reply.ok, true, `hello as ${backend}`);
  return socket;
}

async function capable(url: string, id: string): Promise<unknown> {
  const view = await api(url, 'GET', `/api/workloads/${id}`);
  assert.equal(view.status, 200);
  return view.body.capableVolunteers;
}

async function submit(url: string, body: object): Promise<string> {
  const created = await api(url, 'POST', '/api/workloads', body);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id as string;
}

describe('[L12] capable volunteers on the workload view', () => {
  let c: TestCoordinator;
  const sockets: Socket[] = [];
  before(async () => {
    c = await startTestCoordinator();
  });
  after(async () => {
    sockets.forEach((s) => s.close());
    await c.cleanup();
  });

  test('every tab counts for pi; only WebGPU tabs for a WGSL kernel; none for gradient', async () => {
    const pi = await submit(c.url, {
      kind: 'montecarlo',
      name: 'capable pi',
      spec: { estimator: 'pi', samples: 4096, seed: 1, samplesPerUnit: 2048 },
    });
    const kernel = await submit(c.url, {
      kind: 'montecarlo',
      name: 'capable kernel',
      spec: { estimator: 'wgsl', source: PI_KERNEL, outputs: ['pi'], samples: 4096, seed: 1 },
    });
    const gradient = await submit(c.url, {
      kind: 'gradient',
      spec: TINY_BLOBS_SOFTMAX,
    });
    try {
      assert.equal(await capable(c.url, pi), 0);
      assert.equal(await capable(c.url, kernel), 0);

      sockets.push(await tab(c.url, 'webgpu'), await tab(c.url, 'cpu'), await tab(c.url, 'cpu'));
      assert.equal(await capable(c.url, pi), 3);
      assert.equal(await capable(c.url, kernel), 1);
      const gradientView = await api(c.url, 'GET', `/api/workloads/${gradient}`);
      assert.equal('capableVolunteers' in gradientView.body, false);

      // The list and a cancelled workload's answer carry it too.
      const list = (await api(c.url, 'GET', '/api/workloads')).body as Array<{
        id: string;
        capableVolunteers?: number;
      }>;
      assert.equal(list.find((w) => w.id === kernel)?.capableVolunteers, 1);
      assert.equal(list.find((w) => w.id === pi)?.capableVolunteers, 3);

      // A WebGPU tab that leaves no longer counts.
      sockets.shift()!.close();
      await waitFor(
        async () => ((await capable(c.url, kernel)) === 0 ? true : null),
        10_000,
        'the closed WebGPU tab to leave the count',
      );
      assert.equal(await capable(c.url, pi), 2);
    } finally {
      for (const id of [pi, kernel, gradient]) {
        const cancelled = await api(c.url, 'DELETE', `/api/workloads/${id}`);
        assert.equal(cancelled.status, 200);
        if (id !== gradient) assert.equal(typeof cancelled.body.capableVolunteers, 'number');
      }
    }
  });
});
