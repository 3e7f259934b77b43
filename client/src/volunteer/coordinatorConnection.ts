// The tab's socket.io connection to the coordinator's /volunteer namespace: the protocol
// version travels in the handshake, every (re)connection is followed by a hello carrying the
// stored identity, and requests are acked events with a timeout. The unit loop only ever sees
// "ready" (connected and greeted) or waits for it.
import { io, type Socket } from 'socket.io-client';
import {
  PROTOCOL_VERSION,
  VOLUNTEER_NAMESPACE,
  type ClientToServerEvents,
  type DeviceInfo,
  type HelloReply,
  type ServerToClientEvents,
  type VolunteerSummary,
} from '@tessera/shared/protocol/volunteerProtocol';
import { ERROR_CODES } from '@tessera/shared/errors';
import { CoordinatorRefusedError } from './volunteerErrors';
import type { ConnectionState, VolunteerIdentity } from './workerMessages';

export const HELLO_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 15_000;
/** Before greeting again after a hello that timed out or was refused for a passing reason. */
export const HELLO_RETRY_MS = 3_000;
/** After the server itself disconnected us, which socket.io does not retry on its own. */
export const SERVER_DISCONNECT_RETRY_MS = 5_000;
/** Reconnection backoff: 1 s doubling to 20 s, each delay jittered by half. */
export const RECONNECT_DELAY_MS = 1_000;
export const RECONNECT_DELAY_MAX_MS = 20_000;

type VolunteerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type VolunteerEvent = keyof ClientToServerEvents;
type AckReply<E extends VolunteerEvent> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
export type OkReply<E extends VolunteerEvent> = Extract<AckReply<E>, { ok: true }>;

export interface ConnectionListeners {
  state(state: ConnectionState): void;
  /** The coordinator knows us: a fresh summary of our credit. */
  greeted(volunteer: VolunteerSummary): void;
  /** A new identity to keep, or null when the stored one was refused and dropped. */
  identity(identity: VolunteerIdentity | null): void;
  credit(volunteer: VolunteerSummary): void;
  workloadEnded(workloadId: string): void;
  /** The coordinator has new units: a tab waiting for work should ask now. */
  workAvailable(): void;
  /** The coordinator will not take this tab (wrong protocol version, refused handshake). */
  refused(message: string): void;
  /** Something the volunteer should read about; the connection carries on. */
  problem(error: Error): void;
}

export class CoordinatorConnection {
  private readonly socket: VolunteerSocket;
  private state: ConnectionState = 'offline';
  private readyWaiters: (() => void)[] = [];
  /** Counts connections, so a hello answered after a reconnect is recognised as stale. */
  private generation = 0;
  private closed = false;
  private maxLeases: number | null = null;

  constructor(
    private identity: VolunteerIdentity | null,
    private device: DeviceInfo,
    private readonly listeners: ConnectionListeners,
    /** Sent in every hello when not empty; empty keeps the name the coordinator has. */
    private displayName = '',
  ) {
    this.socket = io(VOLUNTEER_NAMESPACE, {
      auth: { protocolVersion: PROTOCOL_VERSION },
      transports: ['websocket'],
      reconnection: true,
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
      randomizationFactor: 0.5,
      autoConnect: false,
      // A stopped and restarted session must not inherit the previous session's manager.
      forceNew: true,
    });
    this.socket.on('connect', () => void this.greet(++this.generation));
    this.socket.on('disconnect', (reason) => this.onDisconnect(reason));
    this.socket.on('connect_error', (error) => this.onConnectError(error));
    this.socket.on('credit', (summary) => this.listeners.credit(summary));
    this.socket.on('workload:ended', (payload) => this.listeners.workloadEnded(payload.workloadId));
    this.socket.on('work:available', () => this.listeners.workAvailable());
  }

  open(): void {
    this.setState('connecting');
    this.socket.connect();
  }

  close(): void {
    this.closed = true;
    this.socket.disconnect();
    this.setState('offline');
    this.readyWaiters = [];
  }

  /** A new backend (after a lost GPU) is a new device to the coordinator: greet it again. */
  changeDevice(device: DeviceInfo): void {
    this.device = device;
    if (this.socket.connected) void this.greet(++this.generation);
  }

