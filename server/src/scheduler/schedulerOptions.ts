// Scheduling options in BullMQ's words: every option has a documented default and is checked
// when the coordinator is constructed, so a bad value fails at start, not mid-run.
import { z } from 'zod';

export const schedulerOptionsSchema = z
  .object({
    /** How long a volunteer holds a replica before it is reissued. Renew at half of it. Default 60 s. */
    leaseDurationMs: z.number().int().min(100).max(3_600_000).default(60_000),
    /** How often in-flight replicas past their deadline are swept back. Default 2 s. */
    sweepIntervalMs: z.number().int().min(10).max(60_000).default(2_000),
    /** Told to a volunteer that asked for work when there is none. Default 2 s. */
    retryAfterMs: z.number().int().min(10).max(600_000).default(2_000),
    /** Replicas one connection may hold at once (several CPU workers per tab). Default 4. */
    maxLeasesPerConnection: z.number().int().min(1).max(64).default(4),
    /** Loopback/private addresses are exempt from the one-replica-per-network rule. Default true. */
    exemptPrivateNetworks: z.boolean().default(true),
  })
  .strict();

export type SchedulerOptions = z.infer<typeof schedulerOptionsSchema>;
export type SchedulerOptionsInput = z.input<typeof schedulerOptionsSchema>;
