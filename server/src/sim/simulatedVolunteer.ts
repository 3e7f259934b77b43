// A volunteer in Node: a real socket.io connection speaking the real protocol, computing units
// with the TypeScript reference kernels. Integration tests, the benchmark and the hostile-volunteer
// simulator drive these; a behavior makes one lie, vanish mid-unit, stall or fail on purpose.
// The results of a leased batch go back together in one unit:results event, as a GPU tab's do.
// This file is the work loop: lease, do what the behavior says, return. The connection is
// volunteerConnection.ts, the behaviors and options volunteerBehaviors.ts, the answers
// volunteerAnswers.ts, the flood eventFlood.ts and the timed colluder timedColluderTab.ts.
import type { Lease, ResultsReply, UnitRequestReply, UnitResult } from '@tessera/shared';
import { floodBurst, type ReturnedResult } from './eventFlood';
import { TimedColluderTab } from './timedColluderTab';
import { claimedAnswer, referenceResult } from './volunteerAnswers';
import type { SimulatedVolunteerOptions } from './volunteerBehaviors';
import { VolunteerConnection } from './volunteerConnection';

export {
  BEHAVIORS,
  type Behavior,
  type SimulatedVolunteerOptions,
  type VolunteerTally,
} from './volunteerBehaviors';
export { colluderPick, randomWrongAnswer, referenceResult } from './volunteerAnswers';

