// Inputs shared by the fixed-point accuracy tests (TypeScript against float64) and the
// bit-for-bit tests (WGSL against TypeScript): every function's edges (range-reduction
// thresholds and either side, octant boundaries, extreme exponents, exact squares) followed by
// LCG-drawn values, deterministic and without Math.random.
import { LOG2_THRESHOLD } from '../../src/fixedpoint/fixedMath';
import { philox4x32 } from '../../src/rng/philox';
import { lcg32 } from '../rng/philoxVectors';

/** Distinct uint32 draws: the xor-shift of two LCG steps hides the LCG's weak low bits. */
function drawer(seed: number): () => number {
  const next = lcg32(seed);
  return () => (next() ^ (next() >>> 11)) >>> 0;
}

const around = (v: number) => [v - 1, v, v + 1].map((x) => x >>> 0);

/** Mantissas in [2^31, 2^32) for log2Mantissa. */
export function mantissaCases(count: number): number[] {
  const cases = [0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, ...LOG2_THRESHOLD.flatMap(around)];
  const draw = drawer(101);
  while (cases.length < count) cases.push((draw() | 0x80000000) >>> 0);
  return cases;
}

/** 64-bit words (hi, lo) with every count of leading zeros, for negLog2Uniform64. */
export function uniform64Cases(count: number): Array<[hi: number, lo: number]> {
  const cases: Array<[number, number]> = [
    [0, 0],
    [0, 1],
    [0, 2],
    [0, 0xffffffff],
    [1, 0],
    [0x7fffffff, 0xffffffff],
    [0x80000000, 0],
    [0xffffffff, 0xfffffffe],
    [0xffffffff, 0xffffffff],
    // Either side of radiusSquared's switch to the series near u = 1.
    [0xfeffffff, 0xffffffff],
    [0xff000000, 0],
    [0xff000000, 1],
    [0xfffffff0, 0x12345678],
  ];
  const draw = drawer(202);
  for (let i = 0; cases.length < count; i++) {
    // Every eighth case just below 1, where the series path takes over.
    if (i % 8 === 7) {
      cases.push([(0xff000000 | (draw() >>> 8)) >>> 0, draw()]);
      continue;
    }
    const shift = i % 64;
    const hi = shift < 32 ? draw() >>> shift : 0;
    const lo = shift < 32 ? draw() : draw() >>> (shift - 32);
    cases.push([hi, lo]);
  }
  return cases;
}

/** 64-bit radicands: exact squares, their neighbours and the rounding midpoints, then draws. */
export function radicandCases(count: number): Array<[hi: number, lo: number]> {
  const split = (v: bigint): [number, number] => [Number(v >> 32n), Number(v & 0xffffffffn)];
  const cases: Array<[number, number]> = [];
  for (const r of [0n, 1n, 2n, 3n, 65535n, 65536n, 0xb504f333n, 0xb504f334n, 0xfffffffen]) {
    for (const x of [r * r, r * r + 1n, r * r + r, r * r + r + 1n, (r + 1n) * (r + 1n) - 1n]) {
      cases.push(split(x));
    }
  }
  cases.push(split(0xffffffffn * 0xffffffffn), [0xffffffff, 0xffffffff], [0x7fffffff, 0xffffffff]);
  const draw = drawer(303);
  for (let i = 0; cases.length < count; i++) {
    const shift = i % 64;
    cases.push([shift < 32 ? draw() >>> shift : 0, shift < 32 ? draw() : draw() >>> (shift - 32)]);
  }
  return cases;
}

/** Angles (fractions of a turn): octant boundaries and either side, then draws. */
export function angleCases(count: number): number[] {
  const cases = [0, 1, 0xffffffff];
  for (let octant = 1; octant < 8; octant++) cases.push(...around(octant * 0x20000000));
  const draw = drawer(404);
  while (cases.length < count) cases.push(draw());
  return cases;
}

/** Fractions for exp2Fraction: every reduction bit pattern at its edges, then draws. */
export function fractionCases(count: number): number[] {
  const cases = [0, 1, 0x0fffffff, 0xffffffff, 0xfffffffe];
  for (let top = 0; top < 16; top++) cases.push(...around(top * 0x10000000).filter((v) => v));
  const draw = drawer(505);
  while (cases.length < count) cases.push(draw());
  return cases;
}

/** Philox words (x, y, z) as the option kernel feeds them to normalPair, plus the extremes. */
export function philoxTripleCases(count: number): Array<[number, number, number]> {
  const cases: Array<[number, number, number]> = [
    [0, 0, 0],
    [0, 0, 0x20000000],
    [0xffffffff, 0xffffffff, 0xffffffff],
    [0x80000000, 0, 0x40000000],
  ];
  const block = new Uint32Array(4);
  for (let i = 0; cases.length < count; i++) {
    philox4x32(i, 0, 0x656f0000, 0, 12345, 678, block);
    cases.push([block[0]!, block[1]!, block[2]!]);
  }
  return cases;
}
