// How two float results of the same gradient unit are judged equal: the validator's rule for
// replicas (GPU vs GPU, GPU vs CPU reference), and the tests' rule for WGSL vs TypeScript.
//
//   gradient: relative L2 error ||a - b|| / max(||b||, TINY_NORM) <= tol
//   loss:     |a - b| / max(|b|, TINY_NORM) <= tol
//   count:    equal
//   correct:  |a - b| <= max(1, ceil(count / 100)): an argmax near a tie may flip between
//             float32 and float64, and `correct` only feeds the training-accuracy metric
// Non-finite numbers anywhere make a result unequal to everything, itself included.
import type { GradientResult } from './gradientReference';

/** The tolerance the validator and the WGSL-vs-reference tests use unless told otherwise. */
export const GRADIENT_TOLERANCE = 1e-4;

/** Norms below this are treated as this, so an all-zero reference does not divide by zero. */
export const TINY_NORM = 1e-12;

/** ||a - b||_2 / max(||b||_2, TINY_NORM), in float64; Infinity when lengths differ or a value is not finite. */
export function relativeL2Error(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return Number.POSITIVE_INFINITY;
    diff += (x - y) * (x - y);
    norm += y * y;
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), TINY_NORM);
}

export function relativeError(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Number.POSITIVE_INFINITY;
  return Math.abs(a - b) / Math.max(Math.abs(b), TINY_NORM);
}

/** Why `a` differs from `b` beyond `tol`, or null when they agree (b is the reference). */
export function gradientResultMismatch(
  a: GradientResult,
  b: GradientResult,
  tol = GRADIENT_TOLERANCE,
): string | null {
  if (a.count !== b.count) return `count ${a.count} vs ${b.count}`;
  const correctSlack = Math.max(1, Math.ceil(b.count / 100));
  if (!(Math.abs(a.correct - b.correct) <= correctSlack)) {
    return `correct ${a.correct} vs ${b.correct} (slack ${correctSlack})`;
  }
  const loss = relativeError(a.lossSum, b.lossSum);
  if (!(loss <= tol)) return `lossSum ${a.lossSum} vs ${b.lossSum}: relative error ${loss}`;
  const grad = relativeL2Error(a.gradSum, b.gradSum);
  if (!(grad <= tol)) return `gradSum relative L2 error ${grad} > ${tol}`;
  return null;
}

export function sameGradientResult(
  a: GradientResult,
  b: GradientResult,
  tol = GRADIENT_TOLERANCE,
): boolean {
  return gradientResultMismatch(a, b, tol) === null;
}
