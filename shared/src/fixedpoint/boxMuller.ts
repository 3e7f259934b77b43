// Standard normal pairs from raw Philox words, in exact fixed point (Box–Muller): one 64-bit
// uniform u for the radius R = sqrt(-2 ln u) and one 32-bit angle for (cos, sin). Twin of
// boxMuller.wgsl.ts, bit for bit. u = ((hi:lo) | 1) / 2^64 never reaches 0, and its smallest
// value 2^-64 caps R at sqrt(128 ln 2) = 9.42: tails beyond 9.4 standard deviations (odds
// under 1e-20) are not drawn.
import {
  INV_2,
  INV_3,
  INV_4,
  isqrt64Round,
  mulHigh,
  mulRound31,
  mulRound32,
  negLog2Uniform64,
  sinCosTurn,
} from './fixedMath';

/** round(2 ln 2 * 2^31), Q1.31: -2 ln u = (2 ln 2) * (-log2 u). */
export const TWO_LN2_Q31 = 2977044472;
/** Largest |Z| the generator can return: sqrt(128 ln 2). */
export const NORMAL_MAX = Math.sqrt(128 * Math.LN2);
/** Fractional bits of |Z| (Q4.28: |Z| < 16). */
export const NORMAL_FRACTION_BITS = 28;

const t = new Uint32Array(2);
const square = new Uint32Array(2);
const angle = new Uint32Array(4);

/** u >= 1 - 2^-8 (high word at or above this) takes the series path of radiusSquared. */
export const NEAR_ONE_HIGH_WORD = 0xff000000;

/**
 * R^2 * 2^56 = -2 ln(u) * 2^56, u = ((hi:lo) | 1) / 2^64, written to `out` as [low, high]
 * (below 2^63). Through log2 for u < 1 - 2^-8; above, where -log2(u) would be 1 - log2(2u),
 * a difference of two nearly equal numbers that leaves log2's absolute error on a tiny
 * result, from w = 1 - u exactly: -2 ln(1 - w) = 2w (1 + w/2 + w^2/3 + w^3/4), whose next
 * term is below 2^-34 of the sum.
 */
export function radiusSquared(hi: number, lo: number, out: Uint32Array): Uint32Array {
  let sumLo: number;
  let sumHi: number;
  if (hi >= NEAR_ONE_HIGH_WORD) {
    // w * 2^64 = 2^64 - ((hi:lo) | 1): the low word is odd, so no borrow reaches the high one.
    const wLo = (0 - (lo | 1)) >>> 0;
    const wHi = 0xffffffff - hi;
    const w = wHi + (wLo >>> 31);
    let q = INV_4;
    q = INV_3 + mulRound32(w, q);
    q = INV_2 + mulRound32(w, q);
    const s = mulRound32(w, q);
    // (w * 2^64) * (1 + s): the product w * 2^64 * s / 2^32 in two pieces.
    let pLo = Math.imul(wHi, s) >>> 0;
    let pHi = mulHigh(wHi, s);
    const tail = mulHigh(wLo, s);
    pLo = (pLo + tail) >>> 0;
    if (pLo < tail) pHi += 1;
    sumLo = (wLo + pLo) >>> 0;
    sumHi = wHi + pHi + (sumLo < wLo ? 1 : 0);
  } else {
    negLog2Uniform64(hi, lo, t);
    const tFraction = t[0]!;
    const tInteger = t[1]!;
    // round(t * 2^32 * TWO_LN2_Q31 / 2^7) below: t < 2^38 in units of 2^-32, so the product
    // stays below 2^70; here its upper 64 bits (sumHi:sumLo) and low word l1.
    const l1 = Math.imul(tFraction, TWO_LN2_Q31) >>> 0;
    const h1 = mulHigh(tFraction, TWO_LN2_Q31);
    const l2 = Math.imul(tInteger, TWO_LN2_Q31) >>> 0;
    const h2 = mulHigh(tInteger, TWO_LN2_Q31);
    const w1 = (h1 + l2) >>> 0;
    const w2 = h2 + (w1 < h1 ? 1 : 0);
    const roundBit = (l1 >>> 6) & 1;
    let xLo = ((l1 >>> 7) | (w1 << 25)) >>> 0;
    let xHi = ((w1 >>> 7) | (w2 << 25)) >>> 0;
    xLo = (xLo + roundBit) >>> 0;
    if (xLo < roundBit) xHi += 1;
    out[0] = xLo;
    out[1] = xHi;
    return out;
  }
  // round((sumHi:sumLo) / 2^7)
  const roundBit = (sumLo >>> 6) & 1;
  let xLo = ((sumLo >>> 7) | (sumHi << 25)) >>> 0;
  let xHi = sumHi >>> 7;
  xLo = (xLo + roundBit) >>> 0;
  if (xLo < roundBit) xHi += 1;
  out[0] = xLo;
  out[1] = xHi;
  return out;
}

/**
 * Two independent standard normals from Philox words (x, y, z), written to `out` as
 * [|Z0|, |Z1|, Z0 < 0, Z1 < 0] with magnitudes in Q4.28: Z0 = R cos(theta), Z1 = R sin(theta),
 * R from the uniform (x:y), theta = 2 pi z / 2^32.
 */
export function normalPair(x: number, y: number, z: number, out: Uint32Array): Uint32Array {
  radiusSquared(x, y, square);
  const radius = isqrt64Round(square[1]!, square[0]!);
  sinCosTurn(z, angle);
  out[0] = mulRound31(radius, angle[0]!);
  out[1] = mulRound31(radius, angle[1]!);
  out[2] = angle[2]!;
  out[3] = angle[3]!;
  return out;
}
