// One coordinator node's connections to Redis (REDIS_URL). Redis carries no state that work
// needs, so it must never take the process down: every client handles 'error', reconnects with
// capped backoff for as long as the process runs, and fails its commands at once while it is
// offline (callers fall back to what this node knows). One line is logged when Redis goes away
// and one when it is back, not one per retry.
import { createClient } from 'redis';

/** First reconnection delay; it doubles per failed attempt up to RECONNECT_MAX_MS. */
export const RECONNECT_BASE_MS = 100;
export const RECONNECT_MAX_MS = 5_000;
/** A TCP connection attempt that takes longer than this fails (and is retried). */
export const CONNECT_TIMEOUT_MS = 2_000;

/** Delay before reconnection attempt `retries` (0-based): exponential, capped, with jitter. */
export function reconnectDelay(retries: number): number {
  const base = Math.min(RECONNECT_BASE_MS * 2 ** Math.min(retries, 16), RECONNECT_MAX_MS);
  // Jitter so that the nodes of a cluster do not all knock at once when Redis comes back: a
  // reconnection delay only, never part of a result (results come from Philox streams).
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** The URL as it may be logged: without a password. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

function newClient(url: string, offlineQueue: boolean) {
  return createClient({
    url,
    // RESP2: the reply shapes @socket.io/redis-streams-adapter reads (XREAD as [{ name, messages }]).
    RESP: 2,
    // Offline, a command fails at once rather than waiting in memory for Redis to come back:
    // the caller decides what to do without it (a broadcast still reaches local sockets).
    disableOfflineQueue: !offlineQueue,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: reconnectDelay },
  });
}

function describeError(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: unknown[] } | null;
  // A refused dual-stack connect is an AggregateError with an empty message.
  return e?.message || e?.code || (e?.errors?.[0] ? describeError(e.errors[0]) : String(error));
}

export type RedisClient = ReturnType<typeof newClient>;

/** What close() needs of every client, the adapter's duplicates included. */
interface Trackable {
  on(event: 'error', listener: (error: unknown) => void): unknown;
  destroy(): void;
}

export class RedisConnection {
  /** Commands of this node's own (the online table): fail fast while Redis is away. */
  readonly commands: RedisClient;
  /** What the socket.io adapter publishes with (XADD): fails fast as well. */
  readonly adapterClient: RedisClient;
  /** This node's pub/sub subscriptions (notices); queues its SUBSCRIBE until connected. */
  private readonly subscriber: RedisClient;
  private readonly clients = new Set<Trackable>();
  private readonly readyListeners: Array<() => void> = [];
  private down = false;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly log: (message: string) => void,
  ) {
    this.commands = this.track(newClient(url, false), true);
    this.adapterClient = this.track(newClient(url, false));
    this.subscriber = this.track(newClient(url, true));
    this.commands.on('ready', () => {
      if (this.down) {
        this.down = false;
        this.log(`Redis at ${redactedUrl(this.url)} is back: cluster-wide views resume`);
      }
      for (const listener of this.readyListeners) listener();
    });
    this.interceptDuplicates(this.adapterClient);
  }

  /** True while the commands client is connected. */
  get ready(): boolean {
    return this.commands.isReady;
  }

  /** Called on every (re)connection: what this node keeps in Redis may be gone (a restart). */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** Starts connecting in the background; never rejects (reconnection goes on by itself). */
  start(): void {
    for (const client of [this.commands, this.adapterClient, this.subscriber]) {
      this.connect(client);
    }
  }

  /**
   * Publishes and forgets: while Redis is away the message is dropped at once, never thrown
   * or left to reject unhandled.
   */
  publish(channel: string, message: string): void {
    if (this.closed) return;
    this.commands.publish(channel, message).catch(() => undefined);
  }

  /** Subscribes now or on connection, and again after every reconnection (the client does). */
  subscribe(channel: string, listener: (message: string) => void): void {
    this.subscriber.subscribe(channel, listener).catch((error: unknown) => {
      if (!this.closed)
        this.log(`Redis: subscribing to ${channel} failed: ${describeError(error)}`);
    });
  }

  /** Drops every connection at once (what is still queued fails). */
  close(): void {
    this.closed = true;
    for (const client of this.clients) client.destroy();
    this.clients.clear();
  }

  private connect(client: RedisClient): void {
    // connect() settles only on success or when the client is destroyed: failures in between
    // are retried by reconnectDelay and reported through 'error'.
    client.connect().catch(() => undefined);
  }

  /**
   * Every client must listen for 'error' (an unheard one would end the process). The commands
   * client speaks for all: the others fail and recover with it, and reconnect by themselves.
   */
  private track<C extends Trackable>(client: C, reports = false): C {
    this.clients.add(client);
    client.on('error', (error: unknown) => {
      if (!reports || this.closed || this.down) return;
      this.down = true;
      this.log(
        `Redis at ${redactedUrl(this.url)} unreachable (${describeError(error)}): ` +
          'this coordinator keeps serving its own volunteers and retries in the background; ' +
          'cluster-wide counts and broadcasts resume when Redis is back',
      );
    });
    return client;
  }

  /**
   * The adapter duplicates its client for the blocking XREAD loop and the pub/sub subscriber.
   * Those two keep an offline queue: the XREAD loop retries at once when a read fails, so a
   * fail-fast reader would spin without yielding while Redis is away; queued, the next read
   * simply waits for the reconnection and resumes from the last offset. They are tracked so
   * close() ends them (the adapter's own teardown waits out a 5 s block), and wrapped where the
   * adapter leaves a promise unhandled: connect() and subscribe() never reject into it (a
   * destroyed client's stay pending), and once closed xRead() never answers, so the XREAD loop
   * stops instead of spinning on a closed client's instant errors.
   */
  private interceptDuplicates(client: RedisClient): void {
    type Call = (...args: unknown[]) => Promise<unknown>;
    const never = () => new Promise<never>(() => undefined);
    const duplicate = client.duplicate.bind(client) as (overrides: object) => RedisClient;
    const copy = (overrides?: object) => {
      const twin = this.track(duplicate({ ...overrides, disableOfflineQueue: false }));
      const connect = twin.connect.bind(twin);
      const subscribe = twin.subscribe.bind(twin) as Call;
      const xRead = twin.xRead.bind(twin) as Call;
      Object.assign(twin, {
        connect: () => connect().catch(never),
        subscribe: (...args: unknown[]) => subscribe(...args).catch(never),
        xRead: (...args: unknown[]) => (this.closed ? never() : xRead(...args)),
      });
      if (this.closed) twin.destroy();
      return twin;
    };
    // Its pub/sub publishes (serverSideEmit, fetchSockets, broadcasts with acks) are left
    // unhandled too: offline, each would be an unhandled rejection. Dropped, as pub/sub drops.
    const publish = client.publish.bind(client) as Call;
    Object.assign(client, {
      duplicate: copy,
      publish: (...args: unknown[]) => publish(...args).catch(() => 0),
    });
  }
}
