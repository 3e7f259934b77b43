// Elementary functions in fixed point, on uint32 words with exact integer arithmetic only, so
// that JavaScript, WGSL on any GPU and native C compute the same bits. GPU float math (exp,
// log, cos, even division and sqrt, with FMA contraction at the driver's whim) is not
// reproducible across devices; these are. The WGSL twin is fixedMath.wgsl.ts: every function
// there performs the same rounded operations in the same order (only the way an exact product
// or the uniquely defined isqrt64Round is reached differs), and a test runs both on Dawn over
// thousands of inputs, bit for bit. Another test states each function's error against float64.
//
// Formats: Qi.f is an unsigned value v stored as round(v * 2^f) in a uint32 (i + f = 32).
// Every product is rounded to nearest, so rounding errors do not drift one way: half up where
// 32 bits are dropped (an exact tie has odds 2^-32), half to even where one bit is (a tie every
// other time, which rounding up would turn into a bias of a quarter unit); polynomial tails
// are cut where the next term is below 2^-34.
import { mulhi32 } from '../rng/philox';

const TWO_POW_31 = 0x80000000;
const TWO_POW_32 = 4294967296;

// The products below are exact in float64: a uint32 times a 16-bit half is below 2^48, and
// the halves' partial sums stay below 2^53. They equal the WGSL versions (built on mulhi32)
// as integers, not merely approximately: fixedMath.test.ts checks them against BigInt and
// fixedMathWgsl.test.ts against WGSL. Arguments are uint32 values (non-negative numbers).

/** floor(a * b / 2^32) for uint32 a, b (mulhi32 with two float64 products instead of four). */
export function mulHigh(a: number, b: number): number {
  return Math.floor(((a >>> 16) * b + Math.floor(((a & 0xffff) * b) / 65536)) / 65536);
}

/** round(a * b / 2^32): the product of two Q0.32 values (or Qi.f times Q0.32, keeping Qi.f). */
export function mulRound32(a: number, b: number): number {
  // At most 2^32 - 1: (2^32 - 1)^2 + 2^31 < 2^64.
  return Math.floor(((a >>> 16) * b + Math.floor(((a & 0xffff) * b + 2147483648) / 65536)) / 65536);
}

/** round(v / 2), ties to even: dropping a single bit without a bias. */
export function halveRound(v: number): number {
  return (v >>> 1) + (v & (v >>> 1) & 1);
}

/** round(a * b / 2^31), saturating at 2^32 - 1: for a factor in Q1.31. */
export function mulRound31(a: number, b: number): number {
  const r = Math.floor(
    ((a >>> 16) * b + Math.floor(((a & 0xffff) * b + 1073741824) / 65536)) / 32768,
  );
  return r > 0xffffffff ? 0xffffffff : r;
}

/**
 * round(m * c / 2^63) for m in Q1.31 and a 64-bit constant c = cHi * 2^32 + cLo in Q1.63,
 * saturating at 2^32 - 1. The constant's extra word keeps its own error near 2^-64, so what is
 * left is the rounding of the result, which does not lean one way.
 */
export function mulRoundQ163(m: number, cHi: number, cLo: number): number {
  // m * c / 2^32 = m * cHi + floor(m * cLo / 2^32) + (a fraction that cannot reach bit 62).
  const a = (m >>> 16) * cHi;
  const b = (m & 0xffff) * cHi + mulHigh(m, cLo);
  const r = Math.floor((a + Math.floor((b + 1073741824) / 65536)) / 32768);
  return r > 0xffffffff ? 0xffffffff : r;
}

// --- log2 -------------------------------------------------------------------------------------

/**
 * Range reduction for log2: step k divides by 2^(2^-k) (multiplies by LOG2_INVERSE[k], Q0.32)
 * when the mantissa is at least LOG2_THRESHOLD[k] = ceil(2^63 / LOG2_INVERSE[k]), which makes
 * the reduced mantissa provably >= 1.0 (no negative remainder).
 */
export const LOG2_INVERSE = [0xb504f334, 0xd744fccb, 0xeac0c6e8, 0xf5257d15] as const;
export const LOG2_THRESHOLD = [0xb504f334, 0x9837f052, 0x8b95c1e4, 0x85aac368] as const;
const [INVERSE_1, INVERSE_2, INVERSE_3, INVERSE_4] = LOG2_INVERSE;
const [THRESHOLD_1, THRESHOLD_2, THRESHOLD_3, THRESHOLD_4] = LOG2_THRESHOLD;
/** round(2^32 / k) for k = 2..6: ln(1 + d) = d - d^2 (1/2 - d (1/3 - d (1/4 - d (1/5 - d/6)))). */
export const INV_2 = 0x80000000;
export const INV_3 = 1431655765;
export const INV_4 = 0x40000000;
export const INV_5 = 858993459;
export const INV_6 = 715827883;
/** round(log2(e) * 2^31), Q1.31. */
export const LOG2E_Q31 = 3098164009;

