// How the tab's lanes ask the coordinator for work. A request that finds none is held by the
// coordinator up to REQUEST_HOLD_MS (server/SPEC.md L13), so the next training round's units come
// in its reply; a pause ends the holds (unit:wait-cancel) and a stop does not wait for an answer.
// A request answered empty is followed by a wait of retryAfterMs that a 'work:available' push
// (L10) cuts short, also one that came while the request was out.
import { attachmentsOf, type Lease } from '@tessera/shared/protocol/volunteerProtocol';
import { abortableSleep, untilAborted } from './abortableSleep';
import { REQUEST_TIMEOUT_MS, type CoordinatorConnection } from './coordinatorConnection';

/**
 * How long the coordinator may hold a request that finds no work (server/SPEC.md L13): units
 * that appear meanwhile (the next training round) come in its reply, with no push and no second
 * request. A pause ends the hold at once (unit:wait-cancel).
 */
export const REQUEST_HOLD_MS = 10_000;
/** Before a held request shows the tab as waiting for work (a request answered sooner does not). */
export const WAITING_SHOWN_AFTER_MS = 300;
/** How long a pausing tab waits for the coordinator to hear that its holds are cancelled. */
const CANCEL_TIMEOUT_MS = 1_000;

export class WorkRequests {
  /** Lanes waiting for work; aborting one's controller ends its wait early. */
  private readonly waiting = new Set<AbortController>();
  /** 'work:available' pushes so far: one that came while a request was out is not lost. */
  private wakeUps = 0;
  /** unit:requests out now (each may be held by the coordinator). */
  private asking = 0;

  constructor(
    private readonly connection: Pick<CoordinatorConnection, 'request'>,
    /** A request has been held a while: the tab has no work now. */
    private readonly noWorkYet: () => void,
  ) {}

  /** The pushes heard so far: read before asking, pass to waitForWork. */
  get epoch(): number {
    return this.wakeUps;
  }

  /**
   * The coordinator's 'work:available' push: new units exist, so lanes waiting for work ask
   * now rather than after retryAfterMs (between training rounds that wait is most of a round).
   */
  workAvailable(): void {
    this.wakeUps += 1;
    for (const wait of this.waiting) wait.abort();
  }

  /**
   * One unit:request for up to `maxUnits`, held by the coordinator up to REQUEST_HOLD_MS while
   * there is no work. A stop does not wait for the answer (units that come after it go back
   * when the connection closes, L5).
   */
  async ask(
    maxUnits: number,
    signal: AbortSignal,
  ): Promise<{ leases: Lease[]; retryAfterMs: number; attachments: Map<string, ArrayBuffer> }> {
    this.asking += 1;
    const showWaiting = setTimeout(this.noWorkYet, WAITING_SHOWN_AFTER_MS);
    try {
      const reply = await untilAborted(
        this.connection.request(
          'unit:request',
          { ...(maxUnits > 1 ? { maxUnits } : {}), waitMs: REQUEST_HOLD_MS },
          REQUEST_TIMEOUT_MS + REQUEST_HOLD_MS,
        ),
        signal,
      );
      const leases = reply.leases ?? (reply.lease ? [reply.lease] : []);
      return { leases, retryAfterMs: reply.retryAfterMs, attachments: attachmentsOf(reply) };
    } finally {
      clearTimeout(showWaiting);
      this.asking -= 1;
    }
  }

  /** The tab paused: held requests answer empty now. Best effort; a reply already sent stands. */
  cancelHeld(): void {
    if (this.asking === 0) return;
    this.connection.request('unit:wait-cancel', {}, CANCEL_TIMEOUT_MS).catch(() => undefined);
  }

  /**
   * Sleeps `ms`, or less when work was announced since `epoch`; rejects only when `signal`
   * aborts.
   */
  async waitForWork(ms: number, signal: AbortSignal, epoch: number): Promise<void> {
    if (signal.aborted) throw signal.reason;
    if (this.wakeUps !== epoch) return;
    const wait = new AbortController();
    const stop = () => wait.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.waiting.add(wait);
    try {
      await abortableSleep(ms, wait.signal);
    } catch (error) {
      if (signal.aborted) throw error;
    } finally {
      this.waiting.delete(wait);
      signal.removeEventListener('abort', stop);
    }
    if (signal.aborted) throw signal.reason;
  }
}
