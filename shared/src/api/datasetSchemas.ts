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

export const datasetListSchema = z.object({ datasets: z.array(datasetInfoSchema) }).strict();
