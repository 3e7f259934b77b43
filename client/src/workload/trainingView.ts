// What the workload page shows of a gradient workload: its result read by shape (the detail
// pushes it without the per-step list, which arrives as points), and the training curve laid
// out for the chart: x is the number of steps done, so the last point sits at "160 of 160".
import type uPlot from 'uplot';
import { z } from 'zod';
import type { StepPoint } from '@tessera/shared/protocol/dashboardProtocol';

const trainingResultSchema = z.looseObject({
  kind: z.literal('gradient'),
  final: z.boolean(),
  version: z.number().int().min(0),
  stepsTotal: z.number().int().min(0),
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  parameterCount: z.number().int().min(0),
});
export type TrainingResult = z.infer<typeof trainingResultSchema>;

/** The gradient result's figures, or null when the result is not one (or not yet there). */
export function trainingResultOf(result: Record<string, unknown> | null): TrainingResult | null {
  if (!result) return null;
  const parsed = trainingResultSchema.safeParse(result);
  return parsed.success ? parsed.data : null;
}

/** [steps done, loss, held-out accuracy] with nulls where a step has none. */
export function trainingChartData(steps: readonly StepPoint[]): uPlot.AlignedData {
  return [steps.map((p) => p.step + 1), steps.map((p) => p.loss), steps.map((p) => p.accuracy)];
}

/** "1.2 MB": the size of the parameter download (float32, 4 bytes each). */
export function parameterBytesWords(parameterCount: number): string {
  const bytes = parameterCount * 4;
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export interface TrainingNow {
  stepsDone: number;
  stepsTotal: number;
  loss: number | null;
  accuracy: number | null;
}

/**
 * Where training stands, from the broadcast snapshot or the followed result, whichever is
 * further along (they arrive on separate pushes); null while neither has come.
 */
export function trainingNow(
  live: TrainingNow | null,
  result: TrainingResult | null,
): TrainingNow | null {
  const fromResult = result && {
    stepsDone: result.version,
    stepsTotal: result.stepsTotal,
    loss: result.loss,
    accuracy: result.accuracy,
  };
  if (!live || !fromResult) return live ?? fromResult;
  return fromResult.stepsDone > live.stepsDone ? fromResult : live;
}
