// Thins a gradient workload's per-step curve to a bounded number of points, keeping the run's
// shape: the steps are cut into equal runs, and each run becomes one point at its last step with
// the mean of its losses and its latest held-out accuracy. Equal runs of steps (not of points),
// so a curve that was already thinned once, then grew, comes out evenly spaced again. Both the
// coordinator (the dashboard's small charts, its bounded history) and the page (its own bound)
// use it.
import type { StepPoint } from './dashboardProtocol';

function mergeRun(run: readonly StepPoint[]): StepPoint {
  let lossSum = 0;
  let losses = 0;
  let accuracy: number | null = null;
  for (const p of run) {
    if (p.loss !== null) {
      lossSum += p.loss;
      losses += 1;
    }
    if (p.accuracy !== null) accuracy = p.accuracy;
  }
  return { step: run.at(-1)!.step, loss: losses > 0 ? lossSum / losses : null, accuracy };
}

/** At most `max` points standing for `points` (in increasing step order); short curves as is. */
export function thinSteps(points: readonly StepPoint[], max: number): StepPoint[] {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  if (points.length <= max) return points.slice();
  // Runs of `width` steps counted from step 0 (so a thinned curve, whose first point is its
  // first run's last step, is cut the same way): last / width < max, so at most `max` runs.
  const width = Math.ceil((points.at(-1)!.step + 1) / max);
  const out: StepPoint[] = [];
  let run: StepPoint[] = [];
  let runIndex = 0;
  for (const point of points) {
    const index = Math.floor(point.step / width);
    if (index !== runIndex && run.length > 0) {
      out.push(mergeRun(run));
      run = [];
    }
    runIndex = index;
    run.push(point);
  }
  if (run.length > 0) out.push(mergeRun(run));
  return out;
}
