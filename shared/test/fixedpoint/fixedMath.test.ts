// The fixed-point functions against float64: each constant recomputed independently (BigInt
// or float64), and each function's error over the shared case lists, with the bound it is held
// to stated in the test's title. float64 is exact to ~1e-16 here, far below the 2^-30 or so
// being checked. Bit-for-bit agreement with WGSL is fixedMathWgsl.test.ts's job.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NEAR_ONE_HIGH_WORD,
  normalPair,
  radiusSquared,
  TWO_LN2_Q31,
} from '../../src/fixedpoint/boxMuller';
import {
  COS_COEFFICIENTS,
  EXP2_FACTORS,
  EXP_COEFFICIENTS,
  exp2Fraction,
  halveRound,
  INV_2,
  INV_3,
  INV_4,
  INV_5,
  INV_6,
  isqrt64Round,
  LN2_Q32,
  LOG2_INVERSE,
  LOG2_THRESHOLD,
  LOG2E_Q31,
  log2Mantissa,
  mulHigh,
  mulRound31,
  mulRound32,
  mulRoundQ163,
  negLog2Uniform64,
  SIN_COEFFICIENTS,
  sinCosTurn,
  TWO_PI_Q29,
} from '../../src/fixedpoint/fixedMath';
import { mulhi32 } from '../../src/rng/philox';
import { lcg32, MULHI_EDGE_VALUES } from '../rng/philoxVectors';
import {
  angleCases,
  fractionCases,
  mantissaCases,
  philoxTripleCases,
  radicandCases,
  uniform64Cases,
} from './fixedMathCases';

const CASES = 200_000;
const ULP = 2 ** -32;

/** -2 ln u in float64 for u = ((hi:lo) | 1) / 2^64, accurate near u = 1 too. */
function minusTwoLogU(hi: number, lo: number): number {
  const low = (lo | 1) >>> 0;
  if (hi < 0x80000000) return -2 * Math.log((hi * 2 ** 32 + low) * 2 ** -64);
  // 1 - u from the words directly: float64 cannot hold u itself that close to 1.
  const w = ((0xffffffff - hi) * 2 ** 32 + (2 ** 32 - low)) * 2 ** -64;
  return -2 * Math.log1p(-w);
}

/** Largest |error| and mean error (in units of `unit`) of `error(input)` over the inputs. */
function errors<T>(inputs: readonly T[], error: (input: T) => number, unit = ULP) {
  let max = 0;
  let sum = 0;
  for (const input of inputs) {
    const e = error(input);
    if (Math.abs(e) > max) max = Math.abs(e);
    sum += e;
  }
  return { max: max / unit, mean: sum / inputs.length / unit };
}

function factorial(n: number): bigint {
  let f = 1n;
  for (let k = 2n; k <= BigInt(n); k++) f *= k;
  return f;
}

/** round(2^32 / d) exactly. */
const q32 = (d: bigint) => Number((2n ** 33n / d + 1n) / 2n);

