// Coordinated attacks (issue "Trust under coordinated attack") for the hostile-volunteer
// simulator and the scenario tests: what timed colluders share and how they decide, and how fast
// an error saboteur may go. SimulatedVolunteer speaks the protocol; this file holds the hostile
// harness's knowledge and the colluders' decision, so both can be read and tested apart from
// sockets.
//
// Timed colluders share a blackboard. A colluder that leases a replica holds its answer until an
// honest result for the same unit is known to be in (the harness runs the honest volunteers too
// and posts each honest result the coordinator acknowledged: what a colluder learns from a sybil
// beside an honest tab, or from any side channel), then lies. The unit is now contested and
// wants another replica, which a second colluder rushes to lease and fills with the same wrong
// answer: a deterministic corruption of the true result, so every colluder forges the same value.
// A colluder never answers a unit no honest result follows in time (another colluder may hold the
// other replica): it hands the replica back as a kernel failure, so every result it returns is a
// lie and any credit it holds was earned by lying. It hands back only after waiting, never at
// once: a ring that bounced units back as fast as it leased them would be an error saboteur,
// which is another attack (and another test).
import type { Lease } from '@tessera/shared';

export type UnitRef = Pick<Lease, 'workloadId' | 'unitIndex'>;

export const unitKey = (unit: UnitRef): string => `${unit.workloadId}:${unit.unitIndex}`;

/** How long a timed colluder waits for an honest result before handing its replica back. */
export const DEFAULT_HOLD_MS = 2_000;
/** Lease requests each tab of the named partner sends to catch a contested unit's next replica. */
export const DEFAULT_SNIPE_REQUESTS = 3;
/**
 * The error saboteur's pace: events per second per connection, under the coordinator's own limit
 * (EVENTS_PER_SECOND = 100 in realtime/volunteerNamespace.ts), so it is never refused for its
 * rate alone: a refusal it meets is the coordinator throttling it on purpose.
 */
export const SABOTEUR_EVENTS_PER_SECOND = 80;

/** What the tabs of a misbehaving volunteer report as their failure (`unit:error`). */
export const KERNEL_FAILURE = {
  name: 'OperationError',
  message: 'the GPU device was lost while the kernel ran',
} as const;

/**
 * Plausible but wrong, and the same for everyone who corrupts the same result: passes the schema
 * and range checks, only a replica (or the coordinator's own reference) can catch it. A result
 * with blocks (R9) gets the same one-step change in one block, so its totals stay the sum of its
 * blocks: the subtlest lie, which a sub-range check catches only when it picks that block.
 */
export function plausibleWrongAnswer(result: Record<string, unknown>): Record<string, unknown> {
  const forged = forgeTotals(result);
  const blocks = Array.isArray(result.blocks) ? (result.blocks as Record<string, unknown>[]) : null;
  if (!blocks || blocks.length === 0) return forged;
  // The block changed the same way as the totals: one that is not zero when the totals are not.
  const zero = isZeroResult(result);
  const i = Math.max(
    0,
    blocks.findIndex((b) => isZeroResult(b) === zero),
  );
  return { ...forged, blocks: blocks.map((b, j) => (j === i ? forgeTotals(b) : b)) };
}

function isZeroResult(result: Record<string, unknown>): boolean {
  return result.hits === 0 || result.sum === '0' || result.sumE === 0;
}

function forgeTotals(result: Record<string, unknown>): Record<string, unknown> {
  if (typeof result.hits === 'number')
    return { ...result, hits: result.hits > 0 ? result.hits - 1 : result.hits + 1 };
  // ising-2d: Σ E moved 4 toward 0 keeps it a multiple of 4 and inside Cauchy–Schwarz.
  if (typeof result.sumE === 'number')
    return { ...result, sumE: result.sumE + (result.sumE < 0 ? 4 : -4) };
  // european-option: a payoff sum one unit (spot * 2^-40) away stays inside every bound.
  if (typeof result.sum === 'string')
    return {
      ...result,
      sum: (result.sum === '0' ? 1n : BigInt(result.sum) - 1n).toString(),
    };
  return result;
}

/** What the ring did, for the simulator's report and the tests' sanity checks. */
export interface RingFigures {
  /** Honest results the harness posted (acknowledged by the coordinator). */
  honestReturns: number;
  /** Units a colluder lied on first, after an honest result was in. */
  lies: number;
  /** Replicas a colluder filled with the lie another colluder told first. */
  agreements: number;
  /** Replicas handed back because no honest result followed. */
  handedBack: number;
  /** Extra lease requests sent to catch a contested unit's next replica. */
  snipes: number;
}

