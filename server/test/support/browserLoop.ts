// The browser volunteer runtime's unit loop (client/src/volunteer/unitLoop.ts) in Node, CPU
// backend, on a real socket.io connection (a GradientVolunteer's) to a real coordinator: what
// the gradient and inference tests run as "a tab" without a browser.
import assert from 'node:assert/strict';
import { StatusReporter } from '../../../client/src/volunteer/statusReporter';
import { ThroughputMeter } from '../../../client/src/volunteer/throughputMeter';
import { UnitLoop, type UnitLoopDeps } from '../../../client/src/volunteer/unitLoop';
import { CoordinatorRefusedError } from '../../../client/src/volunteer/volunteerErrors';
import { GradientVolunteer } from '../../src/sim/gradientVolunteer';

/** A unit loop on a real socket.io connection (the GradientVolunteer's), CPU backend. */
export async function browserLoop(url: string) {
  const socket = new GradientVolunteer({ url, displayName: 'browser-loop' });
  await socket.connect();
  const fetched: string[] = [];
  const connection = {
    whenReady: async () => undefined,
    request: async (event: string, payload: unknown) => {
      const reply = await socket.call<Record<string, unknown>>(event as never, payload);
      if (!reply.ok) throw new CoordinatorRefusedError(reply.error.code, reply.error.message);
      return reply;
    },
  };
  const loop = new UnitLoop({
    connection: connection as unknown as UnitLoopDeps['connection'],
    backend: () => ({ kind: 'cpu' }),
    recoverFromDeviceLoss: async () => undefined,
    status: new StatusReporter(() => undefined),
    throughput: new ThroughputMeter(),
    errorBackoffMs: 10,
    gradientFetch: async (path, signal) => {
      fetched.push(path);
      const response = await fetch(`${url}${path}`, { signal });
      assert.equal(response.status, 200, path);
      return response.arrayBuffer();
    },
  });
  return { socket, loop, fetched };
}
