// The results of one leased batch on their way back: collected as its units finish and sent
// together in one unit:results event when the batch is done, when the oldest unsent result has
// waited RESULT_FLUSH_MS, or at once when the tab stops or pauses (the unit loop says when).
// Each result's promise settles with its own item's reply; a send that fails as a whole (no
// answer, the event refused) fails every result it carried.
import {
  MAX_RESULTS_PER_EVENT,
  type ResultItemReply,
  type UnitResult,
} from '@tessera/shared/protocol/volunteerProtocol';
import { ERROR_CODES } from '@tessera/shared/errors';
import type { CoordinatorConnection } from './coordinatorConnection';
import { CoordinatorRefusedError } from './volunteerErrors';

/**
 * The longest a finished result waits for the rest of its batch. Short beside any lease (the
 * coordinator's are minutes, and the unit's lease is renewed meanwhile), long beside a GPU
 * unit, so a fast batch still goes in one event.
 */
export const RESULT_FLUSH_MS = 1_000;

interface Unsent {
  item: UnitResult;
  answered(reply: ResultItemReply): void;
  failed(error: unknown): void;
}

export class ResultBatch {
  private unsent: Unsent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly connection: Pick<CoordinatorConnection, 'request'>,
    private readonly flushMs = RESULT_FLUSH_MS,
  ) {}

  /** Queues one result; resolves with its item's reply once the event it went in is answered. */
  add(item: UnitResult): Promise<ResultItemReply> {
    return new Promise((answered, failed) => {
      this.unsent.push({ item, answered, failed });
      if (this.unsent.length >= MAX_RESULTS_PER_EVENT) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
    });
  }

  /** Sends what is queued now, if anything; `timeoutMs` bounds the wait for the ack. */
  flush(timeoutMs?: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.unsent;
    this.unsent = [];
    if (batch.length === 0) return;
    const send: Promise<void> = this.send(batch, timeoutMs).finally(() =>
      this.sending.delete(send),
    );
    this.sending.add(send);
  }

  /** Sends what is queued and resolves once every event sent so far is answered or failed. */
  async drain(timeoutMs?: number): Promise<void> {
    this.flush(timeoutMs);
    await Promise.all(this.sending);
  }

  private async send(batch: Unsent[], timeoutMs: number | undefined): Promise<void> {
    try {
      const { replies } = await this.connection.request(
        'unit:results',
        { results: batch.map((u) => u.item) },
        timeoutMs,
      );
      batch.forEach((u, i) => {
        const reply = replies[i];
        if (reply) u.answered(reply);
        else
          u.failed(new CoordinatorRefusedError(ERROR_CODES.internal, 'no reply for this result'));
      });
    } catch (error) {
      for (const u of batch) u.failed(error);
    }
  }
}
