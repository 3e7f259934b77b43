// The throttle as a duty cycle: after each stretch of busy time the device rests long enough
// that busy / (busy + rest) equals the share the volunteer allows. The stretch is one GPU
// dispatch on WebGPU and one whole unit on the CPU (a unit's reference computation cannot be
// split without changing its result), so the CPU's granularity is the unit's length.
import { abortableSleep } from './abortableSleep';

/** Shares below this are treated as this: a zero share would mean resting forever. */
export const MIN_SHARE = 0.01;

/** Rest after `busyMs` of work so that the device is busy `share` (0..1] of the time. */
export function restAfterBusy(busyMs: number, share: number): number {
  if (!(busyMs > 0) || !Number.isFinite(busyMs)) return 0;
  const clamped = Math.min(1, Math.max(MIN_SHARE, Number.isFinite(share) ? share : 1));
  return busyMs * (1 / clamped - 1);
}

export class DutyCycle {
  private share: number;
  private readonly listeners = new Set<() => void>();

  constructor(share = 1) {
    this.share = share;
  }

  get currentShare(): number {
    return this.share;
  }

  /** Applies at once, to rests already under way too: a raised throttle cuts them short. */
  setShare(share: number): void {
    if (share === this.share) return;
    this.share = share;
    for (const listener of [...this.listeners]) listener();
  }

  /**
   * Rests after `busyMs` of work; resolves with the milliseconds actually rested. The target
   * is recomputed whenever the share changes, so moving the slider takes effect mid-rest.
   */
  async rest(busyMs: number, signal: AbortSignal): Promise<number> {
    const started = performance.now();
    for (;;) {
      const elapsed = performance.now() - started;
      const remaining = restAfterBusy(busyMs, this.share) - elapsed;
      if (remaining <= 0) return elapsed;
      const changed = new AbortController();
      const onChange = (): void => changed.abort();
      const onStop = (): void => changed.abort();
      this.listeners.add(onChange);
      signal.addEventListener('abort', onStop, { once: true });
      try {
        await abortableSleep(remaining, changed.signal).catch(() => undefined);
      } finally {
        this.listeners.delete(onChange);
        signal.removeEventListener('abort', onStop);
      }
      if (signal.aborted) throw signal.reason;
    }
  }
}
