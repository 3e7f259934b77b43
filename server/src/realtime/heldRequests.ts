// [L13] Lease requests held until work appears (long polling, as SQS's WaitTimeSeconds): a
// `unit:request` with `waitMs` that finds nothing waits here for the next wake-up (the one that
// also pushes `work:available` to idle tabs, L10, from this node or another) and asks again, so a
// tab waiting between gradient rounds gets its units one message after the round opens instead
// of a push, a request and its reply. Real time, not the coordinator's clock: a hold is a
// transport matter, never part of a lease's state.

export type HoldEnd = 'woken' | 'timeout' | 'closed' | 'cancelled';

interface Waiter {
  end(why: HoldEnd): void;
}

export class HeldRequests {
  /** Counts wake-ups: a request that began before one looks again instead of waiting. */
  private wakeUps = 0;
  private readonly byConnection = new Map<string, Set<Waiter>>();

  /** The wake-up count now; pass it to `wait` to catch a wake-up that came in between. */
  get epoch(): number {
    return this.wakeUps;
  }

  /** Requests held now, over every connection. */
  get size(): number {
    let n = 0;
    for (const set of this.byConnection.values()) n += set.size;
    return n;
  }

  /** Requests `connectionId` has held now. */
  heldBy(connectionId: string): number {
    return this.byConnection.get(connectionId)?.size ?? 0;
  }

  /** Work may have appeared: every held request looks again. */
  wake(): void {
    this.wakeUps += 1;
    for (const connectionId of [...this.byConnection.keys()]) this.end(connectionId, 'woken');
  }

  /** The connection closed: its held requests end at once. */
  drop(connectionId: string): void {
    this.end(connectionId, 'closed');
  }

  /** The tab asked to stop waiting (it paused): its held requests end now; how many there were. */
  cancel(connectionId: string): number {
    const held = this.heldBy(connectionId);
    this.end(connectionId, 'cancelled');
    return held;
  }

  /**
   * Waits up to `ms` for a wake-up. Resolves 'woken' at once when one came after `since` (an
   * `epoch` read before the request last looked), so none falls between looking and waiting.
   */
  wait(connectionId: string, ms: number, since: number): Promise<HoldEnd> {
    if (since !== this.wakeUps) return Promise.resolve('woken');
    if (ms <= 0) return Promise.resolve('timeout');
    return new Promise<HoldEnd>((resolve) => {
      let set = this.byConnection.get(connectionId);
      if (!set) {
        set = new Set();
        this.byConnection.set(connectionId, set);
      }
      const held = set;
      const timer = setTimeout(() => waiter.end('timeout'), ms);
      const waiter: Waiter = {
        end: (why) => {
          clearTimeout(timer);
          held.delete(waiter);
          if (held.size === 0 && this.byConnection.get(connectionId) === held) {
            this.byConnection.delete(connectionId);
          }
          resolve(why);
        },
      };
      held.add(waiter);
    });
  }

  private end(connectionId: string, why: HoldEnd): void {
    const set = this.byConnection.get(connectionId);
    if (!set) return;
    for (const waiter of [...set]) waiter.end(why);
  }
}
