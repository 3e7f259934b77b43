// A volunteer in Node: a real socket.io connection speaking the real protocol, computing units
// with the TypeScript reference kernels. Integration tests, the benchmark and the hostile-volunteer
// simulator drive these; a behavior makes one lie, vanish mid-unit, stall or fail on purpose.
// The results of a leased batch go back together in one unit:results event, as a GPU tab's do.
import { io, type Socket } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  estimatorFor,
  type Ack,
  type ClientToServerEvents,
  type HelloReply,
  type Lease,
  type ResultItemReply,
  type ResultReply,
  type ResultsReply,
  type ServerToClientEvents,
  type UnitRequestReply,
  type UnitResult,
} from '@tessera/shared';
import {
  DEFAULT_HOLD_MS,
  DEFAULT_SNIPE_REQUESTS,
  EventPacer,
  KERNEL_FAILURE,
  SABOTEUR_EVENTS_PER_SECOND,
  plausibleWrongAnswer,
  timedColluderMove,
  type ColluderBlackboard,
} from './coordinatedAttack';
import { mulberry32 } from './seededRandom';

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

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long a volunteer waits after the coordinator says RATE_LIMITED or SUSPENDED. */
export const RATE_LIMIT_BACKOFF_MS = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SimulatedVolunteer {
  readonly behavior: Behavior;
  readonly tally: VolunteerTally = {
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
  volunteerId: string | null = null;
  secret: string | null = null;
  credit = 0;
  private socket: ClientSocket | null = null;
  private stopped = false;
  /** Units per lease request, in order: how the coordinator sized this volunteer's work. */
  readonly batches: number[] = [];

  private readonly random: () => number;
  /** flood: results this volunteer returned before, replayed later. */
  private readonly history: Array<{ replicaId: number; result: unknown }> = [];
  /** errorSaboteur: keeps its events under the coordinator's rate limit. */
  private readonly pacer: EventPacer | null;
  /** timedColluder: units leased to take a contested unit's next replica, still being handled. */
  private readonly sideWork = new Set<Promise<void>>();

  constructor(private readonly options: SimulatedVolunteerOptions) {
    this.behavior = options.behavior ?? 'honest';
    this.random = options.random ?? mulberry32(1);
    if (this.behavior === 'timedColluder' && !options.blackboard) {
      throw new Error("a timedColluder needs the ring's blackboard (options.blackboard)");
    }
    this.pacer =
      this.behavior === 'errorSaboteur'
        ? new EventPacer(options.eventsPerSecond ?? SABOTEUR_EVENTS_PER_SECOND)
        : null;
  }

  async connect(): Promise<void> {
    const reconnect = this.options.reconnect ?? false;
    const socket: ClientSocket = io(`${this.options.url}${VOLUNTEER_NAMESPACE}`, {
      auth: { protocolVersion: PROTOCOL_VERSION },
      transports: ['websocket'],
      reconnection: reconnect,
      reconnectionDelay: 100,
      reconnectionDelayMax: 2_000,
      forceNew: true,
    });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    socket.on('credit', (summary) => {
      this.credit = summary.credit;
    });
    socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') this.tally.dropped += 1;
    });
    await this.hello();
    if (reconnect) {
      // The namespace's own 'connect' (not the manager's 'reconnect', which comes before the
      // namespace is ready): greet again with the same identity.
      socket.on('connect', () => {
        this.greeted = this.hello().catch(() => this.close());
      });
      socket.on('disconnect', () => {
        this.greeted = new Promise(() => undefined);
      });
    }
  }

  /** Settles once the current connection has said hello; replaced on every reconnection. */
  private greeted: Promise<void> = Promise.resolve();

  private async hello(): Promise<void> {
    const credentials =
      this.options.credentials ??
      (this.volunteerId && this.secret
        ? { volunteerId: this.volunteerId, secret: this.secret }
        : undefined);
    const reply = await this.call<HelloReply>('hello', {
      ...(credentials ? { credentials } : {}),
      ...(this.options.displayName ? { displayName: this.options.displayName } : {}),
      device: { backend: 'cpu', cores: 1 },
    });
    if (!reply.ok) throw new Error(`hello refused: ${reply.error.code} ${reply.error.message}`);
    this.volunteerId = reply.volunteer.volunteerId;
    this.secret = reply.secret ?? this.secret ?? this.options.credentials?.secret ?? null;
    this.credit = reply.volunteer.credit;
    if (this.behavior === 'timedColluder') this.options.blackboard!.join(this.volunteerId);
  }

  /** Sends one event with an ack; a dead connection or a timeout reads as an error reply. */
  async call<T>(event: keyof ClientToServerEvents, payload: unknown): Promise<Ack<T>> {
    if (this.pacer) await this.pacer.turn();
    const socket = this.socket;
    if (!socket?.connected)
      return { ok: false, error: { code: 'INTERNAL', message: 'not connected' } };
    try {
      return (await socket
        .timeout(this.options.ackTimeoutMs ?? 10_000)
        .emitWithAck(event, payload as never)) as Ack<T>;
    } catch {
      return { ok: false, error: { code: 'INTERNAL', message: `${event}: no answer` } };
    }
  }

  /** Computes the answer this volunteer will claim for a lease. */
  answer(lease: Lease): unknown {
    const result = referenceResult(lease);
    if (this.behavior === 'randomLiar') {
      const lies = this.random() < (this.options.lieRate ?? 1);
      return lies ? randomWrongAnswer(result, this.random) : result;
    }
    if (this.behavior === 'colluder') {
      if (colluderPick(lease) >= (this.options.lieRate ?? 1)) return result;
    } else if (this.behavior !== 'liar') return result;
    return plausibleWrongAnswer(result);
  }

  /** Takes and runs units until `until()` is true, the connection drops, or stop() is called. */
  async run(until: () => boolean = () => false): Promise<void> {
    const stopSniping = this.behavior === 'timedColluder' ? this.snipeWhenNamed() : null;
    try {
      await this.loop(until);
    } finally {
      stopSniping?.();
      await Promise.all(this.sideWork);
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
        // Told to slow down: back off for a while, as the browser client does.
        await sleep(
          reply.error.code === 'RATE_LIMITED' || reply.error.code === 'SUSPENDED'
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
        await this.submit(lease, this.answer(lease), performance.now());
        return;
      case 'slow': {
        const started = performance.now();
        const result = this.answer(lease);
        const [lo, hi] = this.options.slowness ?? [0.5, 1.25];
        await sleep(lease.leaseDurationMs * (lo + (hi - lo) * this.random()));
        await this.submit(lease, result, started);
        return;
      }
      case 'flood': {
        const started = performance.now();
        const result = this.answer(lease);
        await this.submit(lease, result, started);
        await this.flood(lease, result);
        this.history.push({ replicaId: lease.replicaId, result });
        return;
      }
      case 'timedColluder':
        await this.collude(lease);
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
        const result = this.answer(lease);
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
      const result = this.answer(lease);
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

  private async submit(lease: Lease, result: unknown, started: number): Promise<Ack<ResultReply>> {
    const reply = await this.call<ResultReply>('unit:result', {
      replicaId: lease.replicaId,
      result,
      elapsedMs: performance.now() - started,
    });
    this.record(lease, reply);
    return reply;
  }

  /** Tallies the coordinator's answer to one returned result. */
  private record(lease: Lease, reply: ResultItemReply): void {
    this.tally.results += 1;
    if (reply.ok) {
      this.tally[reply.verdict] += 1;
      if (this.behavior === 'honest') this.options.blackboard?.honestReturned(lease);
    } else this.count(reply.error.code);
  }

  /** Reports the unit's kernel as failed (`unit:error`). */
  private async fail(lease: Lease, error: { name: string; message: string } = KERNEL_FAILURE) {
    const reply = await this.call<object>('unit:error', { replicaId: lease.replicaId, error });
    if (reply.ok) this.tally.errorsReported += 1;
    else this.count(reply.error.code);
  }

  /** timedColluder: one replica, decided with the ring (coordinatedAttack.ts). */
  private async collude(lease: Lease): Promise<void> {
    const board = this.options.blackboard!;
    const started = performance.now();
    const move = await timedColluderMove(board, lease, referenceResult(lease), {
      holdMs: this.options.holdMs ?? DEFAULT_HOLD_MS,
      lies: colluderPick(lease) < (this.options.lieRate ?? 1),
    });
    if (move.kind === 'hand-back') {
      // Disguised as what a real tab sends when its GPU goes away.
      await this.fail(lease);
      return;
    }
    const reply = await this.submit(lease, move.result, started);
    // The unit is contested now and wants another replica: a partner should take it.
    if (move.role === 'first-liar' && reply.ok) board.contested(this.volunteerId!);
  }

  /**
   * timedColluder: whenever the ring names this identity to take a contested unit's next
   * replica, each of its tabs asks for units at once (beside the unit it may be holding).
   */
  private snipeWhenNamed(): () => void {
    const board = this.options.blackboard!;
    return board.onContested((partner) => {
      if (partner !== this.volunteerId || this.stopped || !this.socket?.connected) return;
      for (let i = 0; i < (this.options.snipeRequests ?? DEFAULT_SNIPE_REQUESTS); i++) {
        board.figures.snipes += 1;
        const job: Promise<void> = this.snipe().finally(() => this.sideWork.delete(job));
        this.sideWork.add(job);
      }
    });
  }

  private async snipe(): Promise<void> {
    const reply = await this.call<UnitRequestReply>('unit:request', {});
    if (!reply.ok) {
      this.count(reply.error.code);
      return;
    }
    for (const lease of reply.leases) {
      this.tally.leases += 1;
      await this.collude(lease);
    }
  }

  /** Closes the tab, stays away a while, and comes back with the same identity. */
  private async rejoin(): Promise<void> {
    this.socket?.disconnect();
    this.socket = null;
    const [lo, hi] = this.options.offlineMs ?? [100, 1_000];
    await sleep(lo + (hi - lo) * this.random());
    if (this.stopped) return;
    try {
      await this.connect();
    } catch {
      this.stopped = true; // the coordinator is gone: the run is over
    }
  }

  /**
   * One burst of hostile events, all sent at once: each must be refused and none may change
   * anything. A result for a replica that is not this volunteer's (NOT_LEASED), the same result
   * again (NOT_LEASED), an old result replayed, malformed payloads (BAD_REQUEST), renewals and
   * error reports for others' replicas.
   */
  private async flood(lease: Lease, result: unknown): Promise<void> {
    const burst = this.options.floodBurst ?? 20;
    const foreignId = () => Math.max(1, lease.replicaId + Math.floor((this.random() - 0.5) * 400));
    const sends: Array<Promise<Ack<unknown>>> = [];
    for (let i = 0; i < burst; i++) {
      const old = this.history[Math.floor(this.random() * this.history.length)];
      const hostile: Array<[keyof ClientToServerEvents, unknown]> = [
        ['unit:result', { replicaId: lease.replicaId, result, elapsedMs: 1 }],
        [
          'unit:result',
          { replicaId: old?.replicaId ?? 1, result: old?.result ?? result, elapsedMs: 1 },
        ],
        ['unit:result', { replicaId: foreignId(), result, elapsedMs: 1 }],
        ['unit:result', { replicaId: String(lease.replicaId), result, junk: true }],
        ['unit:renew', { replicaId: foreignId() }],
        ['unit:error', { replicaId: foreignId(), error: { name: 'E', message: 'forged' } }],
        ['hello', { device: { backend: 'quantum' } }],
      ];
      const [event, payload] = hostile[Math.floor(this.random() * hostile.length)]!;
      sends.push(this.call(event, payload));
    }
    for (const reply of await Promise.all(sends)) {
      this.tally.flooded += 1;
      // call() reads a closed connection as a client-side INTERNAL; the coordinator's own
      // INTERNAL says 'internal error'. Tell them apart: the first is the coordinator dropping us.
      const code = reply.ok
        ? 'OK'
        : reply.error.code === 'INTERNAL' && reply.error.message !== 'internal error'
          ? 'DISCONNECTED'
          : reply.error.code;
      this.tally.floodAnswers[code] = (this.tally.floodAnswers[code] ?? 0) + 1;
    }
  }

  private count(code: string): void {
    this.tally.refused[code] = (this.tally.refused[code] ?? 0) + 1;
  }

  stop(): void {
    this.stopped = true;
  }

  close(): void {
    this.stopped = true;
    this.socket?.disconnect();
    this.socket = null;
  }
}

/** The true result of a leased unit, by the TypeScript reference kernel. */
export function referenceResult(lease: Pick<Lease, 'estimator' | 'task'>): Record<string, unknown> {
  const estimator = estimatorFor(lease.estimator);
  return estimator.runReference(estimator.taskSchema.parse(lease.task)) as Record<string, unknown>;
}

/**
 * A random plausible wrong answer: a hit count drawn uniformly from [0, samples] other than the
 * true one, so it passes the plausibility check and two random liars rarely agree by chance.
 * Other estimators get the liar's one-step change in a random direction.
 */
export function randomWrongAnswer(
  result: Record<string, unknown>,
  random: () => number,
): Record<string, unknown> {
  if (typeof result.hits === 'number' && typeof result.samples === 'number') {
    const draw = Math.floor(random() * result.samples);
    return { ...result, hits: draw >= result.hits ? draw + 1 : draw };
  }
  const step = random() < 0.5 ? -1 : 1;
  if (typeof result.sumE === 'number') return { ...result, sumE: result.sumE + 4 * step };
  if (typeof result.sum === 'string')
    return {
      ...result,
      sum: (BigInt(result.sum) + BigInt(result.sum === '0' ? 1 : step)).toString(),
    };
  return result;
}

/**
 * Colluders agree out of band which units to forge: a fixed hash of (workload, unit) in [0, 1),
 * the same for every colluder, compared with the lie rate.
 */
export function colluderPick(lease: Pick<Lease, 'workloadId' | 'unitIndex'>): number {
  let h = 0x811c9dc5;
  for (const ch of `${lease.workloadId}:${lease.unitIndex}`) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  }
  return mulberry32(h)();
}
