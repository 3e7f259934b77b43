// Options of a coordinator node that shares Redis with others (REDIS_URL): every one has a
// documented default and is checked when the coordinator server is built, so a bad value fails
// at start.
import { z } from 'zod';

export const clusterOptionsSchema = z
  .object({
    /** redis://[user:password@]host:port[/db] (rediss:// for TLS). Required. */
    redisUrl: z.string().regex(/^rediss?:\/\/\S+$/, 'a redis:// or rediss:// URL'),
    /** This node's name in Redis; unique per process. Default `${hostname}:${pid}:${random}`. */
    instanceId: z.string().regex(/^[^\s{}]{1,200}$/, 'at most 200 characters, no spaces or braces'),
    /**
     * Every Redis key and channel of this coordinator starts with `${prefix}:`, so clusters (and
     * test runs) sharing one Redis do not see each other. Default 'tessera'.
     */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . - (at most 100)')
      .default('tessera'),
    /** How often this node rewrites the expiry of its online table in Redis. Default 3 s. */
    heartbeatMs: z.number().int().min(50).max(60_000).default(3_000),
    /**
     * A node's online table expires this long after its last heartbeat: a node that dies
     * (SIGKILL, a partition) stops counting within this. At least twice the heartbeat, so one
     * late heartbeat loses nothing. Default 10 s.
     */
    onlineTtlMs: z.number().int().min(100).max(600_000).default(10_000),
    /** The cluster-wide online view is read from Redis at most this often. Default 1 s. */
    onlineCacheMs: z.number().int().min(0).max(60_000).default(1_000),
    /**
     * Changes other nodes must hear of (workloads, credit, new work) are gathered this long and
     * sent as one message, so a busy node sends a few per second, not one per result. Default 50 ms.
     */
    relayDelayMs: z.number().int().min(0).max(5_000).default(50),
    /** A Redis read that takes longer falls back to this node's own figures. Default 1 s. */
    commandTimeoutMs: z.number().int().min(10).max(60_000).default(1_000),
  })
  .strict()
  .refine((o) => o.onlineTtlMs >= 2 * o.heartbeatMs, {
    message: 'onlineTtlMs must be at least twice heartbeatMs',
    path: ['onlineTtlMs'],
  });

export type ClusterOptions = z.infer<typeof clusterOptionsSchema>;
export type ClusterOptionsInput = z.input<typeof clusterOptionsSchema>;
/** What tests may tune (the timings); the URL, id and prefix have options of their own. */
export type ClusterTimingsInput = Partial<
  Pick<
    ClusterOptionsInput,
    'heartbeatMs' | 'onlineTtlMs' | 'onlineCacheMs' | 'relayDelayMs' | 'commandTimeoutMs'
  >
>;
