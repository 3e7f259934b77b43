// Turns any number of "something changed" requests into runs of one task, at most one run per
// interval: requests while a run is pending or in progress fold into the next run, which
// starts no sooner than `minIntervalMs` after the previous one started. Load can make runs
// rarer, never more frequent, so the dashboard's broadcast rate has a hard ceiling.
import type { Timers } from './timers';

export class CoalescingThrottle {
  private timer: unknown = null;
  private running = false;
  private wanted = false;
  private closed = false;
  private lastStart = Number.NEGATIVE_INFINITY;
  /** Runs started so far (tests and metrics read it). */
  runs = 0;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly minIntervalMs: number,
    private readonly timers: Timers,
    private readonly onError: (error: unknown) => void,
  ) {
    if (!(minIntervalMs >= 0)) throw new RangeError('minIntervalMs must be >= 0');
  }

  /** Asks for a run soon; returns at once. */
  request(): void {
    if (this.closed) return;
    this.wanted = true;
    if (this.timer === null && !this.running) this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const wait = Math.max(0, this.lastStart + this.minIntervalMs - this.timers.now());
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.fire();
    }, wait);
  }

  private async fire(): Promise<void> {
    if (this.closed) return;
    this.wanted = false;
    this.running = true;
    this.lastStart = this.timers.now();
    this.runs += 1;
    try {
      await this.task();
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
    }
    if (this.wanted && !this.closed) this.schedule();
  }
}
