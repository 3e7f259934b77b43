// What a simulated volunteer (simulatedVolunteer.ts) can be told to be and what it counts: the
// behaviors, honest and hostile, the options that tune them, and the tally a run reads back.
import type { Backend, Lease } from '@tessera/shared';
import type { ColluderBlackboard } from './coordinatedAttack';

export const BEHAVIORS = [
  'honest',
  'liar',
  'vanish',
  'stall',
  'randomLiar',
  'colluder',
  'flaky',
  'slow',
  'flood',
  'timedColluder',
  'errorSaboteur',
  'broken',
] as const;
/**
 * honest: computes and returns every unit. liar: returns a plausible wrong answer.
 * vanish: disconnects as soon as it holds a lease (a closed tab). stall: keeps its lease
 * without ever answering (a frozen tab), so only the deadline brings the unit back.
 * The hostile-volunteer simulator's cast (seeded by `random`):
 * randomLiar: on a `lieRate` share of units returns a random plausible wrong answer of its own.
 * colluder: returns the liar's wrong answer, the same one every colluder returns for that unit,
 * on the units a shared function of the unit picks (colluders agree out of band which to forge).
 * flaky: closes the tab mid-unit on a `closeRate` share of units, comes back later with the same
 * identity. slow: answers late, near or past the lease deadline, and never renews.
 * flood: computes honestly, then sends a burst of duplicate, replayed, foreign and malformed
 * events after every unit; dropped by the coordinator, it comes back.
 * The coordinated attacks (coordinatedAttack.ts):
 * timedColluder: shares a blackboard with the others; holds each replica until an honest result
 * for its unit is in, then lies, or agrees with the lie another colluder told first; hands back
 * (as a kernel failure) a replica no honest result follows. When the ring names it, its tabs ask
 * for units at once to take a contested unit's next replica.
 * errorSaboteur: reports every unit it leases as failed (`unit:error`), as fast as the event rate
 * limit allows. broken: an honest tab whose kernel fails on every unit; it reports each failure at
 * its own pace, as a real tab would.
 */
export type Behavior = (typeof BEHAVIORS)[number];

export interface SimulatedVolunteerOptions {
  url: string;
  behavior?: Behavior;
  displayName?: string;
  credentials?: { volunteerId: string; secret: string };
  /** Pause between "no work" polls; defaults to what the coordinator says. */
  idleMs?: number;
  ackTimeoutMs?: number;
  /**
   * Reconnect after the coordinator goes away (a restart), with backoff, keeping the identity,
   * like a real tab. Off by default: tests of disconnects want the connection to stay closed.
   */
  reconnect?: boolean;
  /** What its hello says it computes with. Default 'cpu'. */
  backend?: Backend;
  /**
   * Its device: the true result of a lease (a kernel on Dawn, a port with other rounding).
   * Default: the estimator's TypeScript reference, with blocks.
   */
  compute?: (lease: Lease) => unknown;
  /** Units it takes per request at most; the coordinator sizes the batch to its speed. Default 1. */
  maxUnits?: number;
  /**
   * How an honest or lying volunteer returns a batch of more than one lease: 'batch' computes
   * the whole batch and returns it in one unit:results event; 'single' returns each unit in its
   * own unit:result as soon as it is computed (the old wire, for tests that watch each result
   * land). A lease of one unit always goes back in a unit:result. Default 'batch'.
   */
  resultEvents?: 'batch' | 'single';
  /** Milliseconds to hold each finished result before returning it (arrival-order tests). */
  resultDelayMs?: () => number;
  /** Seeded draws for the behaviors that choose; each volunteer should get its own stream. */
  random?: () => number;
  /** randomLiar, colluder: the share of units lied on. Default 1 (every unit). */
  lieRate?: number;
  /** flaky: the chance per unit of closing the tab mid-unit. Default 0.3. */
  closeRate?: number;
  /** flaky, flood: how long a closed or dropped tab stays away, [min, max] ms. Default [100, 1000]. */
  offlineMs?: readonly [number, number];
  /** slow: time per unit as a share of the lease duration, [min, max]. Default [0.5, 1.25]. */
  slowness?: readonly [number, number];
  /** flood: hostile events sent in one burst after each unit. Default 20. */
  floodBurst?: number;
  /**
   * The hostile harness's shared knowledge (coordinatedAttack.ts): timedColluders read it, honest
   * volunteers post each result the coordinator acknowledged to it.
   */
  blackboard?: ColluderBlackboard;
  /** timedColluder: how long it waits for an honest result before handing back. Default 2 s. */
  holdMs?: number;
  /** timedColluder: requests each tab sends when named to take a contested unit. Default 3. */
  snipeRequests?: number;
  /** errorSaboteur: the events per second it holds itself to. Default 80 (the limit is 100). */
  eventsPerSecond?: number;
}

export interface VolunteerTally {
  leases: number;
  results: number;
  valid: number;
  invalid: number;
  pending: number;
  refused: Record<string, number>;
  /** Tabs this volunteer closed mid-unit (flaky). */
  closed: number;
  /** Connections the coordinator closed on it (a flood past the refusal limit). */
  dropped: number;
  /** Hostile events sent (flood), and how the coordinator answered them, by error code. */
  flooded: number;
  floodAnswers: Record<string, number>;
  /** Units reported failed (`unit:error`) and acknowledged (errorSaboteur, broken, hand-backs). */
  errorsReported: number;
}

/** A tally with nothing counted yet. */
export function emptyTally(): VolunteerTally {
  return {
    leases: 0,
    results: 0,
    valid: 0,
    invalid: 0,
    pending: 0,
    refused: {},
    closed: 0,
    dropped: 0,
    flooded: 0,
    floodAnswers: {},
    errorsReported: 0,
  };
}
