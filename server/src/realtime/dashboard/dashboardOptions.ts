// The dashboard publisher's options: every one has a documented default and is checked when the
// coordinator server is built, so a bad value fails at start.
import { z } from 'zod';

export const dashboardOptionsSchema = z
  .object({
    /**
     * Most snapshots broadcast per second, however fast things change: change notifications
     * are coalesced and the next snapshot waits out the interval. Default 3.
     */
    maxSnapshotsPerSecond: z.number().min(0.1).max(20).default(3),
    /**
     * The heartbeat: how often a throughput point is recorded and a snapshot goes out even when
     * nothing changed, so charts keep moving. Default 1 s.
     */
    sampleIntervalMs: z.number().int().min(50).max(60_000).default(1_000),
    /** Throughput is validated work over this trailing window. Default 10 s. */
    throughputWindowMs: z.number().int().min(1_000).max(600_000).default(10_000),
    /** Throughput points kept (at one per sample interval: 5 minutes by default). Default 300. */
    throughputPoints: z.number().int().min(10).max(10_000).default(300),
    /**
     * Points kept per workload series; past this the series halves its resolution, so it keeps
     * the whole run's shape. Default 240.
     */
    seriesPoints: z.number().int().min(16).max(10_000).default(240),
    /**
     * Steps of a gradient workload's training curve kept for its page; past this the curve is
     * thinned to half (runs of steps become one point), so it keeps the whole run's shape.
     * Default 2,000.
     */
    stepPoints: z.number().int().min(64).max(100_000).default(2_000),
    /** A workload's ETA comes from its validation rate over this trailing window. Default 30 s. */
    rateWindowMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
    /** Ended workloads listed after the active ones, most recent first. Default 20. */
    recentEndedWorkloads: z.number().int().min(0).max(1_000).default(20),
    /** Leaderboard length. Default 10. */
    leaderboardSize: z.number().int().min(0).max(100).default(10),
  })
  .strict();

export type DashboardOptions = z.infer<typeof dashboardOptionsSchema>;
export type DashboardOptionsInput = z.input<typeof dashboardOptionsSchema>;
