// Scheduling options in BullMQ's words: every option has a documented default and is checked
// when the coordinator is constructed, so a bad value fails at start, not mid-run.
import { z } from 'zod';
import type { TrustPolicy } from './trustPolicy';

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
    /**
     * Seconds of work one lease request may hand a tab, judged by the tab's measured
     * throughput (a fast GPU gets several units, a slow CPU one). Default 30 s.
     */
    leaseWorkSeconds: z.number().min(0.1).max(3_600).default(30),
    /** Consecutive valid results before a volunteer may run units alone. Default 10 (BOINC's). */
    trustAfter: z.number().int().min(1).max(10_000).default(10),
    /** Share of would-be lone units replicated anyway as spot checks. Default 0.05. */
    spotCheckRate: z.number().min(0).max(1).default(0.05),
    /**
     * [R9] Share of replicated results whose block the coordinator recomputes (every result of
     * a unit running alone is checked). Default 0.05; 0 checks lone results only.
     */
    blockCheckRate: z.number().min(0).max(1).default(0.05),
    /** [R9] Sub-range spot checks on (default) or off entirely. */
    blockChecks: z.boolean().default(true),
    /** Consecutive valid results after which a volunteer's agreement verifies a result. Default 3. */
    establishedAfter: z.number().int().min(1).max(10_000).default(3),
    /** Invalid results before a volunteer is suspended. Default 3. */
    offenseLimit: z.number().int().min(1).max(1_000).default(3),
    /**
     * [Q6] The coordinator settles a contested unit (standing results that disagree) by
     * computing it itself with the kind's reference, instead of issuing more replicas to vote.
     * Default true; off, contested units are decided by vote (Q1-Q4).
     */
    arbitration: z.boolean().default(true),
    /** How long a suspended volunteer gets no work. Default 1 hour. */
    suspensionMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 24 * 3_600_000)
      .default(3_600_000),
  })
  .strict();

export type SchedulerOptions = z.infer<typeof schedulerOptionsSchema>;
export type SchedulerOptionsInput = z.input<typeof schedulerOptionsSchema>;

/** The trust policy out of the scheduler options. */
export function trustPolicyOf(options: SchedulerOptions): TrustPolicy {
  return {
    trustAfter: options.trustAfter,
    spotCheckRate: options.spotCheckRate,
    establishedAfter: options.establishedAfter,
    offenseLimit: options.offenseLimit,
    suspensionMs: options.suspensionMs,
  };
}

export const DEFAULT_TRUST_POLICY: TrustPolicy = trustPolicyOf(schedulerOptionsSchema.parse({}));