describe('fixed-point constants, recomputed', () => {
  test('series coefficients are round(2^32 / k) and round(2^32 / k!)', () => {
    assert.deepEqual([INV_2, INV_3, INV_4, INV_5, INV_6], [2n, 3n, 4n, 5n, 6n].map(q32));
    assert.deepEqual(
      SIN_COEFFICIENTS,
      [3, 5, 7, 9, 11].map((n) => q32(factorial(n))),
    );
    assert.deepEqual(
      COS_COEFFICIENTS,
      [2, 4, 6, 8, 10, 12].map((n) => q32(factorial(n))),
    );
    assert.deepEqual(
      EXP_COEFFICIENTS,
      [2, 3, 4, 5].map((n) => q32(factorial(n))),
    );
  });

  test('scaled transcendental constants are within half a unit of float64', () => {
    const near = (constant: number, value: number) =>
      assert.ok(Math.abs(constant - value) <= 0.5 + 1e-6, `${constant} vs ${value}`);
    near(LOG2E_Q31, Math.LOG2E * 2 ** 31);
    near(LN2_Q32, Math.LN2 * 2 ** 32);
    near(TWO_LN2_Q31, 2 * Math.LN2 * 2 ** 31);
    near(TWO_PI_Q29, 2 * Math.PI * 2 ** 29);
    LOG2_INVERSE.forEach((inv, k) => near(inv, 2 ** -(2 ** -(k + 1)) * 2 ** 32));
  });

  test('log2 thresholds are ceil(2^63 / inverse), so a reduced mantissa never drops below 1', () => {
    LOG2_THRESHOLD.forEach((threshold, k) => {
      const inv = BigInt(LOG2_INVERSE[k]!);
      assert.ok(BigInt(threshold) * inv >= 2n ** 63n);
      assert.ok(BigInt(threshold - 1) * inv < 2n ** 63n);
    });
  });

  test('exp2 factors are 2^(2^-k) correctly rounded to Q1.63: (2c - 1)^n < 2^(64n + 1) < (2c + 1)^n', () => {
    EXP2_FACTORS.forEach(([hi, lo], i) => {
      const n = 2n ** BigInt(i + 1);
      const c = (BigInt(hi) << 32n) | BigInt(lo);
      const target = 2n ** (64n * n + 1n);
      assert.ok((2n * c - 1n) ** n < target && target < (2n * c + 1n) ** n, `k = ${i + 1}`);
    });
  });
});

describe('fixed-point products equal their exact definitions', () => {
  const next = lcg32(77);
  const pairs: Array<[number, number]> = MULHI_EDGE_VALUES.flatMap((a) =>
    MULHI_EDGE_VALUES.map((b) => [a, b] as [number, number]),
  );
  while (pairs.length < 20_000) pairs.push([next(), next()]);

  test('mulHigh, mulRound32, mulRound31, mulRoundQ163 and halveRound against BigInt', () => {
    for (const [a, b] of pairs) {
      const p = BigInt(a) * BigInt(b);
      const what = `0x${a.toString(16)} * 0x${b.toString(16)}`;
      assert.equal(mulHigh(a, b), mulhi32(a, b), what);
      assert.equal(mulRound32(a, b), Number((p + 2n ** 31n) >> 32n), what);
      const r31 = (p + 2n ** 30n) >> 31n;
      assert.equal(mulRound31(a, b), Number(r31 > 0xffffffffn ? 0xffffffffn : r31), what);
      const c = (BigInt(b) << 32n) | BigInt((a ^ b) >>> 0);
      const r63 = (BigInt(a) * c + 2n ** 62n) >> 63n;
      assert.equal(
        mulRoundQ163(a, b, (a ^ b) >>> 0),
        Number(r63 > 0xffffffffn ? 0xffffffffn : r63),
        what,
      );
      const half = a / 2;
      const even = Math.floor(half) % 2 === 0 ? Math.floor(half) : Math.ceil(half);
      assert.equal(halveRound(a), a % 2 === 0 ? half : even, `halve 0x${a.toString(16)}`);
    }
  });
});