/** How long a volunteer waits after the coordinator says RATE_LIMITED or SUSPENDED. */
export const RATE_LIMIT_BACKOFF_MS = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SimulatedVolunteer extends VolunteerConnection {
  /** Units per lease request, in order: how the coordinator sized this volunteer's work. */
  readonly batches: number[] = [];

  /** flood: results this volunteer returned before, replayed later. */
  private readonly history: ReturnedResult[] = [];
  /** timedColluder: its play with the ring (null for every other behavior). */
  private readonly colluder: TimedColluderTab | null;

  constructor(options: SimulatedVolunteerOptions) {
    super(options);
    this.colluder =
      this.behavior === 'timedColluder'
        ? new TimedColluderTab(this, options.blackboard!, options)
        : null;
  }

  /**
   * Computes the answer this volunteer will claim for a lease: the true result by its device
   * (`compute`, or the TypeScript reference with its blocks), or its behavior's lie.
   */
  async answer(lease: Lease): Promise<unknown> {
    const truth = this.options.compute
      ? ((await this.options.compute(lease)) as Record<string, unknown>)
      : referenceResult(lease);
    return claimedAnswer(this.behavior, lease, truth, this.random, this.options.lieRate ?? 1);
  }

  /** Takes and runs units until `until()` is true, the connection drops, or stop() is called. */
  async run(until: () => boolean = () => false): Promise<void> {
    const stopSniping = this.colluder?.snipeWhenNamed() ?? null;
    try {
      await this.loop(until);
    } finally {
      stopSniping?.();
      await this.colluder?.settled();
    }
  }

  private async loop(until: () => boolean): Promise<void> {
    while (!this.stopped && !until() && this.socket) {
      if (!this.socket.connected) {
        // A flooder dropped by the coordinator opens a new tab with the same identity.
        if (this.behavior === 'flood') {
          await this.rejoin();
          continue;
        }
        // Closed for good without reconnection; with it, wait for the next hello.
        if (!this.options.reconnect) return;
        await Promise.race([this.greeted, sleep(100)]);
        continue;
      }
      const reply = await this.call<UnitRequestReply>(
        'unit:request',
        this.options.maxUnits ? { maxUnits: this.options.maxUnits } : {},
      );
      if (!reply.ok) {
        this.count(reply.error.code);
        // Told to slow down, or the store is out of reach for a moment: back off for a while,
        // as the browser client does.
        await sleep(
          ['RATE_LIMITED', 'SUSPENDED', 'UNAVAILABLE'].includes(reply.error.code)
            ? RATE_LIMIT_BACKOFF_MS
            : (this.options.idleMs ?? 50),
        );
        continue;
      }
      if (!reply.lease) {
        await sleep(this.options.idleMs ?? reply.retryAfterMs);
        continue;
      }
      this.batches.push(reply.leases.length);
      if (reply.leases.length > 1 && this.returnsBatches()) {
        await this.workBatch(reply.leases);
        continue;
      }
      for (const lease of reply.leases) {
        this.tally.leases += 1;
        await this.work(lease);
        if (this.stopped || !this.socket) break;
      }
    }
  }

  private async work(lease: Lease): Promise<void> {
    switch (this.behavior) {
      case 'vanish':
        this.close();
        return;
      case 'stall':
        // Holds the lease and never answers: only the deadline sweep brings the unit back.
        while (!this.stopped && this.socket?.connected) await sleep(50);
        return;
      case 'flaky':
        if (this.random() < (this.options.closeRate ?? 0.3)) {
          // Closed mid-unit: the computation is lost with the tab; the unit goes back at once.
          await sleep(this.random() * 20);
          this.tally.closed += 1;
          await this.rejoin();
          return;
        }
        await this.submit(lease, await this.answer(lease), performance.now());
        return;
      case 'slow': {
        const started = performance.now();
        const result = await this.answer(lease);
        const [lo, hi] = this.options.slowness ?? [0.5, 1.25];
        await sleep(lease.leaseDurationMs * (lo + (hi - lo) * this.random()));
        await this.submit(lease, result, started);
        return;
      }
      case 'flood': {
        const started = performance.now();
        const result = await this.answer(lease);
        await this.submit(lease, result, started);
        const burst = this.options.floodBurst ?? 20;
        await floodBurst(this, lease, result, this.history, this.random, burst);
        this.history.push({ replicaId: lease.replicaId, result });
        return;
      }
      case 'timedColluder':
        await this.colluder!.collude(lease);
        return;
      case 'errorSaboteur':
        await this.fail(lease);
        return;
      case 'broken': {
        // The kernel runs, then fails: the failure comes at the pace a result would.
        const delay = this.options.resultDelayMs?.() ?? 0;
        if (delay > 0) await sleep(delay);
        await this.fail(lease);
        return;
      }
      case 'randomLiar':
      case 'colluder':
      case 'honest':
      case 'liar': {
        const started = performance.now();
        const result = await this.answer(lease);
        const delay = this.options.resultDelayMs?.() ?? 0;
        if (delay > 0) await sleep(delay);
        if (this.options.reconnect) await Promise.race([this.greeted, sleep(5_000)]);
        await this.submit(lease, result, started);
      }
    }
  }

  /** Only the behaviors that compute and answer every unit batch their results. */
  private returnsBatches(): boolean {
    if (this.options.resultEvents === 'single') return false;
    switch (this.behavior) {
      case 'honest':
      case 'liar':
      case 'randomLiar':
      case 'colluder':
        return true;
      default:
        return false;
    }
  }

  /**
   * Computes a batch of leases in order, then returns every result in one unit:results event.
   * Stopped midway, it returns what it has computed; the rest stay leased until the deadline.
   */
  private async workBatch(leases: readonly Lease[]): Promise<void> {
    const done: Array<{ lease: Lease; item: UnitResult }> = [];
    for (const lease of leases) {
      this.tally.leases += 1;
      const started = performance.now();
      const result = await this.answer(lease);
      const delay = this.options.resultDelayMs?.() ?? 0;
      if (delay > 0) await sleep(delay);
      const elapsedMs = performance.now() - started;
      done.push({ lease, item: { replicaId: lease.replicaId, result, elapsedMs } });
      if (this.stopped || !this.socket) break;
    }
    if (this.options.reconnect) await Promise.race([this.greeted, sleep(5_000)]);
    const reply = await this.call<ResultsReply>('unit:results', {
      results: done.map((d) => d.item),
    });
    done.forEach(({ lease }, i) => {
      // A refused event refuses every item in it.
      this.record(lease, reply.ok ? reply.replies[i]! : reply);
    });
  }
}
