// The european-option kernel's two implementations, one answer, on Dawn/SwiftShader:
// - option_payoff (WGSL) against optionPayoff (TypeScript) over a grid of normals up to the
//   generator's largest |Z|, for options whose payoffs fill all three words, round to nothing,
//   or hit the zero-volatility path;
// - the invocation accumulator (WGSL) against BigInt sums, for payoffs up to 2^80 - 1;
// - the whole plan run by GpuKernelRunner against runOptionReference, bit for bit, over
//   awkward sizes (1, 2, 3, 63, 65, 1001, a workgroup's worth and either side), dispatch
//   boundaries (small dispatches, and one unit over the real one), block indices crossing
//   2^32, and seeds at 0, 2^32 and 2^53 - 1.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NORMAL_FRACTION_BITS, NORMAL_MAX } from '../../src/fixedpoint/boxMuller';
import { boxMullerWgsl } from '../../src/fixedpoint/boxMuller.wgsl';
import { fixedMathWgsl } from '../../src/fixedpoint/fixedMath.wgsl';
import { GpuKernelRunner } from '../../src/gpu/gpuKernelRunner';
import { MC_WORKGROUP_SIZE } from '../../src/kinds/estimator';
import { optionConstants } from '../../src/kinds/european-option/optionConstants';
import {
  OPTION_BLOCKS_PER_INVOCATION,
  OPTION_MAX_BLOCKS_PER_DISPATCH,
  optionEstimator,
  optionGpuPlan,
} from '../../src/kinds/european-option/optionEstimator';
import { optionPayoff } from '../../src/kinds/european-option/optionPayoff';
import { optionPayoffWgsl } from '../../src/kinds/european-option/optionPayoff.wgsl';
import { runOptionReference } from '../../src/kinds/european-option/optionReference';
import type { OptionParams, OptionTask } from '../../src/kinds/european-option/optionSpec';
import { payoffMomentsWgsl } from '../../src/kinds/european-option/payoffMoments.wgsl';
import { philoxWgsl } from '../../src/rng/philox.wgsl';
import { caseKernel, runCases } from '../gpu/wgslCaseRunner';
import { dawnKernelRunner, GPU_TEST_TIMEOUT_MS, withGpuErrorCheck } from '../gpu/dawnDevice';
import type { DawnGpu } from '../gpu/dawnGpu';
import { hex, lcg32 } from '../rng/philoxVectors';

const ATM: OptionParams = {
  spot: 100,
  strike: 100,
  rate: 0.05,
  volatility: 0.2,
  maturity: 1,
  type: 'call',
};

/** Options chosen for the payoff paths they reach, not for realism. */
const PAYOFF_OPTIONS: OptionParams[] = [
  ATM,
  { ...ATM, type: 'put', strike: 1000 },
  // S_T / S0 up to 2^39: payoffs in all three words at the largest |Z|.
  { spot: 1, strike: 0.001, rate: 0.25, volatility: 1, maturity: 10, type: 'call' },
  // Far out of the money: S_T rounds to a few units or to nothing (right shifts past 32).
  { spot: 1000, strike: 1, rate: -0.25, volatility: 1, maturity: 10, type: 'put' },
  // sigma sqrt(T) too small to move y: the zero-mantissa path (every payoff S0 - K).
  { ...ATM, strike: 99, volatility: 1e-15, maturity: 1e-9 },
];

let dawn: DawnGpu;
let runner: GpuKernelRunner;
before(async () => ({ dawn, runner } = await dawnKernelRunner()), {
  timeout: GPU_TEST_TIMEOUT_MS,
});

const u = (value: number) => `${value >>> 0}u`;

function constantsWgsl(name: string, params: OptionParams): string {
  const k = optionConstants(params);
  return (
    `const ${name} = OptionConstants(vec2<u32>(${u(k.driftLo)}, ${u(k.driftHi)}), ` +
    `${u(k.volMantissa)}, ${u(k.volShift)}, vec2<u32>(${u(k.strikeLo)}, ${u(k.strikeHi)}), ` +
    `${k.put ? '1u' : '0u'});`
  );
}

/** |Z| values (Q4.28) from 0 to the generator's largest, edges first, then a sweep. */
function normalMagnitudes(count: number): number[] {
  const max = Math.floor(NORMAL_MAX * 2 ** NORMAL_FRACTION_BITS);
  const cases = [0, 1, 2, 0x0fffffff, 0x10000000, 0x10000001, max - 1, max];
  const next = lcg32(4242);
  while (cases.length < count) cases.push(next() % (max + 1));
  return cases;
}

