// Follows one workload until it ends, by polling GET /api/workloads/:id: what `tessera submit
// --wait` and scripts use. A coordinator that restarts mid-wait is waited for, up to a limit.
import { FINAL_STATUSES, type WorkloadView } from '../workloadSpec';
import { ApiError, CLIENT_ERROR_CODES } from './apiError';
import type { TesseraClient } from './tesseraClient';

export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** How long the coordinator may stay unreachable during a wait before the wait gives up. */
export const DEFAULT_MAX_UNREACHABLE_MS = 60_000;

export interface WaitOptions {
  intervalMs?: number;
  maxUnreachableMs?: number;
  /**
   * Called with every view fetched, the final one included; a promise it returns is awaited
   * before the next poll (or the return), so what it fetches per view stays one per poll.
   */
  onProgress?: (view: WorkloadView) => unknown;
  /** Called when a poll found the coordinator unreachable and the wait goes on. */
  onUnreachable?: (error: ApiError) => void;
  signal?: AbortSignal;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Resolves with the workload's final view; rejects with ApiError, or AbortError when aborted. */
export async function waitForWorkload(
  client: TesseraClient,
  id: string,
  options: WaitOptions = {},
): Promise<WorkloadView> {
  const intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const maxUnreachableMs = options.maxUnreachableMs ?? DEFAULT_MAX_UNREACHABLE_MS;
  let unreachableSince: number | null = null;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const view = await client.get(id);
      unreachableSince = null;
      await options.onProgress?.(view);
      if (FINAL_STATUSES.includes(view.status)) return view;
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== CLIENT_ERROR_CODES.unreachable) {
        throw error;
      }
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince >= maxUnreachableMs) throw error;
      options.onUnreachable?.(error);
    }
    await sleep(intervalMs, options.signal);
  }
}