export class ColluderBlackboard {
  readonly figures: RingFigures = {
    honestReturns: 0,
    lies: 0,
    agreements: 0,
    handedBack: 0,
    snipes: 0,
  };
  private readonly honest = new Set<string>();
  private readonly forged = new Map<string, Record<string, unknown>>();
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly ring: string[] = [];
  private readonly listeners = new Set<(partner: string) => void>();
  private turn = 0;

  /** A colluder identity joins the ring (once, however many tabs it runs). */
  join(volunteerId: string): void {
    if (!this.ring.includes(volunteerId)) this.ring.push(volunteerId);
  }

  /** The harness saw the coordinator acknowledge an honest result for this unit. */
  honestReturned(unit: UnitRef): void {
    const key = unitKey(unit);
    this.figures.honestReturns += 1;
    this.honest.add(key);
    this.wake(key);
  }

  hasHonest(unit: UnitRef): boolean {
    return this.honest.has(unitKey(unit));
  }

  /** The wrong answer a colluder already told for this unit, if any. */
  forgery(unit: UnitRef): Record<string, unknown> | undefined {
    return this.forged.get(unitKey(unit));
  }

  /** Fixes the unit's wrong answer (the first liar's), or returns the one already fixed. */
  forge(unit: UnitRef, truth: Record<string, unknown>): Record<string, unknown> {
    const key = unitKey(unit);
    let lie = this.forged.get(key);
    if (!lie) {
      lie = plausibleWrongAnswer(truth);
      this.forged.set(key, lie);
      this.wake(key);
    }
    return lie;
  }

  /**
   * Resolves once an honest result for the unit is in or a colluder forged it: true then, false
   * after `ms` without either.
   */
  settledWithin(unit: UnitRef, ms: number): Promise<boolean> {
    const key = unitKey(unit);
    if (this.honest.has(key) || this.forged.has(key)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const watchers = this.watchers.get(key) ?? new Set<() => void>();
      this.watchers.set(key, watchers);
      const done = (settled: boolean) => {
        clearTimeout(timer);
        watchers.delete(wake);
        if (watchers.size === 0) this.watchers.delete(key);
        resolve(settled);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      watchers.add(wake);
    });
  }

  /**
   * A colluder lied on a contested unit: the next colluder of the ring (never the liar, who may
   * not hold two replicas of one unit) is told to take the unit's next replica.
   */
  contested(liar: string): void {
    const partners = this.ring.filter((id) => id !== liar);
    if (partners.length === 0) return;
    const partner = partners[this.turn++ % partners.length]!;
    for (const listener of this.listeners) listener(partner);
  }

  /** Calls `listener` with the partner named for each contested unit; returns the unsubscribe. */
  onContested(listener: (partner: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private wake(key: string): void {
    for (const wake of [...(this.watchers.get(key) ?? [])]) wake();
  }
}

export type ColluderMove =
  | {
      kind: 'answer';
      result: Record<string, unknown>;
      role: 'first-liar' | 'agreeing' | 'truthful';
    }
  | { kind: 'hand-back'; reason: string };

/**
 * What a timed colluder does with a replica it leased, once it knows what it knows: agree with a
 * lie already told, lie once an honest result is in, or hand the replica back. `lies` false (a
 * unit outside the ring's lie rate) answers the truth at once.
 */
export async function timedColluderMove(
  board: ColluderBlackboard,
  unit: UnitRef,
  truth: Record<string, unknown>,
  options: { holdMs: number; lies: boolean },
): Promise<ColluderMove> {
  const agreeing = (result: Record<string, unknown>): ColluderMove => {
    board.figures.agreements += 1;
    return { kind: 'answer', result, role: 'agreeing' };
  };
  const handBack = (reason: string): ColluderMove => {
    board.figures.handedBack += 1;
    return { kind: 'hand-back', reason };
  };
  const told = board.forgery(unit);
  if (told) return agreeing(told);
  if (!options.lies) return { kind: 'answer', result: truth, role: 'truthful' };
  await board.settledWithin(unit, options.holdMs);
  const toldMeanwhile = board.forgery(unit);
  if (toldMeanwhile) return agreeing(toldMeanwhile);
  if (!board.hasHonest(unit)) return handBack(`no honest result within ${options.holdMs} ms`);
  board.figures.lies += 1;
  return { kind: 'answer', result: board.forge(unit, truth), role: 'first-liar' };
}

/** Spaces calls `1000 / perSecond` ms apart: as fast as a rate allows, never over it. */
export class EventPacer {
  private next = 0;
  private readonly intervalMs: number;

  constructor(perSecond: number) {
    if (!(perSecond > 0)) throw new RangeError(`events per second must be > 0, got ${perSecond}`);
    this.intervalMs = 1000 / perSecond;
  }

  /** Resolves when the next event may go. */
  async turn(): Promise<void> {
    const now = performance.now();
    const at = Math.max(now, this.next);
    this.next = at + this.intervalMs;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}
