// The CPU fallback's compute workers: one per lane of the unit loop, so a tab with N lanes
// computes N units at once on N cores. Each slot's worker is started on first use; a unit
// that is given up (stop, ended workload, lost lease) terminates its worker, because a
// synchronous reference run cannot be interrupted any other way, and the slot starts a fresh
// one for its next unit.
import type { ComputeRequest, ComputeResponse } from './computeWorkerMessages';
import { UnitAbandonedError } from './volunteerErrors';

export interface CpuRun {
  result: unknown;
  busyMs: number;
}

export type SpawnComputeWorker = (slot: number) => Worker;

/** Where nested workers exist (Chromium, Firefox, recent Safari), the fallback can use them. */
export function canSpawnComputeWorkers(): boolean {
  return typeof Worker === 'function';
}

const spawnComputeWorker: SpawnComputeWorker = (slot) =>
  new Worker(new URL('./cpuComputeWorker.ts', import.meta.url), {
    type: 'module',
    name: `tessera-cpu-${slot + 1}`,
  });

export class CpuWorkerPool {
  private readonly workers: (Worker | null)[];
  /** How to end each slot's pending run when the pool closes under it. */
  private readonly pending = new Map<number, () => void>();
  private nextId = 1;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly spawn: SpawnComputeWorker = spawnComputeWorker,
  ) {
    this.workers = Array.from({ length: size }, () => null);
  }

  /** Computes one unit on the slot's worker; one unit per slot at a time. */
  run(slot: number, estimator: string, task: unknown, signal: AbortSignal): Promise<CpuRun> {
    if (this.closed) return Promise.reject(new UnitAbandonedError('the CPU workers were closed'));
    if (slot < 0 || slot >= this.size) {
      return Promise.reject(new RangeError(`no CPU worker slot ${slot} (pool of ${this.size})`));
    }
    const worker = (this.workers[slot] ??= this.spawn(slot));
    const id = this.nextId++;
    return new Promise<CpuRun>((resolve, reject) => {
      const cleanUp = (): void => {
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
        signal.removeEventListener('abort', onAbort);
        this.pending.delete(slot);
      };
      const onMessage = (event: MessageEvent<ComputeResponse>): void => {
        const reply = event.data;
        if (reply.type !== 'computed' || reply.id !== id) return;
        cleanUp();
        if (reply.ok) resolve({ result: reply.result, busyMs: reply.busyMs });
        else reject(Object.assign(new Error(reply.error.message), { name: reply.error.name }));
      };
      const onError = (event: ErrorEvent): void => {
        // A worker that failed to load or crashed: replace it rather than reuse it.
        event.preventDefault();
        cleanUp();
        this.discard(slot);
        reject(new Error(`a CPU compute worker failed: ${event.message || 'unknown error'}`));
      };
      const onAbort = (): void => {
        cleanUp();
        this.discard(slot);
        reject(
          signal.reason instanceof Error ? signal.reason : new UnitAbandonedError('unit dropped'),
        );
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      this.pending.set(slot, () => {
        cleanUp();
        reject(new UnitAbandonedError('the CPU workers were closed'));
      });
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
      const request: ComputeRequest = { type: 'compute', id, estimator, task };
      worker.postMessage(request);
    });
  }

  /** Terminates every worker and gives up the runs still waiting on them. */
  close(): void {
    this.closed = true;
    for (const cancel of [...this.pending.values()]) cancel();
    for (let slot = 0; slot < this.size; slot++) this.discard(slot);
  }

  private discard(slot: number): void {
    this.workers[slot]?.terminate();
    this.workers[slot] = null;
  }
}
