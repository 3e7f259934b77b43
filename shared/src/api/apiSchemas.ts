// What the REST API answers, as zod schemas: the API client parses every response with them
// and the OpenAPI description (GET /api/openapi.json) is generated from them, so the document,
// the client and the server's types cannot drift apart unnoticed.
import { z } from 'zod';
import { ERROR_CODES } from '../errors';
import { montecarloSpecSchema } from '../kinds/registry';
import { gradientSpecSchema } from '../kinds/gradient/gradientSpec';
import { storedInferenceSpecSchema } from '../kinds/inference/inferenceSpec';
import {
  WORKLOAD_KINDS,
  WORKLOAD_STATUSES,
  redundancySchema,
  type WorkloadView,
} from '../workloadSpec';

const count = z.number().int().min(0);

export const workloadStatusSchema = z.enum(WORKLOAD_STATUSES);

export const workloadProgressSchema = z.object({
  unitsTotal: count,
  unitsValidated: count,
  unitsInFlight: count,
  unitsFailed: count,
  /** unitsValidated / unitsTotal, 0 to 1. */
  fraction: z.number().min(0).max(1),
});

/** GET /api/workloads/:id, and each item of GET /api/workloads. */
export const workloadViewSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  kind: z.enum(WORKLOAD_KINDS),
  status: workloadStatusSchema,
  progress: workloadProgressSchema,
  /** As stored: an inference spec carries what the coordinator resolved at submission. */
  spec: z.union([montecarloSpecSchema, gradientSpecSchema, storedInferenceSpecSchema]),
  redundancy: redundancySchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  completedAt: z.iso.datetime().nullable(),
  failureReason: z.string().nullable(),
  /**
   * Monte Carlo workloads: volunteer tabs online now that can run its units (WebGPU tabs for an
   * estimator that needs a GPU, `wgsl`; every tab otherwise). Absent for gradient workloads.
   */
  capableVolunteers: count.optional(),
});

/**
 * Compile-time guard: the schema describes exactly the `WorkloadView` the server builds. A
 * field added to one and not the other fails `npm run typecheck` here.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const viewSchemaMatchesView: Same<z.infer<typeof workloadViewSchema>, WorkloadView> = true;
void viewSchemaMatchesView;

export const workloadListSchema = z.array(workloadViewSchema);

/**
 * GET /api/workloads/:id/result: the estimator's answer so far (pi and european-option:
 * `{ estimate, stderr, ci95, samples }`; ising-2d: `{ magnetization, energy, ... }`) plus how
 * complete it is. Estimator fields pass through untouched.
 */
export const workloadResultSchema = z
  .object({
    /** True once every unit is validated: the answer will not change any more. */
    final: z.boolean(),
    status: workloadStatusSchema,
    unitsValidated: count,
    unitsTotal: count,
  })
  .loose();
export type WorkloadResult = z.infer<typeof workloadResultSchema>;

/**
 * The result of a gradient workload (`kind: "gradient"`): training so far, step by step. A
 * step's loss is null when it was not finite (JSON has no NaN); `accuracy` (held-out) is there
 * on the steps it was evaluated at, and at the top level is the latest one (null before the
 * first evaluation). The parameters themselves come as bytes from `paramsUrl` (`?format=bin`).
 */
export const gradientResultSchema = workloadResultSchema.extend({
  kind: z.literal('gradient'),
  /** Parameter version reached (= steps completed). */
  version: count,
  stepsTotal: count,
  steps: z.array(
    z
      .object({
        step: count,
        loss: z.number().nullable(),
        accuracy: z.number().min(0).max(1).optional(),
      })
      .loose(),
  ),
  loss: z.number().nullable(),
  accuracy: z.number().min(0).max(1).nullable(),
  parameterCount: z.number().int().min(1),
  paramsUrl: z.string(),
});
export type GradientWorkloadResult = z.infer<typeof gradientResultSchema>;

/**
 * The result of an inference workload (`kind: "inference"`): the predicted class of every row in
 * row order (null while its unit is not validated), and accuracy where the dataset has labels.
 * Probabilities come with `?format=csv` (`row,class,p0,p1,...`) or `?format=bin`.
 */
export const inferenceResultSchema = workloadResultSchema.extend({
  kind: z.literal('inference'),
  rows: count,
  rowsPredicted: count,
  classes: z.number().int().min(2),
  /** Rows predicted as each class so far. */
  classCounts: z.array(count),
  labeled: z.boolean(),
  correct: count.optional(),
  accuracy: z.number().min(0).max(1).nullable().optional(),
  model: z.object({ workload: z.string(), version: count, hash: z.string() }).loose(),
  dataset: z.string(),
  predictions: z.array(z.number().int().min(0).nullable()),
});
export type InferenceWorkloadResult = z.infer<typeof inferenceResultSchema>;

/** GET /api/stats. Extra figures the server adds later pass through. */
export const platformStatsSchema = z
  .object({
    volunteersOnline: count,
    volunteersByBackend: z.object({ webgpu: count, cpu: count }).loose(),
    volunteersTotal: count,
    unitsValidated: count,
    /** Units no volunteer online may take (server/SPEC.md L2): they wait for another volunteer. */
    unitsWaitingForVolunteers: count.optional(),
    throughput: z
      .object({
        windowSeconds: z.number().positive(),
        unitsPerSecond: z.number().min(0),
        samplesPerSecond: z.number().min(0),
      })
      .loose(),
    workloads: z.record(workloadStatusSchema, count),
    replicas: z.record(z.string(), count),
  })
  .loose();
export type PlatformStats = z.infer<typeof platformStatsSchema>;

/** GET /healthz. */
export const healthSchema = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });

/**
 * One offending field of a refused request body; `path` is dotted (`spec.samples`). A refused
 * WGSL kernel (`spec.source`) also names the line and column (1-based) the compiler pointed at,
 * when it pointed at one; `message` then opens with "line L, column C: ".
 */
export const fieldErrorSchema = z.object({
  path: z.string(),
  message: z.string(),
  line: z.number().int().min(1).optional(),
  column: z.number().int().min(1).optional(),
});
export type FieldError = z.infer<typeof fieldErrorSchema>;

const errorCodeValues = Object.values(ERROR_CODES) as [
  (typeof ERROR_CODES)[keyof typeof ERROR_CODES],
  ...(typeof ERROR_CODES)[keyof typeof ERROR_CODES][],
];

/** Every 4xx/5xx answer. `details` is a FieldError list for INVALID_SPEC and BAD_REQUEST. */
export const errorResponseSchema = z.object({
  error: z.object({
    code: z.enum(errorCodeValues),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
