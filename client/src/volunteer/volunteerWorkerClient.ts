// The page's handle on the volunteer worker: numbered requests that resolve with the worker's
// response, and a listener for its events. Errors come back as plain { name, message } objects
// and are rethrown as Errors with the same name, so callers can show their message as is.
import type {
  PlainError,
  PageToWorkerMessage,
  WorkerCommand,
  WorkerEvent,
  WorkerToPageMessage,
} from './workerMessages';

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

export class VolunteerWorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(onEvent: (event: WorkerEvent) => void, onCrash: (error: PlainError) => void) {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), {
      type: 'module',
      name: 'tessera-volunteer',
    });
    this.worker.addEventListener('message', (message: MessageEvent<WorkerToPageMessage>) => {
      const data = message.data;
      if (data.type === 'event') {
        onEvent(data.body);
        return;
      }
      const pending = this.pending.get(data.id);
      if (!pending) return;
      this.pending.delete(data.id);
      if (data.ok) pending.resolve();
      else pending.reject(Object.assign(new Error(data.error.message), { name: data.error.name }));
    });
    this.worker.addEventListener('error', (event) => {
      // A worker that fails to load or throws at top level: nothing else would say so.
      event.preventDefault();
      onCrash({ name: 'WorkerError', message: event.message || 'the volunteer worker failed' });
    });
  }

  request(body: WorkerCommand): Promise<void> {
    const id = this.nextId++;
    const message: PageToWorkerMessage = { type: 'request', id, body };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(message);
    });
  }

  terminate(): void {
    this.worker.terminate();
    for (const pending of this.pending.values()) {
      pending.reject(new Error('the volunteer worker was closed'));
    }
    this.pending.clear();
  }
}
