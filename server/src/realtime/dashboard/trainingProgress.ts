// A gradient workload's public result (GradientService.summary) read for the dashboard: where
// training stands and its steps as chart points. Read by shape with a schema, as estimateSeries.ts
// reads Monte Carlo results, so a result this build cannot read charts nothing rather than
// breaking the snapshot. Losses that are not finite numbers (a diverged run) become null: JSON
// has no NaN, and a watcher's schema would refuse the whole snapshot over one.
import { z } from 'zod';
import type { StepPoint } from '@tessera/shared';

const gradientResultShape = z.looseObject({
  kind: z.literal('gradient'),
  version: z.number().int().min(0),
  stepsTotal: z.number().int().min(0),
  steps: z.array(
    z.looseObject({
      step: z.number().int().min(0),
      loss: z.unknown(),
      accuracy: z.number().min(0).max(1).optional(),
    }),
  ),
  loss: z.unknown(),
  accuracy: z.number().min(0).max(1).nullable(),
});

export interface TrainingProgress {
  stepsDone: number;
  stepsTotal: number;
  loss: number | null;
  accuracy: number | null;
  /** Every step in the result, in order. */
  steps: StepPoint[];
}

const finiteOrNull = (x: unknown): number | null =>
  typeof x === 'number' && Number.isFinite(x) ? x : null;

/** The training figures of a gradient result, or null when it is not one. */
export function trainingProgressOf(result: Record<string, unknown>): TrainingProgress | null {
  const parsed = gradientResultShape.safeParse(result);
  if (!parsed.success) return null;
  const r = parsed.data;
  return {
    stepsDone: r.version,
    stepsTotal: r.stepsTotal,
    loss: finiteOrNull(r.loss),
    accuracy: r.accuracy,
    steps: r.steps.map((s) => ({
      step: s.step,
      loss: finiteOrNull(s.loss),
      accuracy: s.accuracy ?? null,
    })),
  };
}

/** The result as the workload detail pushes it: the per-step list travels apart, as points. */
export function withoutSteps(result: Record<string, unknown>): Record<string, unknown> {
  // An uploaded dataset's per-column statistics are as long as its rows are wide: not live news.
  const { steps: _steps, standardization: _standardization, ...rest } = result;
  return rest;
}
