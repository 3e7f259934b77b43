// Limits on REST calls per client address (express-rate-limit): a generous one on every /api
// call and a stricter one on submitting workloads. Counts live in this process, or in Redis
// (rate-limit-redis) when the coordinator is given one, so every node behind a balancer counts
// the same address together. A store that fails lets requests through: a Redis outage must not
// stop the API (fail open). Volunteers' work travels over socket.io, limited there per
// connection and per address (realtime/volunteerNamespace.ts), not here.
import type { Request, RequestHandler } from 'express';
import { MemoryStore, rateLimit, type Options, type Store } from 'express-rate-limit';
import { z } from 'zod';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import type { Logger } from './logger';
import { connectRedisStores, type RedisStores } from './redisStore';

/** The `npm start` default of TESSERA_RATE_LIMIT: ten calls a second from one address. */
export const DEFAULT_REQUESTS_PER_MINUTE = 600;
/** Submitting is this much stricter than calling, unless set on its own. */
export const SUBMIT_SHARE = 10;
export const RATE_WINDOW_MS = 60_000;

export const rateLimitOptionsSchema = z
  .object({
    /**
     * Calls to /api a minute from one client address; 0 (the default here: tests and tools
     * build servers without limits) turns both limits off. `npm start` passes
     * TESSERA_RATE_LIMIT, default DEFAULT_REQUESTS_PER_MINUTE.
     */
    requestsPerMinute: z.number().int().min(0).default(0),
    /** POST /api/workloads a minute from one address; default requestsPerMinute / SUBMIT_SHARE, at least 1. */
    submitsPerMinute: z.number().int().min(1).optional(),
  })
  .strict();
export type RateLimitOptionsInput = z.input<typeof rateLimitOptionsSchema>;

/**
 * Gradient volunteers download parameters and data partitions over REST, as often as their
 * units need them; many volunteers share one address (a lab, a NAT), and the bytes are
 * immutable and cached by browsers and proxies. They are not counted.
 */
const VOLUNTEER_DOWNLOAD = /^\/(shards\/[^/]+|workloads\/[^/]+\/params\/[^/]+)$/;

const isSubmit = (req: Request) => req.method === 'POST' && req.path === '/workloads';

export interface RateLimits {
  /** Both limits in turn; mount on /api before the body parser (a refused call is not read). */
  handler: RequestHandler;
  close(): Promise<void>;
}

/** Where counts are shared: nodes with the same Redis and prefix count an address together. */
export interface SharedCounts {
  redisUrl: string;
  /** Keys are `${prefix}:ratelimit:${api or submit}:${address}`. */
  prefix: string;
}

export function createRateLimits(
  input: RateLimitOptionsInput | undefined,
  shared: SharedCounts | null,
  logger: Logger,
): RateLimits {
  const options = rateLimitOptionsSchema.parse(input ?? {});
  if (options.requestsPerMinute === 0) {
    return { handler: (_req, _res, next) => next(), close: () => Promise.resolve() };
  }
  const submits =
    options.submitsPerMinute ?? Math.max(1, Math.floor(options.requestsPerMinute / SUBMIT_SHARE));

  const redis: RedisStores | null = shared ? connectRedisStores(shared.redisUrl, logger) : null;
  const memory: MemoryStore[] = [];
  const store = (name: string): Store => {
    if (redis) return redis.store(`${shared!.prefix}:ratelimit:${name}:`);
    const local = new MemoryStore();
    memory.push(local);
    return local;
  };
  const log = storeErrorLogger(logger);
  const limiter = (
    name: string,
    limit: number,
    what: string,
    skip: (req: Request) => boolean,
  ): RequestHandler =>
    rateLimit({
      windowMs: RATE_WINDOW_MS,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      identifier: name,
      store: store(name),
      passOnStoreError: true,
      skip,
      logger: log,
      handler: (req, _res, next, used: Options) => {
        const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit
          ?.resetTime;
        const retryAfterSeconds = Math.max(
          1,
          Math.ceil(((resetTime?.getTime() ?? Date.now() + used.windowMs) - Date.now()) / 1000),
        );
        next(
          new TesseraError(
            ERROR_CODES.rateLimited,
            `too many ${what} from this address: at most ${limit} a minute; try again in ${retryAfterSeconds} s`,
            { limit, windowSeconds: used.windowMs / 1000, retryAfterSeconds },
          ),
        );
      },
    });

  const calls = limiter('api', options.requestsPerMinute, 'API calls', (req) =>
    VOLUNTEER_DOWNLOAD.test(req.path),
  );
  const submissions = limiter('submit', submits, 'workload submissions', (req) => !isSubmit(req));
  return {
    handler: (req, res, next) => {
      void calls(req, res, (error?: unknown) => {
        if (error) next(error);
        else void submissions(req, res, next);
      });
    },
    close: async () => {
      for (const m of memory) m.shutdown();
      await redis?.close();
    },
  };
}

/** How often a failing store is reported while it keeps failing. */
const STORE_ERROR_LOG_MS = 60_000;

/**
 * express-rate-limit's logger. It reports a store error on every request it lets through: each
 * kind is logged once a minute at most, which is enough for the operator.
 */
function storeErrorLogger(logger: Logger) {
  const last = new Map<string, number>();
  const report = (error: unknown, message = 'express-rate-limit') => {
    const now = Date.now();
    if (now - (last.get(message) ?? -Infinity) < STORE_ERROR_LOG_MS) return;
    last.set(message, now);
    logger.warn({ err: error }, `${message} (the same is not logged again for a minute)`);
  };
  return { error: report, warn: report };
}
