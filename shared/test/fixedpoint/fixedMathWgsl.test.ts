// The fixed-point functions' two implementations, one answer: each WGSL function (fixedMath.wgsl,
// boxMuller.wgsl) run on Dawn/SwiftShader over a few thousand inputs (edges first, then draws)
// and compared word for word with its TypeScript twin. Accuracy is fixedMath.test.ts's job.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalPair, radiusSquared } from '../../src/fixedpoint/boxMuller';
import { boxMullerWgsl } from '../../src/fixedpoint/boxMuller.wgsl';
import {
  exp2Fraction,
  halveRound,
  isqrt64Round,
  log2Mantissa,
  mulRound31,
  mulRound32,
  mulRoundQ163,
  negLog2Uniform64,
  sinCosTurn,
} from '../../src/fixedpoint/fixedMath';
import { fixedMathWgsl } from '../../src/fixedpoint/fixedMath.wgsl';
import { philoxWgsl } from '../../src/rng/philox.wgsl';
import { dawnGpu, GPU_TEST_TIMEOUT_MS } from '../gpu/dawnDevice';
import type { DawnGpu } from '../gpu/dawnGpu';
import { hex, MULHI_EDGE_VALUES } from '../rng/philoxVectors';
import {
  angleCases,
  fractionCases,
  mantissaCases,
  philoxTripleCases,
  radicandCases,
  uniform64Cases,
} from './fixedMathCases';
import { caseKernel, runCases, SENTINEL } from '../gpu/wgslCaseRunner';

const CASES = 4000;

const kernel = caseKernel(`${philoxWgsl}\n${fixedMathWgsl}\n${boxMullerWgsl}`, {
  products: `vec4<u32>(fx_mul_round32(v.x, v.y), fx_mul_round31(v.x, v.y), fx_mul_round_q163(v.x, v.y, v.z), fx_halve_round(v.x))`,
  log2_mantissa: 'vec4<u32>(fx_log2_mantissa(v.x), 0u, 0u, 0u)',
  neg_log2_uniform64: 'vec4<u32>(fx_neg_log2_uniform64(v.y, v.x), 0u, 0u)',
  isqrt64_round: 'vec4<u32>(fx_isqrt64_round(v.xy), 0u, 0u, 0u)',
  isqrt64_bitwise: 'vec4<u32>(fx_isqrt64_bitwise(v.xy), 0u, 0u, 0u)',
  sincos_turn: 'fx_sincos_turn(v.x)',
  exp2_fraction: 'vec4<u32>(fx_exp2_fraction(v.x), 0u, 0u, 0u)',
  radius_squared: 'vec4<u32>(fx_radius_squared(v.y, v.x), 0u, 0u)',
  normal_pair: 'fx_normal_pair(v.x, v.y, v.z)',
});

/** Inputs as vec4 rows (missing words 0). */
function rows(cases: ReadonlyArray<readonly number[]>): Uint32Array<ArrayBuffer> {
  const words = new Uint32Array(cases.length * 4);
  cases.forEach((c, i) => words.set(c, i * 4));
  return words;
}

let dawn: DawnGpu;
before(
  async () => {
    dawn = await dawnGpu();
  },
  { timeout: GPU_TEST_TIMEOUT_MS },
);

/**
 * Runs `entryPoint` over the cases and compares every output row with `expected(case)`;
 * the first mismatch fails with the input and both answers in hex.
 */
async function compare(
  entryPoint: string,
  cases: ReadonlyArray<readonly number[]>,
  expected: (c: readonly number[]) => ArrayLike<number>,
): Promise<void> {
  const output = await runCases(dawn, kernel, entryPoint, rows(cases));
  for (const [i, c] of cases.entries()) {
    const want = Array.from(expected(c));
    while (want.length < 4) want.push(0);
    const got = output.subarray(i * 4, i * 4 + 4);
    if (hex(got).join() !== hex(want).join()) {
      assert.deepEqual(hex(got), hex(want), `case ${i}: input ${hex(c)}`);
    }
  }
  assert.deepEqual(
    hex(output.subarray(cases.length * 4)),
    hex([SENTINEL, SENTINEL, SENTINEL, SENTINEL]),
  );
}

describe(
  'fixed-point math: WGSL on Dawn equals TypeScript, bit for bit',
  { timeout: GPU_TEST_TIMEOUT_MS },
  () => {
    test('rounded products and halving, every triple of edge values', async () => {
      const cases = MULHI_EDGE_VALUES.flatMap((a) =>
        MULHI_EDGE_VALUES.map((b, j) => [
          a,
          b,
          MULHI_EDGE_VALUES[(j * 7) % MULHI_EDGE_VALUES.length]!,
        ]),
      );
      // mulRoundQ163 takes a Q1.31 mantissa, so it sees the edge values with the top bit set too.
      await compare('products', cases, ([a, b, c]) => [
        mulRound32(a!, b!),
        mulRound31(a!, b!),
        mulRoundQ163(a!, b!, c!),
        halveRound(a!),
      ]);
    });

    test(`log2Mantissa over ${CASES} mantissas`, async () => {
      await compare(
        'log2_mantissa',
        mantissaCases(CASES).map((m) => [m]),
        ([m]) => [log2Mantissa(m!)],
      );
    });

    test(`negLog2Uniform64 over ${CASES} words, every leading-zero count`, async () => {
      const out = new Uint32Array(2);
      const cases = uniform64Cases(CASES).map(([hi, lo]) => [lo, hi]);
      await compare('neg_log2_uniform64', cases, ([lo, hi]) => negLog2Uniform64(hi!, lo!, out));
    });

    test(`isqrt64Round over ${CASES} radicands, exact squares and midpoints`, async () => {
      const cases = radicandCases(CASES).map(([hi, lo]) => [lo, hi]);
      await compare('isqrt64_round', cases, ([lo, hi]) => [isqrt64Round(hi!, lo!)]);
    });

    test('the bitwise square root (the fallback for a bad f32 guess) is floor(sqrt(x))', async () => {
      const cases = radicandCases(500).map(([hi, lo]) => [lo, hi]);
      await compare('isqrt64_bitwise', cases, ([lo, hi]) => {
        const x = (BigInt(hi!) << 32n) | BigInt(lo!);
        let r = BigInt(Math.floor(Math.sqrt(Number(x))));
        while (r * r > x) r -= 1n;
        while ((r + 1n) * (r + 1n) <= x) r += 1n;
        return [Number(r)];
      });
    });

    test(`sinCosTurn over ${CASES} angles, octant edges`, async () => {
      const out = new Uint32Array(4);
      await compare(
        'sincos_turn',
        angleCases(CASES).map((a) => [a]),
        ([a]) => sinCosTurn(a!, out),
      );
    });

    test(`exp2Fraction over ${CASES} fractions, reduction edges`, async () => {
      await compare(
        'exp2_fraction',
        fractionCases(CASES).map((f) => [f]),
        ([f]) => [exp2Fraction(f!)],
      );
    });

    test(`radiusSquared over ${CASES} words, both paths and the switch between them`, async () => {
      const out = new Uint32Array(2);
      const cases = uniform64Cases(CASES).map(([hi, lo]) => [lo, hi]);
      await compare('radius_squared', cases, ([lo, hi]) => radiusSquared(hi!, lo!, out));
    });

    test(`normalPair over ${CASES} Philox triples and the extremes`, async () => {
      const out = new Uint32Array(4);
      await compare('normal_pair', philoxTripleCases(CASES), ([x, y, z]) =>
        normalPair(x!, y!, z!, out),
      );
    });
  },
);
