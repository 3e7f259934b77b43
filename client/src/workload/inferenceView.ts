// What the workload page shows of an inference workload: its result read by shape (rows
// predicted, accuracy where the dataset has labels, the model it ran; each row's class so far
// where the result carries it: REST does, the live feed's tally does not), and the predictions
// counted per class for the histogram.
import { z } from 'zod';

const count = z.number().int().min(0);

const inferenceResultSchema = z.looseObject({
  final: z.boolean(),
  rows: count,
  rowsPredicted: count,
  classes: z.number().int().min(1),
  labeled: z.boolean(),
  correct: count.optional(),
  accuracy: z.number().min(0).max(1).nullable().optional(),
  model: z.looseObject({ workload: z.string(), version: count, hash: z.string() }),
  dataset: z.string(),
  /** Rows predicted as each class (the tally: the live feed carries it). */
  classCounts: z.array(count).optional(),
  predictions: z.array(z.number().int().min(0).nullable()).optional(),
});
export type InferenceResult = z.infer<typeof inferenceResultSchema>;

/** The inference result's figures, or null when the result is not one (or not yet there). */
export function inferenceResultOf(result: Record<string, unknown> | null): InferenceResult | null {
  if (!result) return null;
  const parsed = inferenceResultSchema.safeParse(result);
  return parsed.success ? parsed.data : null;
}

/** Rows predicted as each class, 0 to classes − 1; rows not predicted yet are not counted. */
export function classCounts(predictions: readonly (number | null)[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const c of predictions) if (c !== null && c < classes) counts[c]! += 1;
  return counts;
}

/** The model version's hash as people compare it: its first 12 hex digits. */
export function hashPrefix(hash: string): string {
  return hash.slice(0, 12);
}

/** The answer's downloads: every predicted row as CSV (so far), all rows as binary (final). */
export function inferenceDownloads(id: string): { csv: string; bin: string } {
  const base = `/api/workloads/${encodeURIComponent(id)}/result`;
  return { csv: `${base}?format=csv`, bin: `${base}?format=bin` };
}