/**
 * log2(m / 2^31) in Q0.32 for a mantissa m in [2^31, 2^32) (a value in [1, 2)).
 * Four reduction steps leave 1 + d with d < 2^(1/16) - 1 = 0.0443; the series for ln(1 + d) to
 * d^6 then errs by under 5e-11. Saturates at 2^32 - 1 rather than wrapping near m = 2^32.
 */
export function log2Mantissa(mantissa: number): number {
  // Unrolled: this is the reference's hottest loop (the WGSL twin keeps the loop).
  let m = mantissa;
  let bits = 0;
  if (m >= THRESHOLD_1) {
    m = mulRound32(m, INVERSE_1);
    bits += 0x80000000;
  }
  if (m >= THRESHOLD_2) {
    m = mulRound32(m, INVERSE_2);
    bits += 0x40000000;
  }
  if (m >= THRESHOLD_3) {
    m = mulRound32(m, INVERSE_3);
    bits += 0x20000000;
  }
  if (m >= THRESHOLD_4) {
    m = mulRound32(m, INVERSE_4);
    bits += 0x10000000;
  }
  const d = (m - TWO_POW_31) * 2;
  let q = INV_6;
  q = INV_5 - mulRound32(d, q);
  q = INV_4 - mulRound32(d, q);
  q = INV_3 - mulRound32(d, q);
  q = INV_2 - mulRound32(d, q);
  const ln = d - mulRound32(d, mulRound32(d, q));
  const total = bits + mulRound31(ln, LOG2E_Q31);
  return total >= TWO_POW_32 ? 0xffffffff : total;
}

/**
 * t = -log2(u) for the 64-bit uniform u = ((hi * 2^32 + lo) | 1) / 2^64: the midpoints of 2^63
 * equal cells of (0, 1), never 0 or 1. Written to `out` as a 64-bit fixed-point number with 32
 * fractional bits: out[0] = fraction word, out[1] = integer part (1..64). The mantissa keeps
 * the top 32 significant bits of u (truncated: an error in t below 2^-31).
 */
export function negLog2Uniform64(hi: number, lo: number, out: Uint32Array): Uint32Array {
  const low = (lo | 1) >>> 0;
  let mantissa: number;
  let exponent: number;
  if (hi !== 0) {
    const z = Math.clz32(hi);
    mantissa = z === 0 ? hi >>> 0 : ((hi << z) | (low >>> (32 - z))) >>> 0;
    exponent = 63 - z;
  } else {
    const z = Math.clz32(low);
    mantissa = (low << z) >>> 0;
    exponent = 31 - z;
  }
  const l = log2Mantissa(mantissa);
  if (l === 0) {
    out[0] = 0;
    out[1] = 64 - exponent;
  } else {
    out[0] = TWO_POW_32 - l;
    out[1] = 63 - exponent;
  }
  return out;
}

// --- square root ------------------------------------------------------------------------------

/** (hi, lo) <= (bHi, bLo) as 64-bit unsigned numbers. */
function lessOrEqual64(aHi: number, aLo: number, bHi: number, bLo: number): boolean {
  return aHi < bHi || (aHi === bHi && aLo <= bLo);
}

/** floor(sqrt(2^64 - 1)): the largest root whose square fits 64 bits. */
const MAX_ROOT = 0xffffffff;

/**
 * round(sqrt(hi * 2^32 + lo)) for any 64-bit value: the root r with r^2 <= x < (r + 1)^2,
 * plus one when x - r^2 > r (x is then nearer (r + 1)^2), saturating at 2^32 - 1. Uniquely
 * defined, so this twin and the WGSL one may find it differently: here a float64 guess,
 * corrected with exact integer comparisons.
 */
export function isqrt64Round(hi: number, lo: number): number {
  let r = Math.min(MAX_ROOT, Math.floor(Math.sqrt(hi * TWO_POW_32 + lo)));
  while (!lessOrEqual64(mulhi32(r, r), Math.imul(r, r) >>> 0, hi, lo)) r -= 1;
  while (r < MAX_ROOT) {
    const s = r + 1;
    if (!lessOrEqual64(mulhi32(s, s), Math.imul(s, s) >>> 0, hi, lo)) break;
    r = s;
  }
  // x - r^2 < 2r + 1 < 2^33: exact as a double.
  const remainder = (hi - mulhi32(r, r)) * TWO_POW_32 + (lo - (Math.imul(r, r) >>> 0));
  return remainder > r && r < MAX_ROOT ? r + 1 : r;
}

// --- sine and cosine --------------------------------------------------------------------------

/** round(2 * pi * 2^29), Q3.29: turns an eighth-turn fraction into radians. */
export const TWO_PI_Q29 = 3373259426;
/** round(2^32 / k!) for k = 3, 5, 7, 9, 11 (sine) and 2, 4, ..., 12 (cosine). */
export const SIN_COEFFICIENTS = [715827883, 35791394, 852176, 11836, 108] as const;
export const COS_COEFFICIENTS = [0x80000000, 178956971, 5965232, 106522, 1184, 9] as const;
const [SIN_3, SIN_5, SIN_7, SIN_9, SIN_11] = SIN_COEFFICIENTS;
const [COS_2, COS_4, COS_6, COS_8, COS_10, COS_12] = COS_COEFFICIENTS;

