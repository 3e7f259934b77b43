// A simulated volunteer's connection (simulatedVolunteer.ts builds on it): one real socket.io
// connection speaking the real protocol: hello with its identity, events sent with an ack, a tab
// closed and reopened with the same identity, and the reports a tab makes on a unit it leased (a
// result, a kernel failure), each tallied with the coordinator's answer. What to do with a lease
// is the subclass's.
import { io, type Socket } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  type Ack,
  type ClientToServerEvents,
  type HelloReply,
  type Lease,
  type ResultItemReply,
  type ResultReply,
  type ServerToClientEvents,
} from '@tessera/shared';
import { EventPacer, KERNEL_FAILURE, SABOTEUR_EVENTS_PER_SECOND } from './coordinatedAttack';
import { mulberry32 } from './seededRandom';
import {
  emptyTally,
  type Behavior,
  type SimulatedVolunteerOptions,
  type VolunteerTally,
} from './volunteerBehaviors';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class VolunteerConnection {
  readonly behavior: Behavior;
  readonly tally: VolunteerTally = emptyTally();
  volunteerId: string | null = null;
  secret: string | null = null;
  credit = 0;
  protected socket: ClientSocket | null = null;
  protected stopped = false;
  protected readonly random: () => number;
  /** errorSaboteur: keeps its events under the coordinator's rate limit. */
  private readonly pacer: EventPacer | null;

  constructor(protected readonly options: SimulatedVolunteerOptions) {
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
        this.greeted = this.helloAgain(socket);
      });
      socket.on('disconnect', () => {
        this.greeted = new Promise(() => undefined);
      });
    }
  }

  /**
   * Greets a reconnected socket; while the coordinator cannot answer (its store restarting) it
   * tries again every second, as the browser client does; a refusal closes this volunteer.
   */
  private async helloAgain(socket: ClientSocket): Promise<void> {
    for (;;) {
      try {
        return await this.hello();
      } catch (error) {
        if (!/UNAVAILABLE|INTERNAL/.test(String(error)) || !socket.connected) {
          if (socket.connected) this.close();
          return;
        }
        await new Promise((resume) => setTimeout(resume, 1_000));
      }
    }
  }

  /** Settles once the current connection has said hello; replaced on every reconnection. */
  protected greeted: Promise<void> = Promise.resolve();

  private async hello(): Promise<void> {
    const credentials =
      this.options.credentials ??
      (this.volunteerId && this.secret
        ? { volunteerId: this.volunteerId, secret: this.secret }
        : undefined);
    const reply = await this.call<HelloReply>('hello', {
      ...(credentials ? { credentials } : {}),
      ...(this.options.displayName ? { displayName: this.options.displayName } : {}),
      device: { backend: this.options.backend ?? 'cpu', cores: 1 },
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

  /** Not stopped, and the connection is up. */
  isLive(): boolean {
    return !this.stopped && this.socket?.connected === true;
  }

  /** Returns one unit's result in its own unit:result event and tallies the answer. */
  async submit(lease: Lease, result: unknown, started: number): Promise<Ack<ResultReply>> {
    const reply = await this.call<ResultReply>('unit:result', {
      replicaId: lease.replicaId,
      result,
      elapsedMs: performance.now() - started,
    });
    this.record(lease, reply);
    return reply;
  }

  /** Tallies the coordinator's answer to one returned result. */
  protected record(lease: Lease, reply: ResultItemReply): void {
    this.tally.results += 1;
    if (reply.ok) {
      this.tally[reply.verdict] += 1;
      if (this.behavior === 'honest') this.options.blackboard?.honestReturned(lease);
    } else this.count(reply.error.code);
  }

  /** Reports the unit's kernel as failed (`unit:error`). */
  async fail(lease: Lease, error: { name: string; message: string } = KERNEL_FAILURE) {
    const reply = await this.call<object>('unit:error', { replicaId: lease.replicaId, error });
    if (reply.ok) this.tally.errorsReported += 1;
    else this.count(reply.error.code);
  }

  /** Tallies an event the coordinator refused, by its error code. */
  count(code: string): void {
    this.tally.refused[code] = (this.tally.refused[code] ?? 0) + 1;
  }

  /** Closes the tab, stays away a while, and comes back with the same identity. */
  protected async rejoin(): Promise<void> {
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

  stop(): void {
    this.stopped = true;
  }

  close(): void {
    this.stopped = true;
    this.socket?.disconnect();
    this.socket = null;
  }
}
