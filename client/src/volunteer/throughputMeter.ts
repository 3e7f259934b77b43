// Work per second of compute over the last few units: what the tab's device achieves while it
// computes, so waiting for work does not drag the figure down and one slow unit does not
// dominate it.
export const THROUGHPUT_WINDOW_UNITS = 8;

export class ThroughputMeter {
  private readonly recent: { work: number; elapsedMs: number }[] = [];

  record(work: number, elapsedMs: number): void {
    this.recent.push({ work, elapsedMs });
    if (this.recent.length > THROUGHPUT_WINDOW_UNITS) this.recent.shift();
  }

  /** Null until a unit has been timed. */
  workPerSecond(): number | null {
    let work = 0;
    let elapsedMs = 0;
    for (const unit of this.recent) {
      work += unit.work;
      elapsedMs += unit.elapsedMs;
    }
    return elapsedMs > 0 ? (work * 1000) / elapsedMs : null;
  }
}
