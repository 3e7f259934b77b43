// The integer constants a european-option unit runs on, derived from its float parameters in
// exact rational arithmetic (BigInt). Every volunteer derives them itself from the task, so the
// derivation must give the same bits in every JavaScript engine: it uses only the exact binary
// value of each double and integer operations, never Math.exp, Math.log or Math.sqrt (which
// ECMAScript lets engines approximate differently).
import type { OptionParams } from './optionSpec';

/** round(log2(e) * 2^128): 129 bits, far more than any constant below needs. */
export const LOG2E_Q128 = 0x171547652b82fe1777d0ffda0d23a7d12n;

/** Fractional bits of y (log2 of S_T / S0) before it is rounded to exp2's 32. */
export const LOG_FRACTION_BITS = 40;
/** Fractional bits of S_T / S0 and of the strike ratio: payoffs are in units of spot * 2^-40. */
export const PRICE_FRACTION_BITS = 40;

/**
 * What the kernel computes with, per sample (all in log2 units, so exp becomes exp2):
 *   y = drift + sign(Z) * round(volMantissa * |Z| / 2^volShift)   in units of 2^-40,
 * with |Z| in Q4.28; then S_T / S0 = 2^y, and the payoff compares S_T / S0 * 2^40 with the
 * strike ratio below. Drift and strike carry 8 bits more than exp2's input: their rounding,
 * the same for every sample, would be a bias; the extra bits let each sample's own rounding
 * (to 2^-32 in y, to a unit in the payoff) average it out.
 */
export interface OptionConstants {
  /** round((r - sigma^2 / 2) T log2(e) * 2^40) as a two's-complement 64-bit value. */
  driftLo: number;
  driftHi: number;
  /** sigma sqrt(T) log2(e) = volMantissa * 2^-(volShift + 12), volMantissa in [2^31, 2^32). */
  volMantissa: number;
  /** In [17, 63]; 63 with a zero mantissa when sigma sqrt(T) is too small to move y at all. */
  volShift: number;
  /** round(strike / spot * 2^40), below 2^50. */
  strikeLo: number;
  strikeHi: number;
  put: boolean;
}

/** x = m * 2^e exactly, m an integer: the binary value of a double. */
export function exactDyadic(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  if (biased === 0x7ff) throw new RangeError(`not a finite number: ${x}`);
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e = -1074;
  if (biased !== 0) {
    m |= 1n << 52n;
    e = biased - 1075;
  }
  return { m: hi >>> 31 === 1 ? -m : m, e };
}

/** round(n / 2^k), half up (k may be negative: then n * 2^-k). */
export function roundShift(n: bigint, k: number): bigint {
  if (k <= 0) return n << BigInt(-k);
  return (n + (1n << BigInt(k - 1))) >> BigInt(k);
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** floor(sqrt(n)) for n >= 0: Newton's iteration from above. */
export function isqrtBig(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

const MASK32 = 0xffffffffn;

function words(value: bigint): [lo: number, hi: number] {
  const u = BigInt.asUintN(64, value);
  return [Number(u & MASK32), Number(u >> 32n)];
}

export function optionConstants(params: OptionParams): OptionConstants {
  const rate = exactDyadic(params.rate);
  const vol = exactDyadic(params.volatility);
  const maturity = exactDyadic(params.maturity);

  // (r T - sigma^2 T / 2) = a * 2^ea - b * 2^eb, brought to the smaller exponent.
  const a = rate.m * maturity.m;
  const ea = rate.e + maturity.e;
  const b = vol.m * vol.m * maturity.m;
  const eb = 2 * vol.e + maturity.e - 1;
  const e0 = Math.min(ea, eb);
  const numerator = (a << BigInt(ea - e0)) - (b << BigInt(eb - e0));
  // value * log2(e) * 2^40 = numerator * LOG2E_Q128 * 2^(e0 + 40 - 128)
  const drift = roundShift(numerator * LOG2E_Q128, 128 - LOG_FRACTION_BITS - e0);
  const [driftLo, driftHi] = words(drift);

  // (sigma sqrt(T) log2 e)^2 = A * 2^x; take its square root with ~70 significant bits, then
  // round to a 32-bit mantissa.
  const A = vol.m * vol.m * maturity.m * LOG2E_Q128 * LOG2E_Q128;
  const x = 2 * vol.e + maturity.e - 256;
  const f = Math.ceil((140 - bitLength(A) - x) / 2);
  const root = isqrtBig(roundShift(A, -(x + 2 * f)));
  const drop = bitLength(root) - 32;
  let volMantissa = roundShift(root, drop);
  let exponent = f - drop;
  if (volMantissa === 1n << 32n) {
    volMantissa = 1n << 31n;
    exponent -= 1;
  }
  // v * 2^40 = volMantissa * 2^-exponent * (|Z| * 2^28) * 2^-28 * 2^40
  let volShift = exponent + 28 - LOG_FRACTION_BITS;
  if (volShift < 17) {
    throw new RangeError(
      `volatility * sqrt(maturity) = ${params.volatility * Math.sqrt(params.maturity)} is beyond the kernel's range`,
    );
  }
  if (volShift > 63) {
    // sigma sqrt(T) log2(e) |Z| < 2^-40 for every |Z|: a unit of y at most; take it as none.
    volMantissa = 0n;
    volShift = 63;
  }

  const spot = exactDyadic(params.spot);
  const strike = exactDyadic(params.strike);
  const shift = strike.e - spot.e + PRICE_FRACTION_BITS;
  const num = shift >= 0 ? strike.m << BigInt(shift) : strike.m;
  const den = shift >= 0 ? spot.m : spot.m << BigInt(-shift);
  const [strikeLo, strikeHi] = words((2n * num + den) / (2n * den));

  return {
    driftLo,
    driftHi,
    volMantissa: Number(volMantissa),
    volShift,
    strikeLo,
    strikeHi,
    put: params.type === 'put',
  };
}
