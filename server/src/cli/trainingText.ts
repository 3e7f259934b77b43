// A gradient workload's training in words: the step, training loss and held-out accuracy that
// the progress line and `tessera status ID` show, and the one-line summary of a trained model.
import type { GradientWorkloadResult } from '@tessera/shared';

const number = new Intl.NumberFormat('en-US');

/** Where training stands: what the progress display needs from a gradient result. */
export interface TrainingProgress {
  /** Steps completed (= the parameter version). */
  step: number;
  stepsTotal: number;
  /** The latest step's training loss; null before the first step, or when it was not finite. */
  loss: number | null;
  /** The latest held-out accuracy; null before the first evaluation. */
  accuracy: number | null;
}

export function trainingProgress(result: GradientWorkloadResult): TrainingProgress {
  return {
    step: result.version,
    stepsTotal: result.stepsTotal,
    loss: result.loss,
    accuracy: result.accuracy,
  };
}

/** Three significant digits: past that a training loss is noise from one batch to the next. */
export function lossWords(loss: number): string {
  return Math.abs(loss) >= 1000 ? loss.toFixed(0) : loss.toPrecision(3);
}

export function accuracyWords(accuracy: number): string {
  return accuracy.toFixed(4);
}

/**
 * `['step 6/20', 'loss 0.512', 'accuracy 0.8123']`, the accuracy left out before the first
 * evaluation (and the loss before the first step); `short` says `acc` for a terminal line.
 */
export function trainingParts(t: TrainingProgress, short = false): string[] {
  const parts = [`step ${number.format(t.step)}/${number.format(t.stepsTotal)}`];
  if (t.loss !== null) parts.push(`loss ${lossWords(t.loss)}`);
  else if (t.step > 0) parts.push('loss not finite');
  if (t.accuracy !== null) parts.push(`${short ? 'acc' : 'accuracy'} ${accuracyWords(t.accuracy)}`);
  return parts;
}

/**
 * `trained 80 steps: held-out accuracy 0.9045, final loss 0.367; 7,850 parameters`, or while
 * it runs (or after it stopped short) `trained 40 of 80 steps so far: ...`.
 */
export function gradientSummary(result: GradientWorkloadResult): string {
  const steps = result.final
    ? `trained ${number.format(result.version)} steps`
    : `trained ${number.format(result.version)} of ${number.format(result.stepsTotal)} steps so far`;
  const figures: string[] = [];
  if (result.accuracy !== null) figures.push(`held-out accuracy ${accuracyWords(result.accuracy)}`);
  const which = result.final ? 'final' : 'latest';
  if (result.loss !== null) figures.push(`${which} loss ${lossWords(result.loss)}`);
  else if (result.version > 0) figures.push(`${which} loss not finite`);
  const measured = figures.length > 0 ? figures.join(', ') : 'no step finished yet';
  return `${steps}: ${measured}; ${number.format(result.parameterCount)} parameters`;
}
