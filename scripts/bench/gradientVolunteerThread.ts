// One simulated volunteer (GradientVolunteer: gradient and inference leases) per worker thread,
// for the benches over a coordinator (benchCoordinator.ts): each thread has its own event loop,
// socket.io connection and HTTP client, so N volunteers compute N units at once (as far as the
// machine's cores allow) instead of taking turns on the bench's loop. The main thread sends
// join/leave; the thread answers joined/left and reports every unit it answered, stamped with
// epoch milliseconds (comparable across threads, unlike performance.now).
import { parentPort } from 'node:worker_threads';
import type { Lease } from '@tessera/shared';
import { gradientTaskSchema } from '@tessera/shared/kinds/gradient/gradientSpec';
import { GradientVolunteer } from '../../server/src/sim/gradientVolunteer';
import { parameterCount, type ModelConfig } from '@tessera/shared/kinds/gradient/gradientModel';
import { computeGradient } from '@tessera/shared/kinds/gradient/gradientReference';
import { encodeGradientResult } from '@tessera/shared/kinds/gradient/gradientResultCodec';

/** What a volunteer downloaded and was told while it was connected. */
export type VolunteerTally = GradientVolunteer['tally'];

export type ToVolunteerThread =
  /** Connect a fresh volunteer (new identity, empty caches) and start asking for work. */
  | { type: 'join'; url: string; displayName: string; idleMs: number; slowMs?: number }
  /** Finish the unit in hand, disconnect, say how many units were answered and the tally. */
  | { type: 'leave' };

export type FromVolunteerThread =
  /** The thread's modules are loaded: it takes commands. */
  | { type: 'loaded' }
  | { type: 'joined' }
  | {
      type: 'unit';
      /** Parameter version (= step) the unit's gradient was taken at; null for inference. */
      version: number | null;
      leasedAt: number;
      /** When the coordinator acknowledged the result (the round may have closed with it). */
      answeredAt: number;
      /** The coordinator's refusal code, or null when the result was taken. */
      refused: string | null;
    }
  | { type: 'left'; units: number; tally: VolunteerTally }
  | { type: 'failed'; error: { name: string; message: string } };

const port = parentPort;
if (!port) throw new Error('gradientVolunteerThread.ts runs as a worker thread');

const epochMs = () => performance.timeOrigin + performance.now();
const post = (message: FromVolunteerThread) => port.postMessage(message);
const asPlainError = (error: unknown) => ({
  name: error instanceof Error ? error.name : 'Error',
  message: error instanceof Error ? error.message : String(error),
});

let current: {
  volunteer: GradientVolunteer;
  leaving: boolean;
  /** Ends the wait for work at once, so that leave need not wait out the idle time. */
  leave: () => void;
  loop: Promise<number>;
} | null = null;

/**
 * Units a volunteer asks for per request, as a WebGPU tab does (the client's
 * WEBGPU_MAX_UNITS_PER_REQUEST); the coordinator caps it (TESSERA_MAX_LEASES, throughput, data
 * the tab holds); each result goes back on its own as soon as it is computed.
 */
const MAX_UNITS_PER_REQUEST = 8;
/** How long the coordinator may hold a request that finds no work ([L13]; the ack waits 10 s). */
const HOLD_MS = 5_000;

/** Sends one result; resolves with null when the coordinator took it, else the refusal code. */
async function submitOne(
  volunteer: GradientVolunteer,
  replicaId: number,
  bytes: ArrayBuffer,
  elapsedMs: number,
): Promise<string | null> {
  const reply = await volunteer.submit(replicaId, bytes, elapsedMs);
  return reply.ok ? null : reply.error.code;
}

