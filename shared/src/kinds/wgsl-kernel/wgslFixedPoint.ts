// TypeScript twin of the harness's f32 -> fixed-point step (tessera_accumulate in
// wgslHarness.ts), and the exact sums built from it. A value x becomes trunc(x * 2^32) and its
// square trunc(x^2 * 2^32), both read off the f32's bits (24-bit mantissa, exponent, sign)
// with no float rounding anywhere, so every device and this file agree on every bit.
// |x| < 2^-32 (zero, subnormals, tiny values) contributes 0 whether or not a device flushes
// subnormals; NaN, infinities and |x| >= 2^31 contribute nothing and count as rejected.
import type { WgslOutputSums, WgslResult } from './wgslSpec';

/** Exponent field (biased) from which |x| >= 2^31: rejected. */
export const FIXED_REJECT_EXPONENT = 127 + 31;
/** Exponent field below which |x| < 2^-32: trunc(x * 2^32) = 0 and trunc(x^2 * 2^32) = 0. */
export const FIXED_ZERO_EXPONENT = 127 - 32;

export interface FixedPointValue {
  /** trunc(x * 2^32), |value| < 2^63. */
  value: bigint;
  /** trunc(x^2 * 2^32), < 2^94. */
  square: bigint;
}

const bits = new DataView(new ArrayBuffer(4));

/** The float32 bit pattern of `x` (rounded to float32 first, as storing it in WGSL would). */
export function f32Bits(x: number): number {
  bits.setFloat32(0, x, true);
  return bits.getUint32(0, true);
}

/** 2^shift times m, truncated toward zero when shift is negative. */
function scaled(m: bigint, shift: number): bigint {
  return shift >= 0 ? m << BigInt(shift) : m >> BigInt(-shift);
}

/** x's fixed-point value and square, or null when x is rejected (NaN, infinite, >= 2^31). */
export function f32FixedPoint(x: number): FixedPointValue | null {
  const word = f32Bits(x);
  const exponent = (word >>> 23) & 0xff;
  if (exponent >= FIXED_REJECT_EXPONENT) return null;
  if (exponent < FIXED_ZERO_EXPONENT) return { value: 0n, square: 0n };
  const mantissa = BigInt((word & 0x7fffff) | 0x800000);
  // x = m * 2^(e - 150): x * 2^32 = m * 2^(e - 118), x^2 * 2^32 = m^2 * 2^(2e - 268).
  const magnitude = scaled(mantissa, exponent - 118);
  const square = scaled(mantissa * mantissa, 2 * exponent - 268);
  return { value: word >>> 31 === 1 ? -magnitude : magnitude, square };
}

/** Running exact sums of one kernel's outputs, value by value, as the harness keeps them. */
export class FixedPointSums {
  private readonly sums: bigint[];
  private readonly squares: bigint[];
  private readonly rejected: number[];
  private count = 0;

  constructor(readonly names: readonly string[]) {
    this.sums = names.map(() => 0n);
    this.squares = names.map(() => 0n);
    this.rejected = names.map(() => 0);
  }

  /** Adds one sample's values (float32 each: as `sample()` returned them). */
  add(values: ArrayLike<number>): void {
    if (values.length !== this.names.length) {
      throw new RangeError(`a sample has ${values.length} values, expected ${this.names.length}`);
    }
    for (let k = 0; k < values.length; k++) {
      const fixed = f32FixedPoint(values[k]!);
      if (fixed === null) {
        this.rejected[k]!++;
      } else {
        this.sums[k]! += fixed.value;
        this.squares[k]! += fixed.square;
      }
    }
    this.count++;
  }

  result(): WgslResult {
    const outputs: WgslOutputSums[] = this.names.map((_, k) => ({
      sum: this.sums[k]!.toString(),
      sumSquares: this.squares[k]!.toString(),
      rejected: this.rejected[k]!,
    }));
    return { samples: this.count, names: [...this.names], outputs };
  }
}

/** Words of one output in the kernel's accumulators: sum (4), sum of squares (4), rejected (1). */
export const WGSL_WORDS_PER_OUTPUT = 9;
const TWO_128 = 1n << 128n;

/** The little-endian multiword integer in words [from, to) of `words`. */
export function wordsToBigInt(words: Uint32Array, from: number, to: number): bigint {
  let value = 0n;
  for (let i = to - 1; i >= from; i--) value = (value << 32n) + BigInt(words[i] ?? 0);
  return value;
}

/** One output's sums from its 9 accumulator words (the sum in 128-bit two's complement). */
export function decodeOutputWords(words: Uint32Array, base: number): WgslOutputSums {
  const raw = wordsToBigInt(words, base, base + 4);
  const sum = raw >= TWO_128 / 2n ? raw - TWO_128 : raw;
  return {
    sum: sum.toString(),
    sumSquares: wordsToBigInt(words, base + 4, base + 8).toString(),
    rejected: words[base + 8] ?? 0,
  };
}