describe(
  'option_payoff (WGSL) equals optionPayoff (TypeScript)',
  { timeout: GPU_TEST_TIMEOUT_MS },
  () => {
    const prelude = [
      philoxWgsl,
      fixedMathWgsl,
      optionPayoffWgsl,
      ...PAYOFF_OPTIONS.map((params, i) => constantsWgsl(`OPTION_${i}`, params)),
    ].join('\n');
    const kernel = caseKernel(
      prelude,
      Object.fromEntries(
        PAYOFF_OPTIONS.map((_, i) => [
          `payoff_${i}`,
          `vec4<u32>(option_payoff(v.x, v.y, OPTION_${i}), 0u)`,
        ]),
      ),
    );
    const magnitudes = normalMagnitudes(1500);
    const inputs = new Uint32Array(magnitudes.length * 2 * 4);
    magnitudes.forEach((z, i) => {
      inputs.set([z, 0], 8 * i);
      inputs.set([z, 1], 8 * i + 4);
    });

    for (const [i, params] of PAYOFF_OPTIONS.entries()) {
      test(`${magnitudes.length * 2} normals of both signs: ${JSON.stringify(params)}`, async () => {
        const output = await runCases(dawn, kernel, `payoff_${i}`, inputs);
        const k = optionConstants(params);
        const want = new Uint32Array(3);
        let topWordUsed = false;
        for (let c = 0; c < inputs.length / 4; c++) {
          optionPayoff(inputs[4 * c]!, inputs[4 * c + 1]!, k, want);
          const got = output.subarray(4 * c, 4 * c + 3);
          if (hex(got).join() !== hex(want).join()) {
            assert.deepEqual(
              hex(got),
              hex(want),
              `|Z| = ${inputs[4 * c]}, negative ${inputs[4 * c + 1]}`,
            );
          }
          topWordUsed ||= want[2] !== 0;
        }
        if (i === 2)
          assert.ok(topWordUsed, 'no payoff reached the third word: the case is too weak');
      });
    }
  },
);

describe(
  'accumulate (WGSL) sums payoffs and their squares exactly',
  { timeout: GPU_TEST_TIMEOUT_MS },
  () => {
    // Each case adds payoff v.xyz, then v.xyz with its words swapped, then 2^80 - 1, and reads
    // back four of the ten accumulator words from v.w on: every case is three input rows.
    const kernel = caseKernel(
      `${philoxWgsl}\n${payoffMomentsWgsl}
fn read_acc(v: vec4<u32>) -> vec4<u32> {
  var acc: array<u32, PAYOFF_ACC_WORDS>;
  accumulate(&acc, v.xyz);
  accumulate(&acc, vec3<u32>(v.y, v.x, v.z & 0xffffu));
  accumulate(&acc, vec3<u32>(0xffffffffu, 0xffffffffu, 0xffffu));
  var words = vec4<u32>(0u);
  for (var j = 0u; j < 4u; j = j + 1u) {
    if (v.w + j < PAYOFF_ACC_WORDS) {
      words[j] = acc[v.w + j];
    }
  }
  return words;
}`,
      { accumulate_cases: 'read_acc(v)' },
    );
    const next = lcg32(99);
    const cases: number[][] = [
      [0, 0, 0],
      [0xffffffff, 0, 0],
      [0xffffffff, 0xffffffff, 0xffff],
      [1, 0, 0xffff],
    ];
    while (cases.length < 1000) cases.push([next(), next() >>> (next() % 32), next() & 0xffff]);
    const inputs = new Uint32Array(cases.length * 12);
    cases.forEach((c, i) =>
      [0, 4, 8].forEach((first, r) => inputs.set([...c, first], 12 * i + 4 * r)),
    );

    test(`${cases.length} triples of payoffs up to 2^80 - 1`, async () => {
      const output = await runCases(dawn, kernel, 'accumulate_cases', inputs);
      const value = (p0: number, p1: number, p2: number) =>
        BigInt(p0) + (BigInt(p1) << 32n) + (BigInt(p2) << 64n);
      const number = (words: ArrayLike<number>) =>
        Array.from(words).reduceRight((acc, w) => (acc << 32n) + BigInt(w), 0n);
      for (const [i, [x, y, z]] of cases.entries()) {
        const payoffs = [value(x!, y!, z!), value(y!, x!, z! & 0xffff), 2n ** 80n - 1n];
        const words = output.subarray(12 * i, 12 * i + 10);
        assert.equal(
          number(words.subarray(0, 4)),
          payoffs.reduce((a, b) => a + b),
          `case ${i}: sum`,
        );
        assert.equal(
          number(words.subarray(4, 10)),
          payoffs.reduce((a, b) => a + b * b, 0n),
          `case ${i}: squares`,
        );
      }
    });
  },
);

