// Researcher kernels for the wgsl estimator's tests, each with its TypeScript port on the same
// stream (wgslStream.ts): the examples in examples/*.wgsl and two made to probe the harness.
// Where a kernel's f32 arithmetic is exactly rounded (+, -, *, comparisons, bitcasts) the port
// mirrors it with Math.fround and must agree bit for bit; where it calls exp, log, sqrt, sin or
// cos (WGSL allows a few ulps) the port is a statistical reference only.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TypeScriptSample } from '../../src/kinds/wgsl-kernel/wgslStream';

const f = Math.fround;

/** The text of examples/<name>.wgsl. */
export function exampleSource(name: string): string {
  return readFileSync(
    fileURLToPath(new URL(`../../../examples/${name}.wgsl`, import.meta.url)),
    'utf8',
  );
}

/** The float32 whose bits are `word`. */
export function f32FromBits(word: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, word >>> 0, true);
  return view.getFloat32(0, true);
}

/** examples/pi-kernel.wgsl: 4 when (x, y) lands inside the quarter circle, else 0. */
export const piPort: TypeScriptSample = (stream) => {
  const x = stream.uniform();
  const y = stream.uniform();
  return [f(f(x * x) + f(y * y)) < 1 ? 4 : 0];
};

/**
 * Bit patterns chosen to hit every branch of the fixed-point step: zeros of both signs, +-1,
 * 0.1, 2^-32 and 2^-33 (the truncation edge), 2^30.9, the largest f32 below 2^31, 2^31 and
 * up (rejected), the smallest and largest subnormals, NaN and the infinities.
 */
export const AWKWARD_BITS = [
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3dcccccd, 0x2f800000, 0x2f000000, 0x4eed9eba,
  0x4effffff, 0xceffffff, 0x4f000000, 0xcf000000, 0x00000001, 0x807fffff, 0x7fc00000, 0x7f800000,
  0xff800000, 0x2f800001, 0xafc00000, 0x47000000,
];

/** Returns one awkward value, a random bit pattern, and a value with a random exponent. */
export const AWKWARD_KERNEL = `
fn awkward(i: u32) -> u32 {
  var table = array<u32, ${AWKWARD_BITS.length}>(${AWKWARD_BITS.map((b) => `0x${b.toString(16)}u`).join(', ')});
  return table[i];
}

// Exponent field 90..161: below the truncation edge, the whole fixed-point range, and rejects.
fn random_exponent(word: u32) -> f32 {
  let e = 90u + random_u32() % 72u;
  return bitcast<f32>((word & 0x807fffffu) | (e << 23u));
}

fn sample() -> array<f32, 3> {
  let pick = random_u32() % ${AWKWARD_BITS.length}u;
  let raw = random_u32();
  let shaped = random_exponent(random_u32());
  return array<f32, 3>(bitcast<f32>(awkward(pick)), bitcast<f32>(raw), shaped);
}
`;

export const awkwardPort: TypeScriptSample = (stream) => {
  const pick = stream.randomU32() % AWKWARD_BITS.length;
  const raw = stream.randomU32();
  const word = stream.randomU32();
  const e = 90 + (stream.randomU32() % 72);
  const shaped = ((word & 0x807fffff) | (e << 23)) >>> 0;
  return [f32FromBits(AWKWARD_BITS[pick]!), f32FromBits(raw), f32FromBits(shaped)];
};

/** Eight outputs of exactly rounded arithmetic, signs mixed: the words of every output. */
export const EIGHT_KERNEL = `
fn sample() -> array<f32, 8> {
  let a = uniform();
  let b = uniform() - 0.5;
  let c = f32(random_u32() >> 8u);
  return array<f32, 8>(a, b, a * b, -c, c * 64.0, a + b, b * b * 1000.0, -a * 0.001);
}
`;

export const eightPort: TypeScriptSample = (stream) => {
  const a = stream.uniform();
  const b = f(stream.uniform() - 0.5);
  const c = stream.randomU32() >>> 8;
  return [a, b, f(a * b), -c, f(c * 64), f(a + b), f(f(b * b) * 1000), f(-a * f(0.001))];
};

/** examples/genz-gaussian.wgsl's constants: f(x) = exp(-sum a_i^2 (x_i - u_i)^2). */
export const GENZ_A = [1.0, 1.5, 2.0, 2.5, 3.0];
export const GENZ_U = [0.5, 0.3, 0.7, 0.4, 0.6];

/** erf by its Taylor series: |x| <= 4 here, where the series is accurate to ~1e-13. */
export function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** The Genz Gaussian integral over the unit cube, in closed form. */
export function genzGaussianExact(a = GENZ_A, u = GENZ_U): number {
  return a.reduce(
    (product, ai, i) =>
      product * (Math.sqrt(Math.PI) / (2 * ai)) * (erf(ai * (1 - u[i]!)) + erf(ai * u[i]!)),
    1,
  );
}

/** examples/asian-option.wgsl's market: spot, strike, rate, volatility, maturity, dates. */
export const ASIAN = {
  spot: 100,
  strike: 100,
  rate: 0.05,
  volatility: 0.2,
  maturity: 1,
  steps: 16,
};

/** The port of examples/asian-option.wgsl in float64 (a statistical reference). */
export const asianPort: TypeScriptSample = (stream) => {
  const { spot, strike, rate, volatility, maturity, steps } = ASIAN;
  const dt = maturity / steps;
  const drift = (rate - (volatility * volatility) / 2) * dt;
  const volStep = volatility * Math.sqrt(dt);
  let logS = Math.log(spot);
  let sum = 0;
  let logSum = 0;
  for (let i = 0; i < steps; i += 2) {
    const u1 = 1 - stream.uniform();
    const u2 = stream.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const angle = Math.PI * (2 * u2 - 1);
    for (const z of [r * Math.cos(angle), r * Math.sin(angle)]) {
      logS += drift + volStep * z;
      sum += Math.exp(logS);
      logSum += logS;
    }
  }
  const discount = Math.exp(-rate * maturity);
  return [
    f(discount * Math.max(sum / steps - strike, 0)),
    f(discount * Math.max(Math.exp(logSum / steps) - strike, 0)),
  ];
};

function normalCdf(x: number): number {
  return x < -5 ? 0 : x > 5 ? 1 : 0.5 * (1 + erf(x / Math.SQRT2));
}

/** The geometric-average Asian call with discrete monitoring, in closed form. */
export function geometricAsianExact(market = ASIAN): number {
  const { spot, strike, rate, volatility, maturity, steps: n } = market;
  const dt = maturity / n;
  const mean = Math.log(spot) + ((rate - (volatility * volatility) / 2) * dt * (n + 1)) / 2;
  const sd = volatility * Math.sqrt((dt * (n + 1) * (2 * n + 1)) / (6 * n));
  const d2 = (mean - Math.log(strike)) / sd;
  const d1 = d2 + sd;
  return (
    Math.exp(-rate * maturity) *
    (Math.exp(mean + (sd * sd) / 2) * normalCdf(d1) - strike * normalCdf(d2))
  );
}
