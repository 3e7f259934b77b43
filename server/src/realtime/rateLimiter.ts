// A token bucket per connection: a flood of events is refused, not served.
import type { Clock } from '../clock';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly capacity: number,
    private readonly refillPerSecond: number,
  ) {
    this.tokens = capacity;
    this.last = clock.now();
  }

  /** Takes `count` tokens (an event's cost) if there are that many; takes nothing otherwise. */
  take(count = 1): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.last) / 1000) * this.refillPerSecond,
    );
    this.last = now;
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }
}