describe('fixed-point functions against float64', () => {
  test('log2Mantissa: |error| < 1.5 * 2^-30, mean error under 0.2 units of 2^-32', () => {
    const { max, mean } = errors(
      mantissaCases(CASES),
      (m) => log2Mantissa(m) * ULP - Math.log2(m / 2 ** 31),
    );
    assert.ok(max < 6, `max ${max} units of 2^-32`);
    assert.ok(Math.abs(mean) < 0.2, `mean ${mean}`);
  });

  test('negLog2Uniform64: |error| < 2^-29 over every exponent', () => {
    const out = new Uint32Array(2);
    const { max } = errors(uniform64Cases(CASES), ([hi, lo]) => {
      negLog2Uniform64(hi, lo, out);
      const u = (hi * 2 ** 32 + ((lo | 1) >>> 0)) * 2 ** -64;
      return out[1]! + out[0]! * ULP + Math.log2(u);
    });
    assert.ok(max < 8, `max ${max} units of 2^-32`);
  });

  test('radiusSquared: the radius sqrt(-2 ln u) within 1.1e-8, near u = 1 as well', () => {
    const out = new Uint32Array(2);
    const cases = uniform64Cases(CASES);
    assert.ok(cases.filter(([hi]) => hi >= NEAR_ONE_HIGH_WORD).length > CASES / 10);
    const { max } = errors(
      cases,
      ([hi, lo]) => {
        radiusSquared(hi, lo, out);
        // log2's absolute error (~2^-29.5 on -log2 u) is what limits R^2, and R = sqrt(R^2)
        // magnifies it most where R is smallest: hence the series below the switch.
        return (
          Math.sqrt((out[1]! * 2 ** 32 + out[0]!) * 2 ** -56) - Math.sqrt(minusTwoLogU(hi, lo))
        );
      },
      1,
    );
    assert.ok(max < 1.1e-8, `max |error| ${max}`);
  });

  test('isqrt64Round is exactly round(sqrt(x)) (against BigInt)', () => {
    for (const [hi, lo] of radicandCases(20_000)) {
      const x = (BigInt(hi) << 32n) | BigInt(lo);
      const r = BigInt(isqrt64Round(hi, lo));
      // (r - 1/2)^2 <= x < (r + 1/2)^2, except at the top, where r saturates at 2^32 - 1.
      const ok =
        (r === 0n || (2n * r - 1n) ** 2n <= 4n * x) &&
        (4n * x < (2n * r + 1n) ** 2n || r === 0xffffffffn);
      assert.ok(ok, `x = ${x}: got ${r}`);
    }
  });

  test('sinCosTurn: |error| < 2^-30 for cos and sin, signs exact', () => {
    const out = new Uint32Array(4);
    const { max } = errors(angleCases(CASES), (u) => {
      sinCosTurn(u, out);
      const theta = 2 * Math.PI * u * ULP;
      const cos = (out[2] ? -1 : 1) * out[0]! * 2 ** -31;
      const sin = (out[3] ? -1 : 1) * out[1]! * 2 ** -31;
      if (Math.abs(Math.cos(theta)) > 1e-6) assert.equal(cos < 0, Math.cos(theta) < 0);
      if (Math.abs(Math.sin(theta)) > 1e-6) assert.equal(sin < 0, Math.sin(theta) < 0);
      return Math.max(Math.abs(cos - Math.cos(theta)), Math.abs(sin - Math.sin(theta)));
    });
    assert.ok(max < 4, `max ${max} units of 2^-32`);
  });

  test('exp2Fraction: relative |error| < 2^-29.5, mean under 0.02 units of 2^-32 (no drift)', () => {
    const { max, mean } = errors(
      fractionCases(CASES),
      (f) => (exp2Fraction(f) * 2 ** -31) / 2 ** (f * ULP) - 1,
    );
    assert.ok(max < 2 ** 2.5, `max ${max} units of 2^-32`);
    assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  });

  test('normalPair: |Z| within 1.2e-8 of float64 Box–Muller on the same words, signs exact', () => {
    const out = new Uint32Array(4);
    let max = 0;
    let sum = 0;
    let sumSquares = 0;
    const triples = philoxTripleCases(CASES / 2);
    for (const [x, y, z] of triples) {
      normalPair(x, y, z, out);
      const radius = Math.sqrt(minusTwoLogU(x, y));
      const theta = 2 * Math.PI * z * ULP;
      const want = [radius * Math.cos(theta), radius * Math.sin(theta)];
      for (let j = 0; j < 2; j++) {
        const got = (out[2 + j] ? -1 : 1) * out[j]! * 2 ** -28;
        max = Math.max(max, Math.abs(got - want[j]!));
        sum += got;
        sumSquares += got * got;
      }
    }
    assert.ok(max < 1.2e-8, `max |error| ${max}`);
    // A sanity check of the distribution, not a statistical test: mean 0, variance 1.
    const n = 2 * triples.length;
    assert.ok(Math.abs(sum / n) < 5 / Math.sqrt(n), `mean ${sum / n}`);
    assert.ok(Math.abs(sumSquares / n - 1) < 5 * Math.sqrt(2 / n), `variance ${sumSquares / n}`);
  });
});
