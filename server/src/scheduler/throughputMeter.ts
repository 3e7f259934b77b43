// A tab's measured speed, from the work and time of the results it returns: what sizes its
// leases (seconds of work per lease, not a count). Per connection, in memory: a reconnecting
// tab starts again from one unit, which costs one round trip.

/** Weight of the newest measurement in the moving average. */
export const THROUGHPUT_SMOOTHING = 0.3;
/** Reported times below this are read as this: a result can't prove a faster device. */
export const MIN_UNIT_MS = 5;

export class ThroughputMeter {
  private readonly rates = new Map<string, number>();

  /** Records that this connection did `work` in `elapsedMs`. */
  record(connectionId: string, work: number, elapsedMs: number): void {
    if (!(work > 0) || !Number.isFinite(elapsedMs)) return;
    const rate = work / (Math.max(elapsedMs, MIN_UNIT_MS) / 1000);
    const previous = this.rates.get(connectionId);
    this.rates.set(
      connectionId,
      previous === undefined ? rate : previous + THROUGHPUT_SMOOTHING * (rate - previous),
    );
  }

  /** Work per second, or null before the first result. */
  rate(connectionId: string): number | null {
    return this.rates.get(connectionId) ?? null;
  }

  forget(connectionId: string): void {
    this.rates.delete(connectionId);
  }
}

/**
 * How many units of `unitWork` fit in `seconds` at `rate`: at least 1 (a tab with no record
 * gets one unit to measure it by), at most `cap`.
 */
export function unitsForSeconds(
  rate: number | null,
  unitWork: number,
  seconds: number,
  cap: number,
): number {
  if (rate === null || !(unitWork > 0)) return 1;
  return Math.max(1, Math.min(cap, Math.floor((rate * seconds) / unitWork)));
}
