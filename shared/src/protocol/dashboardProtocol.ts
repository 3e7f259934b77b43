// The public dashboard protocol over socket.io (namespace /dashboard): read-only snapshots the
// coordinator pushes, throttled, to anyone watching, and the one event a watcher may send
// (`subscribe` to one workload's detail). The browser parses every snapshot with these schemas
// before it renders; the coordinator parses every `subscribe` before it acts.
//
// Sizes: a broadcast snapshot carries only the time-series points added since the previous
// broadcast (`full: false`); the snapshot a socket receives when it connects carries the whole
// server-side history (`full: true`), so a fresh page draws the last minutes at once. Clients
// merge by time (see client/src/dashboard/mergeSeries.ts).
import { z } from 'zod';
import { WORKLOAD_STATUSES } from '../workloadSpec';
import type { Ack } from './volunteerProtocol';

export const DASHBOARD_NAMESPACE = '/dashboard';
/** Bumped on any incompatible change; checked in the handshake and carried by every snapshot. */
export const DASHBOARD_PROTOCOL_VERSION = 2;

/** socket.io `auth` payload of a dashboard connection. */
export const dashboardHandshakeSchema = z.object({ dashboardVersion: z.number().int() });

const count = z.number().int().min(0);
const epochMs = z.number();

/** One throughput sample: validated work per second (samples, spin flips, ...) and units per second. */
export const throughputPointSchema = z
  .object({ t: epochMs, workPerSecond: z.number().min(0), unitsPerSecond: z.number().min(0) })
  .strict();
export type ThroughputPoint = z.infer<typeof throughputPointSchema>;

/**
 * One point of a workload's running answer: a value and, where the estimator gives one, its
 * 95% interval. Monte Carlo estimators give `estimate` (pi, option prices) or per-observable
 * means (ising-2d: `magnetization`, `energy`). Gradient workloads chart by step instead (see
 * `stepPointSchema`).
 */
export const seriesPointSchema = z
  .object({ t: epochMs, value: z.number(), lo: z.number().nullable(), hi: z.number().nullable() })
  .strict();
export type SeriesPoint = z.infer<typeof seriesPointSchema>;

/** Series name -> points in time order. */
export const seriesMapSchema = z.record(z.string().max(64), z.array(seriesPointSchema));
export type SeriesMap = z.infer<typeof seriesMapSchema>;

/** The workload's current answer in one line: its first series' latest point. */
export const headlineSchema = z
  .object({
    series: z.string().max(64),
    value: z.number(),
    lo: z.number().nullable(),
    hi: z.number().nullable(),
  })
  .strict();
export type Headline = z.infer<typeof headlineSchema>;

/**
 * One step of a gradient workload: the training loss of its batch (null when it was not a
 * finite number: a diverged run) and, where the step was evaluated, held-out accuracy. A thinned
 * point (stepCurve.ts) stands for a run of steps: their mean loss and latest accuracy.
 */
export const stepPointSchema = z
  .object({
    step: count,
    loss: z.number().nullable(),
    accuracy: z.number().min(0).max(1).nullable(),
  })
  .strict();
export type StepPoint = z.infer<typeof stepPointSchema>;

/** Points in a workload's training curve on the dashboard list: enough for a small chart. */
export const TRAINING_CURVE_POINTS = 32;

/** Where a gradient workload's training stands, for the workloads list. */
export const trainingFiguresSchema = z
  .object({
    /** Steps completed (= the parameter version). */
    stepsDone: count,
    stepsTotal: count,
    /** The latest step's training loss; null before the first step or when not finite. */
    loss: z.number().nullable(),
    /** The latest held-out accuracy; null before the first evaluation. */
    accuracy: z.number().min(0).max(1).nullable(),
    /** The whole run so far, thinned to at most TRAINING_CURVE_POINTS points. */
    curve: z.array(stepPointSchema).max(TRAINING_CURVE_POINTS),
  })
  .strict();
export type TrainingFigures = z.infer<typeof trainingFiguresSchema>;

export const dashboardWorkloadSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    estimator: z.string(),
    status: z.enum(WORKLOAD_STATUSES),
    progress: z
      .object({
        unitsTotal: count,
        unitsValidated: count,
        unitsInFlight: count,
        unitsFailed: count,
        fraction: z.number().min(0).max(1),
      })
      .strict(),
    /** Units validated per second over the recent window; 0 when idle. */
    unitsPerSecond: z.number().min(0),
    /** Seconds to completion at the recent rate; null when unknown (no recent progress, or ended). */
    etaSeconds: z.number().min(0).nullable(),
    headline: headlineSchema.nullable(),
    /** Gradient workloads: steps, loss and accuracy. Null for every other kind. */
    training: trainingFiguresSchema.nullable(),
    createdAt: epochMs,
    completedAt: epochMs.nullable(),
    failureReason: z.string().nullable(),
  })
  .strict();
