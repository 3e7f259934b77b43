// How soon a workload will finish, from how fast its validated units have been growing lately.
// A sliding window (not the average since submission) so the ETA follows volunteers joining
// and leaving.

/** Progress older than this no longer counts towards the rate. */
export const RATE_WINDOW_MS = 60_000;

export class EtaEstimator {
  private readonly points: Array<{ at: number; done: number }> = [];

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  /** Records that `done` units were validated at time `at` (ms). */
  observe(at: number, done: number): void {
    this.points.push({ at, done });
    // Keep one point older than the window so the rate spans the whole window.
    while (this.points.length > 2 && at - this.points[1]!.at >= this.windowMs) this.points.shift();
  }

  /** Units per second over the window, or null before two observations apart in time. */
  rate(): number | null {
    const first = this.points[0];
    const last = this.points.at(-1);
    if (!first || !last || last.at <= first.at) return null;
    return ((last.done - first.done) * 1000) / (last.at - first.at);
  }

  /** Milliseconds until `total` units are validated, or null while no progress has been seen. */
  etaMs(total: number): number | null {
    const rate = this.rate();
    const last = this.points.at(-1);
    if (!last || rate === null || rate <= 0) return null;
    return ((total - last.done) / rate) * 1000;
  }
}

/** 0 s, 42 s, 3m 05s, 2h 07m: short, and never more precise than an ETA deserves. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.round(hours / 24)} days`;
}
