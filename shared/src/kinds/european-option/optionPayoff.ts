// One sample's payoff in exact integers, the heart of the european-option kernel; twin of
// optionPayoff.wgsl.ts, bit for bit.
//
// y = log2(S_T / S0) = drift + sigma sqrt(T) log2(e) Z is formed in units of 2^-40 (the drift
// and the Z term each rounded there), then rounded to 2^-32 (ties to even) for exp2Fraction:
// S_T / S0 = 2^n * 2^f. S_T is then an integer in units of spot * 2^-40 (rounded, ties to
// even), below 2^80 by the spec's caps, and the payoff max(S_T - K, 0) or max(K - S_T, 0)
// against K = round(strike / spot * 2^40) is exact: three uint32 words.
import { exp2Fraction, mulHigh } from '../../fixedpoint/fixedMath';
import type { OptionConstants } from './optionConstants';

/** round(m / 2^r), ties to even, for 1 <= r <= 31. */
function roundShiftRight(m: number, r: number): number {
  const scale = 2 ** r;
  const q = Math.floor(m / scale);
  const rest = m - q * scale;
  const half = scale / 2;
  return rest > half || (rest === half && (q & 1) === 1) ? q + 1 : q;
}

/**
 * The payoff of one sample with normal |Z| = zMag (Q4.28), negative when zNegative = 1, in
 * units of spot / 2^40, written to `out` as three uint32 words (low first).
 */
export function optionPayoff(
  zMag: number,
  zNegative: number,
  k: OptionConstants,
  out: Uint32Array,
): Uint32Array {
  // v = round(volMantissa * |Z| / 2^volShift): the Z term of y in units of 2^-40.
  const pHi = mulHigh(k.volMantissa, zMag);
  const pLo = Math.imul(k.volMantissa, zMag) >>> 0;
  const s = k.volShift;
  let vLo: number;
  let vHi: number;
  let roundBit: number;
  if (s < 32) {
    vLo = ((pLo >>> s) | (pHi << (32 - s))) >>> 0;
    vHi = pHi >>> s;
    roundBit = (pLo >>> (s - 1)) & 1;
  } else if (s === 32) {
    vLo = pHi;
    vHi = 0;
    roundBit = pLo >>> 31;
  } else {
    vLo = pHi >>> (s - 32);
    vHi = 0;
    roundBit = (pHi >>> (s - 33)) & 1;
  }
  vLo = (vLo + roundBit) >>> 0;
  if (vLo < roundBit) vHi += 1;
  let yLo: number;
  let yHi: number;
  if (zNegative === 1) {
    yLo = (k.driftLo - vLo) >>> 0;
    yHi = (k.driftHi - vHi - (k.driftLo < vLo ? 1 : 0)) >>> 0;
  } else {
    yLo = (k.driftLo + vLo) >>> 0;
    yHi = (k.driftHi + vHi + (yLo < k.driftLo ? 1 : 0)) >>> 0;
  }
  // y has 40 fractional bits; exp2 takes 32: round, ties to even (a tie every 256 samples).
  let fLo = ((yLo >>> 8) | (yHi << 24)) >>> 0;
  let n = yHi >> 8;
  const rest = yLo & 0xff;
  if (rest > 0x80 || (rest === 0x80 && (fLo & 1) === 1)) {
    fLo = (fLo + 1) >>> 0;
    if (fLo === 0) n += 1;
  }
  const m = exp2Fraction(fLo);
  // S_T / S0 * 2^40 = 2^n * (m / 2^31) * 2^40 = m * 2^(n + 9).
  const shift = n + 9;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  if (shift >= 0) {
    const sh = Math.min(shift, 63);
    const bit = sh & 31;
    const low = (m << bit) >>> 0;
    const high = bit === 0 ? 0 : m >>> (32 - bit);
    if (sh < 32) {
      s0 = low;
      s1 = high;
    } else {
      s1 = low;
      s2 = high;
    }
  } else {
    const r = -shift;
    if (r <= 31) s0 = roundShiftRight(m, r);
    else if (r === 32) s0 = m > 0x80000000 ? 1 : 0;
  }
  const kLo = k.strikeLo;
  const kHi = k.strikeHi;
  out[0] = 0;
  out[1] = 0;
  out[2] = 0;
  if (!k.put) {
    const above = s2 !== 0 || s1 > kHi || (s1 === kHi && s0 > kLo);
    if (above) {
      const b0 = s0 < kLo ? 1 : 0;
      const b1 = s1 < kHi || (s1 === kHi && b0 === 1) ? 1 : 0;
      out[0] = (s0 - kLo) >>> 0;
      out[1] = (s1 - kHi - b0) >>> 0;
      out[2] = (s2 - b1) >>> 0;
    }
  } else {
    const below = s2 === 0 && (s1 < kHi || (s1 === kHi && s0 < kLo));
    if (below) {
      const b0 = kLo < s0 ? 1 : 0;
      out[0] = (kLo - s0) >>> 0;
      out[1] = (kHi - s1 - b0) >>> 0;
    }
  }
  return out;
}