/** Blocks per workgroup: counts either side of it leave invocations with nothing to do. */
const WORKGROUP_BLOCKS = MC_WORKGROUP_SIZE * OPTION_BLOCKS_PER_INVOCATION;
/** A small dispatch, so that units of a few thousand samples cross several boundaries. */
const SMALL_DISPATCH = 700;
const NEAR_BLOCK_CARRY = 2 * (2 ** 32 - 5);
const MAX_SEED = Number.MAX_SAFE_INTEGER;

interface KernelCase {
  task: OptionTask;
  blocksPerDispatch: number;
}

const CASES: KernelCase[] = [
  ...[1, 2, 3, 63, 64, 65, 1001].map((count) => ({
    task: { seed: 42, start: 0, count, params: ATM },
    blocksPerDispatch: OPTION_MAX_BLOCKS_PER_DISPATCH,
  })),
  ...[2 * WORKGROUP_BLOCKS - 1, 2 * WORKGROUP_BLOCKS + 1].map((count) => ({
    task: { seed: 42, start: 0, count, params: { ...ATM, type: 'put' as const } },
    blocksPerDispatch: OPTION_MAX_BLOCKS_PER_DISPATCH,
  })),
  // Several small dispatches, the last one odd-sized and ending on a lone even sample.
  ...[2 * SMALL_DISPATCH, 2 * SMALL_DISPATCH + 1, 5 * SMALL_DISPATCH + 3].map((count) => ({
    task: { seed: 7, start: 0, count, params: PAYOFF_OPTIONS[2]! },
    blocksPerDispatch: SMALL_DISPATCH,
  })),
  { task: { seed: 0, start: 0, count: 1001, params: ATM }, blocksPerDispatch: SMALL_DISPATCH },
  {
    task: { seed: MAX_SEED, start: 0, count: 1001, params: PAYOFF_OPTIONS[3]! },
    blocksPerDispatch: SMALL_DISPATCH,
  },
  {
    task: { seed: 2 ** 32, start: 2 * 12345, count: 777, params: PAYOFF_OPTIONS[4]! },
    blocksPerDispatch: SMALL_DISPATCH,
  },
  { task: { seed: 42, start: NEAR_BLOCK_CARRY, count: 21, params: ATM }, blocksPerDispatch: 4 },
  // Block indices cross 2^32 inside the first dispatch; later dispatches start above it.
  {
    task: {
      seed: MAX_SEED,
      start: 2 * (2 ** 32 - 300),
      count: 3 * SMALL_DISPATCH + 1,
      params: ATM,
    },
    blocksPerDispatch: SMALL_DISPATCH,
  },
  // The real dispatch size: one full dispatch and a second holding a single odd sample.
  {
    task: {
      seed: 3,
      start: 2 * (2 ** 32 - 1000),
      count: 2 * OPTION_MAX_BLOCKS_PER_DISPATCH + 1,
      params: ATM,
    },
    blocksPerDispatch: OPTION_MAX_BLOCKS_PER_DISPATCH,
  },
];

describe(
  'european-option kernel: WGSL plan on Dawn equals the TypeScript reference',
  { timeout: 2 * GPU_TEST_TIMEOUT_MS },
  () => {
    for (const { task, blocksPerDispatch } of CASES) {
      const plan = optionGpuPlan(task, blocksPerDispatch);
      test(`seed ${task.seed}, start ${task.start}, count ${task.count}, ${task.params.type} (${plan.dispatches.length} dispatch(es))`, async () => {
        const expected = runOptionReference(task);
        const output = await withGpuErrorCheck(dawn, () => runner.run(plan));
        assert.deepEqual(optionEstimator.decodeGpuOutput(task, output), expected);
        assert.ok(
          expected.sum !== '0' || task.count < 4,
          'reference paid nothing: the case is too weak',
        );
      });
    }

    test('the estimator plan is the default-size plan, compiled once per runner', async () => {
      const fresh = new GpuKernelRunner(dawn.device);
      for (let unit = 0; unit < 4; unit++) {
        const task: OptionTask = {
          seed: 1000 + unit,
          start: unit * 2048,
          count: 2047,
          params: ATM,
        };
        assert.deepEqual(optionEstimator.gpuPlan(task), optionGpuPlan(task));
        const output = await withGpuErrorCheck(dawn, () =>
          fresh.run(optionEstimator.gpuPlan(task)),
        );
        assert.deepEqual(optionEstimator.decodeGpuOutput(task, output), runOptionReference(task));
        assert.equal(fresh.pipelineCount, 1);
      }
    });
  },
);
