// The volunteer runtime's Web Worker entry: answers the page's start/stop requests and posts
// status and identity events. Computing here, not on the page, keeps the page responsive while
// a CPU unit holds the thread for seconds. The GPU backend and the unit counters belong to the
// tab and survive stop/start; the coordinator session does not.
import type { ComputeBackend } from './computeBackend';
import { StatusReporter } from './statusReporter';
import { ThroughputMeter } from './throughputMeter';
import { VolunteerSession } from './volunteerSession';
import {
  toPlainError,
  type PageToWorkerMessage,
  type WorkerCommand,
  type WorkerEvent,
  type WorkerToPageMessage,
} from './workerMessages';

/** The slice of DedicatedWorkerGlobalScope used here (the project's lib is DOM, not WebWorker). */
interface VolunteerWorkerScope {
  postMessage(message: WorkerToPageMessage): void;
  addEventListener(
    type: 'message',
    listener: (event: MessageEvent<PageToWorkerMessage>) => void,
  ): void;
  navigator: { gpu?: GPU; hardwareConcurrency?: number; userAgent?: string };
}

const scope = self as unknown as VolunteerWorkerScope;
const post = (event: WorkerEvent): void => scope.postMessage({ type: 'event', body: event });

const status = new StatusReporter(post);
const throughput = new ThroughputMeter();
let keptBackend: ComputeBackend | null = null;
let session: VolunteerSession | null = null;

async function handle(command: WorkerCommand): Promise<void> {
  switch (command.command) {
    case 'start': {
      const run = status.current.run;
      if (session && (run === 'starting' || run === 'running')) return;
      if (session) await session.stop();
      session = new VolunteerSession(command.requestedBackend, command.identity, {
        status,
        throughput,
        gpu: scope.navigator.gpu,
        navigator: scope.navigator,
        keptBackend,
        keepBackend: (backend) => {
          // Only a GPU is worth keeping: its device and compiled pipelines cost time to rebuild.
          if (backend.kind === 'webgpu') keptBackend = backend;
        },
        storeIdentity: (identity) => post({ event: 'identity', identity }),
      });
      return session.start();
    }
    case 'stop': {
      const current = session;
      session = null;
      if (current) await current.stop();
      return;
    }
  }
}

scope.addEventListener('message', (event) => {
  const { id, body } = event.data;
  handle(body).then(
    () => scope.postMessage({ type: 'response', id, ok: true }),
    (error: unknown) =>
      scope.postMessage({ type: 'response', id, ok: false, error: toPlainError(error) }),
  );
});

// The page renders the initial status before the first command.
status.update({});