export type DashboardWorkload = z.infer<typeof dashboardWorkloadSchema>;

/** What quorum validation has decided so far, in replicas (store-wide), plus refusals this process saw. */
export const validationFiguresSchema = z
  .object({
    /** Replicas whose result matched the canonical one. */
    agreed: count,
    /** Replicas outvoted by the quorum. */
    disagreed: count,
    /** Returned, waiting for a matching replica. */
    pending: count,
    inFlight: count,
    /** Lease deadline passed or the tab went away: the unit was reissued. */
    timedOut: count,
    /** The volunteer reported its kernel failed: the unit was reissued. */
    errored: count,
    /** Results refused at the door (not leased, expired, malformed) since this coordinator started. */
    refused: count,
  })
  .strict();
export type ValidationFigures = z.infer<typeof validationFiguresSchema>;

export const leaderboardEntrySchema = z
  .object({
    rank: z.number().int().min(1),
    displayName: z.string(),
    /** A short, stable, public tag (a prefix of the volunteer id), never the secret. */
    handle: z.string().max(16),
    credit: z.number().min(0),
    unitsValidated: count,
  })
  .strict();
export type LeaderboardEntry = z.infer<typeof leaderboardEntrySchema>;

export const dashboardSnapshotSchema = z
  .object({
    version: z.literal(DASHBOARD_PROTOCOL_VERSION),
    /** Increases by one per snapshot this coordinator sends. */
    seq: z.number().int().min(0),
    at: epochMs,
    /** True: `throughput.points` is the whole history. False: only points since the last broadcast. */
    full: z.boolean(),
    volunteers: z
      .object({
        online: count,
        byBackend: z.object({ webgpu: count, cpu: count }).strict(),
        /** Identities ever seen. */
        known: count,
      })
      .strict(),
    throughput: z
      .object({
        windowSeconds: z.number().positive(),
        workPerSecond: z.number().min(0),
        unitsPerSecond: z.number().min(0),
        unitsValidated: count,
        points: z.array(throughputPointSchema),
      })
      .strict(),
    /** Active workloads, then the most recently ended ones (up to a limit). */
    workloads: z.array(dashboardWorkloadSchema),
    workloadsByStatus: z.record(z.enum(WORKLOAD_STATUSES), count),
    validation: validationFiguresSchema,
    leaderboard: z.array(leaderboardEntrySchema),
  })
  .strict();
export type DashboardSnapshot = z.infer<typeof dashboardSnapshotSchema>;

/** One workload's series and current result, for watchers subscribed to it. */
export const workloadDetailSchema = z
  .object({
    workloadId: z.string(),
    /** True: `series` holds the whole history. False: only points since the last push. */
    full: z.boolean(),
    series: seriesMapSchema,
    /**
     * Gradient workloads' steps in order (empty for other kinds): all of them in a full detail
     * (thinned past a bound, see stepCurve.ts), only the new ones in a delta.
     */
    steps: z.array(stepPointSchema),
    /**
     * The public answer so far (GET /api/workloads/:id/result), except that a gradient
     * workload's per-step `steps` list travels in `steps` above, not here. In a full detail
     * null means no unit is validated yet; in a delta it means unchanged since the previous push.
     */
    result: z.record(z.string(), z.unknown()).nullable(),
  })
  .strict();
export type WorkloadDetail = z.infer<typeof workloadDetailSchema>;

/** The only event a watcher sends: follow one workload's detail (null: follow none). */
export const dashboardSubscribeSchema = z
  .object({
    workloadId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'malformed workload id')
      .nullable(),
  })
  .strict();
export type DashboardSubscribe = z.infer<typeof dashboardSubscribeSchema>;

export interface DashboardSubscribeReply {
  /** The workload's full detail, or null when unsubscribing. */
  detail: WorkloadDetail | null;
}

export interface DashboardClientToServerEvents {
  subscribe: (payload: unknown, ack: (reply: Ack<DashboardSubscribeReply>) => void) => void;
}

export interface DashboardServerToClientEvents {
  snapshot: (snapshot: DashboardSnapshot) => void;
  /** New points and the current result of the workload this socket subscribed to. */
  'workload:detail': (detail: WorkloadDetail) => void;
}
