// Inference (DESIGN.md section 3): a completed gradient workload's model run over every row of
// an uploaded dataset on volunteers. The researcher names the two; the coordinator resolves
// them at submission into `model` (the trained model's shape and the SHA-256 of its parameter
// bytes, which pins the version) and `rows`, stored with the spec so every lease and every
// restart sees the same model.
//
// A unit is a slice of rows: the volunteer downloads the model once per hash and the slice's
// rows (standardised with the training data's statistics, as a shard: shardCodec.ts), runs the
// forward pass (WGSL on WebGPU, the TypeScript reference on the CPU) and returns the classes
// and probabilities (inferenceResult.ts).
import { z } from 'zod';
import { datasetIdSchema } from '../../api/datasetSchemas';
import { modelConfigSchema } from '../gradient/gradientSpec';
import { INFERENCE_TOLERANCE } from './inferenceResult';

/** Rows per unit at most (a unit's result is rows x classes float32). */
export const MAX_ROWS_PER_UNIT = 65_536;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const inferenceSpecSchema = z
  .object({
    /** The completed gradient workload whose final parameters are the model. */
    workload: z.string().min(1).max(64),
    /** The uploaded dataset to predict, with the model's feature count; labels optional. */
    dataset: datasetIdSchema,
    /** Rows per unit; default sized by the model (inferencePlan on the coordinator). */
    rowsPerUnit: z.number().int().min(1).max(MAX_ROWS_PER_UNIT).optional(),
    /** Largest difference between two replicas' probabilities (absolute). */
    tolerance: z.number().positive().max(0.1).default(INFERENCE_TOLERANCE),
  })
  .strict();
export type InferenceSpec = z.infer<typeof inferenceSpecSchema>;

/** What the coordinator fixed at submission (never submitted). */
export const resolvedInferenceSchema = z
  .object({
    modelConfig: modelConfigSchema,
    parameterCount: z.number().int().min(1),
    /** SHA-256 of the parameters' float32 bytes: the model version. */
    modelHash: sha256,
    /** The training workload's parameter version the model is. */
    version: z.number().int().min(0),
    rows: z.number().int().min(1),
    rowsPerUnit: z.number().int().min(1).max(MAX_ROWS_PER_UNIT),
    labeled: z.boolean(),
  })
  .strict();
export type ResolvedInference = z.infer<typeof resolvedInferenceSchema>;

/** The spec as stored: the researcher's, and what the coordinator resolved. */
export const storedInferenceSpecSchema = inferenceSpecSchema
  .extend({ resolved: resolvedInferenceSchema })
  .strict();
export type StoredInferenceSpec = z.infer<typeof storedInferenceSpecSchema>;

/** What a volunteer needs to run one inference unit. */
export const inferenceTaskSchema = z
  .object({
    modelConfig: modelConfigSchema,
    parameterCount: z.number().int().min(1),
    /** The parameters (float32 bytes), immutable: keep them by hash. */
    model: z.object({ url: z.string(), hash: sha256 }).strict(),
    /** The unit's rows as a shard (shardCodec.ts bytes; labels there are not used). */
    rows: z
      .object({
        url: z.string(),
        hash: sha256,
        /** Rows in the unit. */
        count: z.number().int().min(1).max(MAX_ROWS_PER_UNIT),
        /** Index of the unit's first row in the dataset. */
        first: z.number().int().min(0),
      })
      .strict(),
  })
  .strict();
export type InferenceTask = z.infer<typeof inferenceTaskSchema>;