async function workLoop(
  volunteer: GradientVolunteer,
  idleMs: number,
  /** A straggler: each result held back this long after it is computed. */
  slowMs: number,
  leaving: () => boolean,
  left: Promise<void>,
): Promise<number> {
  let units = 0;
  // The next request goes out with the results, not after their answer ([L13]): the
  // coordinator holds it until there is work, so between rounds a tab gets the next round's
  // units in the reply that follows the round's close.
  let next: Promise<Lease[]> | null = null;
  const leftEmpty = left.then((): Lease[] => []);
  while (!leaving()) {
    const asked = next ?? volunteer.requestBatch(MAX_UNITS_PER_REQUEST, HOLD_MS);
    next = null;
    // A leaving volunteer does not wait out a held request: its socket closes, which ends it
    // with a refusal nobody waits for (unhandled, it would end the thread).
    asked.catch(() => {});
    const leases = await Promise.race([asked, leftEmpty]);
    if (leaving()) break;
    if (leases.length === 0) {
      await Promise.race([volunteer.waitForWork(idleMs), left]);
      continue;
    }
    const leasedAt = epochMs();
    // As a browser tab does (unitLoop.ts): each result goes back as soon as it is computed and
    // the next unit is computed while its answer travels; a straggler holds each one back.
    const answers: Array<Promise<void>> = [];
    for (const lease of leases) {
      const version =
        lease.kind === 'gradient' ? gradientTaskSchema.parse(lease.task).version : null;
      // As the browser's CPU path does before the reference holds the thread: the event loop
      // turns, so the result just sent is written to the socket now, not after this unit.
      await new Promise((resolve) => setImmediate(resolve));
      const started = epochMs();
      let bytes: ArrayBuffer;
      try {
        bytes = await volunteer.compute(lease);
      } catch (error) {
        // As GradientVolunteer.run: the round moved on while this unit waited; hand it back.
        await volunteer.call('unit:error', {
          replicaId: lease.replicaId,
          error: asPlainError(error),
        });
        continue;
      }
      if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
      const sent = submitOne(volunteer, lease.replicaId, bytes, epochMs() - started);
      answers.push(
        sent.then((refused) => {
          units += 1;
          post({ type: 'unit', version, leasedAt, answeredAt: epochMs(), refused });
        }),
      );
    }
    if (answers.length === 0) continue;
    if (!leaving()) next = volunteer.requestBatch(MAX_UNITS_PER_REQUEST, HOLD_MS);
    await Promise.all(answers);
  }
  // The request sent with the last results is refused once the socket closes: nobody waits.
  next?.catch(() => {});
  return units;
}

async function handle(message: ToVolunteerThread): Promise<void> {
  switch (message.type) {
    case 'join': {
      if (current) throw new Error('join while a volunteer is still connected');
      const volunteer = new GradientVolunteer({
        url: message.url,
        displayName: message.displayName,
        idleMs: message.idleMs,
      });
      await volunteer.connect();
      let leave = () => {};
      const left = new Promise<void>((resolve) => (leave = resolve));
      const state = { volunteer, leaving: false, leave, loop: Promise.resolve(0) };
      const { idleMs, slowMs = 0 } = message;
      state.loop = workLoop(volunteer, idleMs, slowMs, () => state.leaving, left);
      // A failure mid-run is reported at once, not only when the run is over.
      state.loop.catch((error: unknown) => post({ type: 'failed', error: asPlainError(error) }));
      current = state;
      post({ type: 'joined' });
      return;
    }
    case 'leave': {
      const state = current;
      if (!state) throw new Error('leave without a volunteer');
      state.leaving = true;
      state.leave();
      const units = await state.loop.catch(() => 0);
      state.volunteer.close();
      current = null;
      post({ type: 'left', units, tally: state.volunteer.tally });
      return;
    }
  }
}

port.on('message', (message: ToVolunteerThread) => {
  handle(message).catch((error: unknown) => post({ type: 'failed', error: asPlainError(error) }));
});
/**
 * JIT warm-up before the first timed run, as the one-process baseline warms up over two steps
 * (gradientRounds.ts localRounds): 16 gradients of each model the bench trains, on a synthetic
 * MNIST-shaped shard (64 rows of 784 bytes, a fifth of them non-zero).
 */
function warmUp(): void {
  const rows = 64;
  const features = new Uint8Array(rows * 784).map((_, i) => (i % 5 === 0 ? (i * 31) % 256 : 0));
  const labels = new Uint8Array(rows).map((_, i) => i % 10);
  const set = {
    dtype: 'uint8' as const,
    features,
    count: rows,
    inputSize: 784,
    classes: 10,
    labels,
  };
  for (const hidden of [[], [64]]) {
    const config: ModelConfig =
      hidden.length === 0
        ? { model: 'softmax', inputSize: 784, classes: 10 }
        : { model: 'mlp', inputSize: 784, hidden, classes: 10 };
    const params = new Float32Array(parameterCount(config)).map((_, i) => Math.sin(i) / 100);
    for (let i = 0; i < 16; i++) encodeGradientResult(computeGradient(config, params, set));
  }
}

warmUp();
post({ type: 'loaded' });
