// A volunteer in Node: a real socket.io connection speaking the real protocol, computing units
// with the TypeScript reference kernels. Integration tests, the benchmark and the hostile-volunteer
// simulator drive these; a behavior makes one lie, vanish mid-unit or stall on purpose.
import { io, type Socket } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  estimatorFor,
  type Ack,
  type ClientToServerEvents,
  type HelloReply,
  type Lease,
  type ResultReply,
  type ServerToClientEvents,
  type UnitRequestReply,
} from '@tessera/shared';

export const BEHAVIORS = ['honest', 'liar', 'vanish', 'stall'] as const;
/**
 * honest: computes and returns every unit. liar: returns a plausible wrong answer.
 * vanish: disconnects as soon as it holds a lease (a closed tab). stall: keeps its lease
 * without ever answering (a frozen tab), so only the deadline brings the unit back.
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
  /** Milliseconds to hold each finished result before returning it (arrival-order tests). */
  resultDelayMs?: () => number;
}

export interface VolunteerTally {
  leases: number;
  results: number;
  valid: number;
  invalid: number;
  pending: number;
  refused: Record<string, number>;
}

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long a volunteer waits after the coordinator says RATE_LIMITED. */
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
  };
  volunteerId: string | null = null;
  secret: string | null = null;
  credit = 0;
  private socket: ClientSocket | null = null;
  private stopped = false;

  constructor(private readonly options: SimulatedVolunteerOptions) {
    this.behavior = options.behavior ?? 'honest';
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
  }

  /** Sends one event with an ack; a dead connection or a timeout reads as an error reply. */
  async call<T>(event: keyof ClientToServerEvents, payload: unknown): Promise<Ack<T>> {
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
    const estimator = estimatorFor(lease.estimator);
    const result = estimator.runReference(estimator.taskSchema.parse(lease.task)) as Record<
      string,
      unknown
    >;
    if (this.behavior !== 'liar') return result;
    // Plausible but wrong: passes the schema and range checks, only a replica can catch it.
    if (typeof result.hits === 'number')
      return { ...result, hits: Math.max(0, (result.hits as number) - 1) };
    return result;
  }

  /** Takes and runs units until `until()` is true, the connection drops, or stop() is called. */
  async run(until: () => boolean = () => false): Promise<void> {
    while (!this.stopped && !until() && this.socket) {
      if (!this.socket.connected) {
        // Closed for good without reconnection; with it, wait for the next hello.
        if (!this.options.reconnect) return;
        await Promise.race([this.greeted, sleep(100)]);
        continue;
      }
      const reply = await this.call<UnitRequestReply>('unit:request', {});
      if (!reply.ok) {
        this.count(reply.error.code);
        // Told to slow down: back off for a while, as the browser client does.
        await sleep(
          reply.error.code === 'RATE_LIMITED' ? RATE_LIMIT_BACKOFF_MS : (this.options.idleMs ?? 50),
        );
        continue;
      }
      if (!reply.lease) {
        await sleep(this.options.idleMs ?? reply.retryAfterMs);
        continue;
      }
      this.tally.leases += 1;
      await this.work(reply.lease);
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
      case 'honest':
      case 'liar': {
        const started = performance.now();
        const result = this.answer(lease);
        const delay = this.options.resultDelayMs?.() ?? 0;
        if (delay > 0) await sleep(delay);
        if (this.options.reconnect) await Promise.race([this.greeted, sleep(5_000)]);
        const reply = await this.call<ResultReply>('unit:result', {
          replicaId: lease.replicaId,
          result,
          elapsedMs: performance.now() - started,
        });
        this.tally.results += 1;
        if (reply.ok) this.tally[reply.verdict] += 1;
        else this.count(reply.error.code);
      }
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
