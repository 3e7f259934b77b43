// A time series with a fixed memory bound and sequence numbers, so a broadcast can carry only
// the points added since the previous one. Two ways to stay bounded:
// - 'window' drops the oldest point (throughput: the last N samples),
// - 'halve' drops every other point and doubles the spacing it accepts from then on
//   (a workload's estimate: the whole run's shape, at coarser resolution as it grows). The last
//   point moves forward with each new value until it is that spacing past its predecessor, so
//   the series always ends at the current value.
export type OverflowPolicy = 'window' | 'halve';

interface Entry<P> {
  seq: number;
  point: P;
}

export class BoundedSeries<P extends { t: number }> {
  private entries: Array<Entry<P>> = [];
  private seq = 0;
  /** 'halve' only: the spacing the last point must reach before a new point is appended. */
  private minGapMs = 0;

  constructor(
    readonly capacity: number,
    readonly policy: OverflowPolicy,
  ) {
    if (!Number.isInteger(capacity) || capacity < 4) throw new RangeError('capacity must be >= 4');
  }

  /** The sequence number of the newest change; pass it to since() later for what came after. */
  get mark(): number {
    return this.seq;
  }

  get length(): number {
    return this.entries.length;
  }

  last(): P | undefined {
    return this.entries.at(-1)?.point;
  }

  push(point: P): void {
    const last = this.entries.at(-1);
    const beforeLast = this.entries.at(-2);
    this.seq += 1;
    // Same instant (a clock that did not move), or under 'halve' a last point still closer
    // than the spacing to its predecessor: it moves forward to the new value instead.
    if (
      last &&
      (point.t <= last.point.t ||
        (this.minGapMs > 0 && beforeLast && last.point.t - beforeLast.point.t < this.minGapMs))
    ) {
      last.point = { ...point, t: Math.max(point.t, last.point.t) };
      last.seq = this.seq;
      return;
    }
    this.entries.push({ seq: this.seq, point });
    if (this.entries.length <= this.capacity) return;
    if (this.policy === 'window') {
      this.entries.shift();
      return;
    }
    const kept = this.entries.filter((_, i) => i % 2 === 0);
    if (kept.at(-1) !== this.entries.at(-1)) kept.push(this.entries.at(-1)!);
    this.entries = kept;
    const first = kept[0]!.point.t;
    const lastT = kept.at(-1)!.point.t;
    this.minGapMs = Math.max(this.minGapMs * 2, (lastT - first) / kept.length);
  }

  all(): P[] {
    return this.entries.map((e) => e.point);
  }

  /** Points added or updated after `mark` (a value of `this.mark` taken earlier). */
  since(mark: number): P[] {
    const out: P[] = [];
    for (const e of this.entries) if (e.seq > mark) out.push(e.point);
    return out;
  }
}
