// When two results of a researcher's kernel agree. WGSL rounds +, -, * and comparisons of f32
// correctly, so a kernel built only from them gives the same bits on every device, and its
// replicas are compared exactly (tolerance 0). Functions whose precision WGSL leaves to the
// device (exp, log, sin, pow, sqrt, division...) make honest devices differ in the last bits, so
// a kernel that uses any is compared within a relative tolerance: the one its spec declares, or
// DEFAULT_INEXACT_TOLERANCE. Honest rounding is never judged a lie; a liar can move a unit's sums
// by at most the tolerance (documented beside the spec in the README).
import { blankComments } from './wgslSourceShape';
import type { WgslOutputSums, WgslResult } from './wgslSpec';

/** The relative tolerance of a kernel that uses device-rounded operations and declares none. */
export const DEFAULT_INEXACT_TOLERANCE = 1e-3;
/** The largest tolerance a spec may declare. */
export const MAX_TOLERANCE = 0.01;

/** Builtins whose f32 accuracy WGSL leaves to the device (or which a compiler may fuse). */
const INEXACT_BUILTINS = [
  'exp',
  'exp2',
  'log',
  'log2',
  'pow',
  'sqrt',
  'inverseSqrt',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'atan2',
  'sinh',
  'cosh',
  'tanh',
  'asinh',
  'acosh',
  'atanh',
  'length',
  'distance',
  'normalize',
  'smoothstep',
  'mix',
  'fma',
  'degrees',
  'radians',
];
const BUILTIN_CALL = new RegExp(`\\b(${INEXACT_BUILTINS.join('|')})\\s*\\(`, 'g');

/**
 * The device-rounded operations a source uses, in order of first use: builtin names, and `/`
 * or `%` (division and remainder: f32 division is not correctly rounded in WGSL; an integer one
 * cannot be told apart without types, so it counts too, which only makes the comparison lenient).
 */
export function inexactOperations(source: string): string[] {
  const code = blankComments(source);
  const found = new Set<string>();
  for (const match of code.matchAll(BUILTIN_CALL)) found.add(match[1]!);
  // Comments are blanked, so any slash left is a division (or `/=`).
  if (code.includes('/')) found.add('/');
  if (/%/.test(code)) found.add('%');
  return [...found];
}

/** The tolerance a spec resolves to: its own, or 0 for exact math, else the default. */
export function toleranceFor(spec: { source: string; tolerance?: number | undefined }): number {
  if (spec.tolerance !== undefined) return spec.tolerance;
  return inexactOperations(spec.source).length === 0 ? 0 : DEFAULT_INEXACT_TOLERANCE;
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

/**
 * Two outputs' sums agree within relative tolerance `t`: with n accepted samples and
 * S2 = sum of trunc(x^2 2^32), the sum of |x| 2^32 is at most sqrt(n S2 2^32) (Cauchy-Schwarz),
 * so values each off by at most t relative move S1 by at most t sqrt(n S2 2^32), and S2 by at
 * most about 2t S2 (3t with slack); plus one unit of truncation per sample in each.
 */
function sumsAgree(t: number, samples: number, a: WgslOutputSums, b: WgslOutputSums): boolean {
  if (a.rejected !== b.rejected) return false;
  if (t === 0) return a.sum === b.sum && a.sumSquares === b.sumSquares;
  const n = samples - a.rejected;
  const squaresA = BigInt(a.sumSquares);
  const squaresB = BigInt(b.sumSquares);
  const squares = Number(squaresA > squaresB ? squaresA : squaresB);
  const sumSlack = t * Math.sqrt(n * squares * 2 ** 32) + n;
  const squareSlack = 3 * t * squares + n;
  return (
    Number(abs(BigInt(a.sum) - BigInt(b.sum))) <= sumSlack &&
    Number(abs(squaresA - squaresB)) <= squareSlack
  );
}

/** Two results of one task agree: same samples and outputs, every output's sums within `t`. */
export function resultsAgree(t: number, a: WgslResult, b: WgslResult): boolean {
  return (
    a.samples === b.samples &&
    a.names.length === b.names.length &&
    a.names.every((name, i) => name === b.names[i]) &&
    a.outputs.length === b.outputs.length &&
    a.outputs.every((sums, k) => sumsAgree(t, a.samples, sums, b.outputs[k]!))
  );
}
