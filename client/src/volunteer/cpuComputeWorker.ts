// A CPU compute worker: the volunteer worker starts one per core it may use and sends each a
// unit at a time. The reference computation holds this thread for the unit's length, which is
// why it runs here and not on the thread that talks to the coordinator.
import '../app/zodWithoutEval';
import { estimatorFor } from '@tessera/shared/kinds/registry';
import type { ComputeRequest, ComputeResponse } from './computeWorkerMessages';
import { toPlainError } from './workerMessages';

/** The slice of DedicatedWorkerGlobalScope used here (the project's lib is DOM, not WebWorker). */
interface ComputeWorkerScope {
  postMessage(message: ComputeResponse): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ComputeRequest>) => void): void;
}

const scope = self as unknown as ComputeWorkerScope;

scope.addEventListener('message', (event) => {
  const { id, estimator: name, task } = event.data;
  try {
    const estimator = estimatorFor(name);
    const parsed = estimator.taskSchema.parse(task);
    const started = performance.now();
    const result = estimator.runReference(parsed);
    const busyMs = performance.now() - started;
    scope.postMessage({ type: 'computed', id, ok: true, result, busyMs });
  } catch (error) {
    scope.postMessage({ type: 'computed', id, ok: false, error: toPlainError(error) });
  }
});