/**
 * cos and sin of the angle u / 2^32 of a full turn, written to `out` as magnitudes in Q1.31
 * (1.0 = 2^31) and signs: out = [|cos|, |sin|, cos < 0 ? 1 : 0, sin < 0 ? 1 : 0]. The top three
 * bits pick the octant; the rest becomes phi in [0, pi/4], where the Taylor series (sine to
 * phi^11, cosine to phi^12) err by under 1e-11. Every Horner step subtracts a smaller value
 * from a larger one, so the unsigned arithmetic never wraps.
 */
export function sinCosTurn(u: number, out: Uint32Array): Uint32Array {
  const octant = u >>> 29;
  const within = u & 0x1fffffff;
  // Odd octants run backwards from the next multiple of pi/4: phi = pi/4 - within.
  const r = (octant & 1) === 1 ? 0x20000000 - within : within;
  const hi = mulHigh(r, TWO_PI_Q29);
  const lo = Math.imul(r, TWO_PI_Q29) >>> 0;
  const phi = (((hi << 3) | (lo >>> 29)) >>> 0) + ((lo >>> 28) & 1);
  const phi2 = mulRound32(phi, phi);
  let qs: number = SIN_11;
  qs = SIN_9 - mulRound32(phi2, qs);
  qs = SIN_7 - mulRound32(phi2, qs);
  qs = SIN_5 - mulRound32(phi2, qs);
  qs = SIN_3 - mulRound32(phi2, qs);
  const sin32 = phi - mulRound32(mulRound32(phi, phi2), qs);
  let qc: number = COS_12;
  qc = COS_10 - mulRound32(phi2, qc);
  qc = COS_8 - mulRound32(phi2, qc);
  qc = COS_6 - mulRound32(phi2, qc);
  qc = COS_4 - mulRound32(phi2, qc);
  qc = COS_2 - mulRound32(phi2, qc);
  const t = mulRound32(phi2, qc);
  const cos31 = TWO_POW_31 - halveRound(t);
  const sin31 = halveRound(sin32);
  // Octants 1, 2, 5, 6 measure phi from the y axis: cosine and sine trade places.
  const swap = ((octant + 1) & 2) !== 0;
  out[0] = swap ? sin31 : cos31;
  out[1] = swap ? cos31 : sin31;
  out[2] = ((octant + 2) & 4) !== 0 ? 1 : 0;
  out[3] = octant >= 4 ? 1 : 0;
  return out;
}

// --- exp2 -------------------------------------------------------------------------------------

/** 2^(2^-k) for k = 1..4 in Q1.63, as [high word, low word]. */
export const EXP2_FACTORS = [
  [0xb504f333, 0xf9de6484],
  [0x9837f051, 0x8db8a96f],
  [0x8b95c1e3, 0xea8bd6e7],
  [0x85aac367, 0xcc487b15],
] as const;
/** round(ln(2) * 2^32), Q0.32. */
export const LN2_Q32 = 2977044472;
/** round(2^32 / k) for k = 2, 6, 24, 120: e^h - 1 = h + h^2 (1/2 + h (1/6 + h (1/24 + h/120))). */
export const EXP_COEFFICIENTS = [0x80000000, 715827883, 178956971, 35791394] as const;
const [EXP_2, EXP_6, EXP_24, EXP_120] = EXP_COEFFICIENTS;
const [
  [EXP2_HI_1, EXP2_LO_1],
  [EXP2_HI_2, EXP2_LO_2],
  [EXP2_HI_3, EXP2_LO_3],
  [EXP2_HI_4, EXP2_LO_4],
] = EXP2_FACTORS;

/**
 * 2^(f / 2^32) in Q1.31 (a value in [1, 2)) for a fraction f in Q0.32. The top four bits of f
 * select factors 2^(1/2), 2^(1/4), 2^(1/8), 2^(1/16) (64-bit constants); the remaining
 * g < 1/16 goes through e^(g ln 2), whose series to h^5 errs by under 1e-11.
 * Saturates at 2^32 - 1 rather than wrapping when f is just below 1.
 */
export function exp2Fraction(f: number): number {
  const g = f & 0x0fffffff;
  const h = mulRound32(g, LN2_Q32);
  let q: number = EXP_120;
  q = EXP_24 + mulRound32(h, q);
  q = EXP_6 + mulRound32(h, q);
  q = EXP_2 + mulRound32(h, q);
  const expm1 = h + mulRound32(h, mulRound32(h, q));
  let m = TWO_POW_31 + halveRound(expm1);
  if ((f & 0x80000000) !== 0) m = mulRoundQ163(m, EXP2_HI_1, EXP2_LO_1);
  if ((f & 0x40000000) !== 0) m = mulRoundQ163(m, EXP2_HI_2, EXP2_LO_2);
  if ((f & 0x20000000) !== 0) m = mulRoundQ163(m, EXP2_HI_3, EXP2_LO_3);
  if ((f & 0x10000000) !== 0) m = mulRoundQ163(m, EXP2_HI_4, EXP2_LO_4);
  return m;
}
