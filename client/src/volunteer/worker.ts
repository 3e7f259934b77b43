// The volunteer runtime's Web Worker entry: answers the page's start/pause/resume/stop requests
// and its settings and tab observations, and posts status and identity events. Computing off
// the page keeps it responsive while units run. The GPU backend, the unit counters and the
// controls (throttle, pause) belong to the tab and survive stop/start; the coordinator session
// does not.
import '../app/zodWithoutEval';
import type { ComputeBackend } from './computeBackend';
import { ContributionControls } from './contributionControls';
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
const controls = new ContributionControls((pausedBecause) => status.update({ pausedBecause }));
let keptBackend: ComputeBackend | null = null;
let session: VolunteerSession | null = null;

async function handle(command: WorkerCommand): Promise<void> {
  switch (command.command) {
    case 'start': {
      const run = status.current.run;
      if (session && (run === 'starting' || run === 'running')) return;
      if (session) await session.stop();
      // A fresh start is a fresh decision to contribute: an earlier Pause does not carry over.
      controls.setUserPaused(false);
      session = new VolunteerSession(
        command.requestedBackend,
        command.identity,
        {
          status,
          controls,
          throughput,
          gpu: scope.navigator.gpu,
          navigator: scope.navigator,
          keptBackend,
          keepBackend: (backend) => {
            // Only a GPU is worth keeping: its device and compiled pipelines cost time to rebuild.
            if (backend.kind === 'webgpu') keptBackend = backend;
          },
          storeIdentity: (identity) => post({ event: 'identity', identity }),
        },
        command.cpuWorkers,
      );
      return session.start();
    }
    case 'stop': {
      const current = session;
      session = null;
      if (current) await current.stop();
      return;
    }
    case 'pause':
      controls.setUserPaused(true);
      return;
    case 'resume':
      controls.setUserPaused(false);
      return;
    case 'settings':
      controls.setSettings(command.settings);
      session?.changeDisplayName(command.settings.displayName);
      return;
    case 'environment':
      controls.setEnvironment(command.environment);
      return;
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
