// What a researcher submits (POST /api/workloads) and what the API answers, as zod schemas.
import { z } from 'zod';
import { montecarloSpecSchema, type MontecarloSpec } from './kinds/registry';
import { gradientSpecSchema, type GradientSpec } from './kinds/gradient/gradientSpec';
import { inferenceSpecSchema, type StoredInferenceSpec } from './kinds/inference/inferenceSpec';

export const WORKLOAD_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type WorkloadStatus = (typeof WORKLOAD_STATUSES)[number];
export const FINAL_STATUSES: readonly WorkloadStatus[] = ['completed', 'failed', 'cancelled'];

export const redundancySchema = z
  .object({
    /** Identical results needed before a unit's result is canonical. */
    quorum: z.number().int().min(1).max(5).default(2),
    /**
     * Result-bearing replicas a unit may use in all (disagreements issue more, up to this).
     * Default 10: with a fifth of volunteers lying, 4 would fail about one unit in 40.
     */
    maxReplicas: z.number().int().min(1).max(20).default(10),
    /** Timed-out or errored replicas a unit may use before it fails. */
    maxErrors: z.number().int().min(0).max(50).default(8),
    /**
     * Adaptive replication (server/SPEC.md R1-R5): volunteers with a long record of valid
     * results may run a unit alone, with random spot checks, and lone results are recomputed if
     * their volunteer is later caught. Off by default: every unit is replicated.
     */
    adaptive: z.boolean().default(false),
  })
  .strict()
  .refine((r) => r.maxReplicas >= r.quorum, {
    message: 'maxReplicas must be >= quorum',
    path: ['maxReplicas'],
  });
export type Redundancy = z.infer<typeof redundancySchema>;
export const DEFAULT_REDUNDANCY: Redundancy = redundancySchema.parse({});

export const workloadNameSchema = z.string().trim().min(1).max(120);
export const workloadPrioritySchema = z.number().int().min(-100).max(100);

export const submitMontecarloSchema = z
  .object({
    name: workloadNameSchema.optional(),
    kind: z.literal('montecarlo'),
    spec: montecarloSpecSchema,
    redundancy: redundancySchema.default(DEFAULT_REDUNDANCY),
    /** [S2] Among one researcher's workloads, higher priority is leased first. Default 0. */
    priority: workloadPrioritySchema.optional(),
  })
  .strict();

/** Data-parallel training (kinds/gradient/gradientSpec.ts): one round of units per step. */
export const submitGradientSchema = z
  .object({
    name: workloadNameSchema.optional(),
    kind: z.literal('gradient'),
    spec: gradientSpecSchema,
    redundancy: redundancySchema.default(DEFAULT_REDUNDANCY),
    /** [S2] Among one researcher's workloads, higher priority is leased first. Default 0. */
    priority: workloadPrioritySchema.optional(),
  })
  .strict();

/** A trained model over an uploaded dataset (kinds/inference/inferenceSpec.ts). */
export const submitInferenceSchema = z
  .object({
    name: workloadNameSchema.optional(),
    kind: z.literal('inference'),
    spec: inferenceSpecSchema,
    redundancy: redundancySchema.default(DEFAULT_REDUNDANCY),
    /** [S2] Among one researcher's workloads, higher priority is leased first. Default 0. */
    priority: workloadPrioritySchema.optional(),
  })
  .strict();

export const submitWorkloadSchema = z.discriminatedUnion('kind', [
  submitMontecarloSchema,
  submitGradientSchema,
  submitInferenceSchema,
]);
export type SubmitWorkload = z.infer<typeof submitWorkloadSchema>;
export type SubmitGradientWorkload = z.infer<typeof submitGradientSchema>;
export const WORKLOAD_KINDS = ['montecarlo', 'gradient', 'inference'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface WorkloadProgress {
  unitsTotal: number;
  unitsValidated: number;
  unitsInFlight: number;
  unitsFailed: number;
  fraction: number;
  /**
   * Units that want a replica but that no volunteer online may take (each already holds one):
   * they wait for another volunteer to connect. Present on single-workload reads.
   */
  unitsWaiting?: number;
}

export interface WorkloadView {
  id: string;
  name: string;
  kind: WorkloadKind;
  status: WorkloadStatus;
  progress: WorkloadProgress;
  spec: MontecarloSpec | GradientSpec | StoredInferenceSpec;
  redundancy: Redundancy;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  failureReason: string | null;
  /**
   * Monte Carlo workloads: the volunteer tabs online now that can run its units (WebGPU tabs
   * for an estimator that needs a GPU, a researcher's WGSL kernel; every tab otherwise).
   */
  capableVolunteers?: number | undefined;
}
