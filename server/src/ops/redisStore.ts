// Rate-limit counts in Redis (rate-limit-redis over the `redis` client), shared by every node
// that uses the same Redis and key prefix. Built to fail open: while Redis is away a command
// fails at once (no offline queue), the limiter lets the request through, and the store heals
// by itself when Redis is back.
import { createClient } from 'redis';
import { RedisStore } from 'rate-limit-redis';
import type { IncrementResponse } from 'express-rate-limit';
import type { Logger } from './logger';
import { redactedUrl } from '../realtime/cluster/redisConnection';

/** A connection attempt that takes longer fails (and is retried). */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/** Reconnection delays grow by this per attempt up to REDIS_RECONNECT_MAX_MS. */
const RECONNECT_STEP_MS = 200;
const REDIS_RECONNECT_MAX_MS = 5_000;
/** At start, commands wait this long at most for the first connection (then fail open). */
const FIRST_CONNECTION_WAIT_MS = REDIS_CONNECT_TIMEOUT_MS;

/**
 * rate-limit-redis loads its Lua script once and keeps the promise: a load that failed (Redis
 * away at start) would fail every later count. A failed count loads the script again.
 */
class HealingRedisStore extends RedisStore {
  override async increment(key: string): Promise<IncrementResponse> {
    try {
      return await super.increment(key);
    } catch (error) {
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => undefined);
      throw error;
    }
  }
}

export interface RedisStores {
  /** A store whose keys start with `prefix`. */
  store(prefix: string): RedisStore;
  close(): Promise<void>;
}

export function connectRedisStores(url: string, logger: Logger): RedisStores {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
      reconnectStrategy: (retries) =>
        Math.min((retries + 1) * RECONNECT_STEP_MS, REDIS_RECONNECT_MAX_MS),
    },
  });
  const where = { redis: redactedUrl(url) };
  let down = false;
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    logger.warn(
      { ...where, err: error },
      'Redis for rate limits unreachable: REST calls pass without limits until it is back (retrying in the background)',
    );
  });
  client.on('ready', () => {
    if (down) logger.info(where, 'Redis for rate limits is back: limits apply again');
    down = false;
  });
  // Settles on the first connection (or never, while Redis stays away: 'error' reports that).
  const connected = client.connect().then(
    () => undefined,
    () => undefined,
  );
  let waitedForFirst = false;
  const firstConnection = async () => {
    if (waitedForFirst || client.isReady) return;
    await Promise.race([
      connected,
      new Promise((r) => setTimeout(r, FIRST_CONNECTION_WAIT_MS).unref()),
    ]);
    waitedForFirst = true;
  };
  const sendCommand = async (...args: string[]) => {
    await firstConnection();
    return client.sendCommand<string | number | Array<string | number>>(args);
  };

  return {
    store: (prefix) => new HealingRedisStore({ sendCommand, prefix }),
    close: () => {
      // Ends the connection, or the attempts to make one; pending commands fail (fail open).
      if (client.isOpen) client.destroy();
      return Promise.resolve();
    },
  };
}
