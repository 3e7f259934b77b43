// The timed colluder's side of a simulated volunteer (behavior 'timedColluder'): each replica it
// leases is played with the ring's decision (timedColluderMove in coordinatedAttack.ts), and when
// the ring names this identity its tabs rush to lease a contested unit's next replica.
import type { Lease, UnitRequestReply } from '@tessera/shared';
import {
  DEFAULT_HOLD_MS,
  DEFAULT_SNIPE_REQUESTS,
  timedColluderMove,
  type ColluderBlackboard,
} from './coordinatedAttack';
import { colluderPick, referenceResult } from './volunteerAnswers';
import type { SimulatedVolunteerOptions } from './volunteerBehaviors';
import type { VolunteerConnection } from './volunteerConnection';

/** The volunteer's options the colluder reads (their defaults are in volunteerBehaviors.ts). */
export type TimedColluderOptions = Pick<
  SimulatedVolunteerOptions,
  'holdMs' | 'lieRate' | 'snipeRequests'
>;

export class TimedColluderTab {
  /** Units leased to take a contested unit's next replica, still being handled. */
  private readonly sideWork = new Set<Promise<void>>();

  constructor(
    private readonly tab: VolunteerConnection,
    private readonly board: ColluderBlackboard,
    private readonly options: TimedColluderOptions,
  ) {}

  /** One replica, decided with the ring. */
  async collude(lease: Lease): Promise<void> {
    const board = this.board;
    const started = performance.now();
    const move = await timedColluderMove(board, lease, referenceResult(lease), {
      holdMs: this.options.holdMs ?? DEFAULT_HOLD_MS,
      lies: colluderPick(lease) < (this.options.lieRate ?? 1),
    });
    if (move.kind === 'hand-back') {
      // Disguised as what a real tab sends when its GPU goes away.
      await this.tab.fail(lease);
      return;
    }
    const reply = await this.tab.submit(lease, move.result, started);
    // The unit is contested now and wants another replica: a partner should take it.
    if (move.role === 'first-liar' && reply.ok) board.contested(this.tab.volunteerId!);
  }

  /**
   * Whenever the ring names this identity to take a contested unit's next replica, each of its
   * tabs asks for units at once (beside the unit it may be holding). Returns the unsubscribe.
   */
  snipeWhenNamed(): () => void {
    const board = this.board;
    return board.onContested((partner) => {
      if (partner !== this.tab.volunteerId || !this.tab.isLive()) return;
      for (let i = 0; i < (this.options.snipeRequests ?? DEFAULT_SNIPE_REQUESTS); i++) {
        board.figures.snipes += 1;
        const job: Promise<void> = this.snipe().finally(() => this.sideWork.delete(job));
        this.sideWork.add(job);
      }
    });
  }

  /** Resolves once every unit leased by a snipe has been handled. */
  async settled(): Promise<void> {
    await Promise.all(this.sideWork);
  }

  private async snipe(): Promise<void> {
    const reply = await this.tab.call<UnitRequestReply>('unit:request', {});
    if (!reply.ok) {
      this.tab.count(reply.error.code);
      return;
    }
    for (const lease of reply.leases) {
      this.tab.tally.leases += 1;
      await this.collude(lease);
    }
  }
}