  /** A new display name reaches the coordinator through a fresh hello on the same socket. */
  changeDisplayName(displayName: string): void {
    if (displayName === this.displayName) return;
    this.displayName = displayName;
    if (this.socket.connected) void this.greet(++this.generation);
  }

  /** The coordinator's cap on leases this connection may hold; null until a hello says it. */
  get leaseLimit(): number | null {
    return this.maxLeases;
  }

  /** Resolves once connected and greeted; rejects when the signal aborts first. */
  whenReady(signal: AbortSignal): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const waiter = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(signal.reason);
      };
      this.readyWaiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Emits an acked event. Resolves with the reply's fields when the coordinator says ok; throws
   * CoordinatorRefusedError when it says no, and socket.io's timeout error when it says nothing.
   */
  async request<E extends VolunteerEvent>(
    event: E,
    payload: object,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<OkReply<E>> {
    // Widening the event to the union lets TypeScript check the call: every volunteer event
    // takes (payload, ack), so the generic's particular reply type is restored below.
    const reply: unknown = await this.socket
      .timeout(timeoutMs)
      .emitWithAck(event as VolunteerEvent, payload);
    if (typeof reply !== 'object' || reply === null || !('ok' in reply)) {
      throw new CoordinatorRefusedError(ERROR_CODES.internal, `malformed reply to ${event}`);
    }
    const ack = reply as AckReply<E>;
    if (!ack.ok) throw new CoordinatorRefusedError(ack.error.code, ack.error.message);
    return ack as OkReply<E>;
  }

  private async greet(generation: number): Promise<void> {
    this.setState('connecting');
    const hello = {
      ...(this.identity ? { credentials: this.identity } : {}),
      ...(this.displayName ? { displayName: this.displayName } : {}),
      device: this.device,
    };
    let reply: OkReply<'hello'>;
    try {
      reply = await this.request('hello', hello, HELLO_TIMEOUT_MS);
    } catch (error) {
      if (generation !== this.generation || this.closed) return;
      if (
        error instanceof CoordinatorRefusedError &&
        error.code === ERROR_CODES.badCredentials &&
        this.identity
      ) {
        // The coordinator lost or never had this identity (a wiped data folder): start afresh
        // rather than stay locked out, and tell the page to forget the old one.
        this.identity = null;
        this.listeners.identity(null);
        return this.greet(generation);
      }
      this.listeners.problem(
        new Error(`The coordinator did not accept this tab yet (${messageOf(error)}); retrying.`),
      );
      await new Promise((resolve) => setTimeout(resolve, HELLO_RETRY_MS));
      if (generation === this.generation && !this.closed && this.socket.connected) {
        return this.greet(generation);
      }
      return;
    }
    if (generation !== this.generation || this.closed) return;
    this.acceptHello(reply);
  }

  private acceptHello(reply: HelloReply): void {
    if (reply.secret) {
      this.identity = { volunteerId: reply.volunteer.volunteerId, secret: reply.secret };
      this.listeners.identity(this.identity);
    }
    if (reply.limits) this.maxLeases = reply.limits.maxLeasesPerConnection;
    this.listeners.greeted(reply.volunteer);
    this.setState('ready');
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private onDisconnect(reason: Socket.DisconnectReason): void {
    if (this.closed) return;
    this.generation++;
    this.setState('reconnecting');
    if (reason === 'io server disconnect') {
      // socket.io leaves a server-initiated disconnect alone; a volunteer tab should come back.
      setTimeout(() => {
        if (!this.closed && !this.socket.connected) this.socket.connect();
      }, SERVER_DISCONNECT_RETRY_MS);
    }
  }

  private onConnectError(error: Error): void {
    if (this.closed) return;
    if (this.socket.active) {
      // A transport failure (coordinator restarting, network down): socket.io retries with
      // backoff, and the state says so; it is not an error the volunteer can act on.
      this.setState('reconnecting');
      return;
    }
    // The handshake itself was refused by the coordinator's middleware: retrying cannot help.
    this.setState('refused');
    this.listeners.refused(`The coordinator refused this tab: ${error.message}`);
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.listeners.state(state);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
