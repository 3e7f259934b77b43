// The wgsl estimator without a GPU: the spec schema's refusals, the f32 -> fixed-point step on
// awkward values (against float64, where f32 products are exact), decoding the kernel's
// 128-bit words, the split into units and spot-check blocks (blocks add up to their unit
// exactly), the implausibility check, fold/unfold/finalize, and that the dispatch plan covers
// the task's samples once with 64-bit sample indices.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SPOT_BLOCKS } from '../../src/kinds/estimator';
import { estimatorFor } from '../../src/kinds/registry';
import {
  WGSL_MIN_SAMPLES_PER_DISPATCH,
  outputEstimate,
  wgslEstimator,
  wgslGpuPlan,
} from '../../src/kinds/wgsl-kernel/wgslEstimator';
import {
  FixedPointSums,
  decodeOutputWords,
  f32Bits,
  f32FixedPoint,
} from '../../src/kinds/wgsl-kernel/wgslFixedPoint';
import {
  WGSL_MAX_UNITS,
  wgslSpecSchema,
  type WgslResult,
  type WgslTask,
} from '../../src/kinds/wgsl-kernel/wgslSpec';
import { WgslSampleStream, runTypeScriptKernel } from '../../src/kinds/wgsl-kernel/wgslStream';
import { philox4x32 } from '../../src/rng/philox';
import { AWKWARD_BITS, EIGHT_KERNEL, eightPort, f32FromBits, piPort } from './wgslPorts';

const PI_SOURCE =
  'fn sample() -> array<f32, 1> {\n  let x = uniform();\n  let y = uniform();\n' +
  '  return array<f32, 1>(select(0.0, 4.0, x * x + y * y < 1.0));\n}\n';

function specIssues(input: unknown): string[] {
  const parsed = wgslSpecSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('wgsl spec schema', () => {
  const valid = {
    estimator: 'wgsl',
    source: PI_SOURCE,
    outputs: ['pi'],
    samples: 1_000_000,
    seed: 7,
    samplesPerUnit: 65_536,
  };

  test('accepts a valid spec, fills in samplesPerUnit, and is in the registry', () => {
    assert.deepEqual(specIssues(valid), []);
    const { samplesPerUnit: _, ...without } = valid;
    assert.ok(wgslSpecSchema.parse(without).samplesPerUnit >= 256);
    assert.equal(estimatorFor('wgsl'), wgslEstimator);
    assert.equal(wgslEstimator.requiresGpu, true);
  });

  const refusals: Array<[what: string, input: object, field: string]> = [
    ['an empty source', { ...valid, source: '' }, 'source'],
    ['a source past 16384 bytes', { ...valid, source: 'é'.repeat(8193) }, 'source'],
    ['no outputs', { ...valid, outputs: [] }, 'outputs'],
    ['nine outputs', { ...valid, outputs: 'abcdefghi'.split('') }, 'outputs'],
    ['a repeated output', { ...valid, outputs: ['a', 'a'] }, 'outputs'],
    ['an output name with a dash', { ...valid, outputs: ['a-b'] }, 'outputs'],
    ['an output name of 33 characters', { ...valid, outputs: ['x'.repeat(33)] }, 'outputs'],
    ['samples past 2^50', { ...valid, samples: 2 ** 50 + 2 }, 'samples'],
    ['a seed of 2^53', { ...valid, seed: 2 ** 53 }, 'seed'],
    ['samplesPerUnit below 256', { ...valid, samplesPerUnit: 255 }, 'samplesPerUnit'],
    ['samplesPerUnit past 2^31', { ...valid, samplesPerUnit: 2 ** 31 + 1 }, 'samplesPerUnit'],
    [
      'more units than the cap',
      { ...valid, samples: (WGSL_MAX_UNITS + 1) * 256, samplesPerUnit: 256 },
      'samplesPerUnit',
    ],
    ['an unknown field', { ...valid, params: {} }, 'params'],
  ];
  for (const [what, input, field] of refusals) {
    test(`refuses ${what}, naming ${field}`, () => {
      const issues = specIssues(input);
      assert.ok(issues.length > 0, 'the spec was accepted');
      for (const issue of issues) assert.match(issue, new RegExp(`\\b${field}\\b`), issue);
    });
  }

  test('accepts 8 outputs, 32-character names and an odd samplesPerUnit', () => {
    const names = ['a', 'B', '_c', 'd9', 'x'.repeat(32), 'f', 'g', 'h'];
    assert.deepEqual(specIssues({ ...valid, outputs: names, samplesPerUnit: 1001 }), []);
  });
});

/** trunc(x * 2^32) and trunc(x^2 * 2^32) in float64: exact for every f32 (48-bit products). */
function float64Oracle(x: number): { value: bigint; square: bigint } {
  return { value: BigInt(Math.trunc(x * 2 ** 32)), square: BigInt(Math.trunc(x * x * 2 ** 32)) };
}

describe('f32 -> fixed point (the TypeScript twin of the harness)', () => {
  const cases: Array<[what: string, x: number, value: bigint | null, square?: bigint]> = [
    ['0', 0, 0n, 0n],
    ['-0', -0, 0n, 0n],
    ['1', 1, 1n << 32n, 1n << 32n],
    ['-1', -1, -(1n << 32n), 1n << 32n],
    ['2^-32 (the last value that counts)', 2 ** -32, 1n, 0n],
    ['-1.5 * 2^-32 (truncated toward zero)', -1.5 * 2 ** -32, -1n, 0n],
    ['2^-33', 2 ** -33, 0n, 0n],
    ['2^-16 (its square is exactly 2^-32)', 2 ** -16, 1n << 16n, 1n],
    ['the smallest subnormal', f32FromBits(1), 0n, 0n],
    ['the largest negative subnormal', f32FromBits(0x807fffff), 0n, 0n],
    ['2^31 (rejected)', 2 ** 31, null],
    ['-2^31 (rejected)', -(2 ** 31), null],
    ['NaN (rejected)', Number.NaN, null],
    ['Infinity (rejected)', Number.POSITIVE_INFINITY, null],
    ['-Infinity (rejected)', Number.NEGATIVE_INFINITY, null],
  ];
  for (const [what, x, value, square] of cases) {
    test(what, () => {
      const fixed = f32FixedPoint(x);
      if (value === null) assert.equal(fixed, null);
      else assert.deepEqual(fixed, { value, square });
    });
  }

  test('0.1, 2^30.9 and the largest f32 below 2^31 agree with exact float64', () => {
    for (const x of [Math.fround(0.1), Math.fround(2 ** 30.9), f32FromBits(0x4effffff)]) {
      assert.deepEqual(f32FixedPoint(x), float64Oracle(x), `x = ${x}`);
      assert.deepEqual(f32FixedPoint(-x), { ...float64Oracle(x), value: -float64Oracle(x).value });
    }
    const top = f32FixedPoint(f32FromBits(0x4effffff))!;
    assert.ok(top.value < 1n << 63n && top.square < 1n << 94n);
  });

  test('every awkward bit pattern and 20000 random ones agree with float64', () => {
    const words = new Uint32Array(4);
    const patterns = [...AWKWARD_BITS];
    for (let i = 0; i < 5000; i++) patterns.push(...philox4x32(i, 0, 0, 0, 1, 2, words));
    for (const bits of patterns) {
      const x = f32FromBits(bits);
      const expected = !Number.isFinite(x) || Math.abs(x) >= 2 ** 31 ? null : float64Oracle(x);
      assert.deepEqual(f32FixedPoint(x), expected, `bits 0x${bits.toString(16)}`);
    }
  });

  test('f32Bits rounds a float64 to float32 first, as storing it in WGSL would', () => {
    assert.equal(f32Bits(0.1), 0x3dcccccd);
    assert.equal(f32Bits(-0), 0x80000000);
  });

  test('decodeOutputWords reads 128-bit two\u2019s complement sums and unsigned squares', () => {
    const values = [0n, 1n, -1n, (1n << 94n) - 7n, -(1n << 100n) + 12345n, -(1n << 127n)];
    for (const sum of values) {
      const raw = sum < 0n ? sum + (1n << 128n) : sum;
      const squares = (1n << 125n) + 3n;
      const words = new Uint32Array(9);
      for (let i = 0; i < 4; i++) {
        words[i] = Number((raw >> BigInt(32 * i)) & 0xffffffffn);
        words[4 + i] = Number((squares >> BigInt(32 * i)) & 0xffffffffn);
      }
      words[8] = 17;
      assert.deepEqual(decodeOutputWords(words, 0), {
        sum: sum.toString(),
        sumSquares: squares.toString(),
        rejected: 17,
      });
    }
  });

  test('FixedPointSums counts rejected values per output and refuses a wrong arity', () => {
    const sums = new FixedPointSums(['a', 'b']);
    sums.add([1, Number.NaN]);
    sums.add([-0.5, 2]);
    assert.deepEqual(sums.result(), {
      samples: 2,
      names: ['a', 'b'],
      outputs: [
        { sum: String(2 ** 31), sumSquares: String(2 ** 32 + 2 ** 30), rejected: 0 },
        { sum: String(2 ** 33), sumSquares: String(2 ** 34), rejected: 1 },
      ],
    });
    assert.throws(() => sums.add([1]), /expected 2/);
  });
});

describe('the kernel stream (TypeScript twin of random_u32 and uniform)', () => {
  test('sample s draws the words of blocks (s, WGSL_STREAM, 0), (.., 1), ... in order', () => {
    const stream = new WgslSampleStream(2 ** 40 + 5);
    const sample = 2 ** 32 + 9;
    stream.begin(sample);
    const drawn = Array.from({ length: 9 }, () => stream.randomU32());
    const block = new Uint32Array(4);
    const expected = [0, 1, 2].flatMap((b) => [
      ...philox4x32(9, 1, wgslEstimator.stream, b, 5, 256, block),
    ]);
    assert.deepEqual(drawn, expected.slice(0, 9));
    stream.begin(sample);
    assert.equal(stream.uniform(), (expected[0]! >>> 8) * 2 ** -24, 'begin() rewinds');
  });
});

const TASK: WgslTask = {
  seed: 99,
  start: 1000,
  count: 1000,
  source: EIGHT_KERNEL,
  outputs: ['a', 'b', 'ab', 'neg', 'big', 'sum', 'square', 'tiny'],
};

describe('units, blocks and the dispatch plan', () => {
  test('units cover [0, samples) once, the last one short', () => {
    const spec = wgslSpecSchema.parse({
      estimator: 'wgsl',
      source: PI_SOURCE,
      outputs: ['pi'],
      samples: 10_001,
      seed: 3,
      samplesPerUnit: 1000,
    });
    const units = wgslEstimator.unitCount(spec);
    assert.equal(units, 11);
    let next = 0;
    for (let u = 0; u < units; u++) {
      const task = wgslEstimator.taskFor(spec, u);
      assert.equal(task.start, next);
      assert.equal(task.source, PI_SOURCE);
      next += task.count;
    }
    assert.equal(next, 10_001);
  });

  for (const count of [1, 15, 16, 17, 1000, 4099]) {
    test(`[R9] ${count} samples: blocks are contiguous, at most ${SPOT_BLOCKS}, and add up exactly`, () => {
      const task = { ...TASK, count };
      const blocks = wgslEstimator.blockTasks!(task);
      assert.ok(blocks.length >= 1 && blocks.length <= SPOT_BLOCKS);
      let next = task.start;
      for (const block of blocks) {
        assert.equal(block.start, next);
        next += block.count;
      }
      assert.equal(next, task.start + count);
      const whole = runTypeScriptKernel(task, eightPort);
      const summed = blocks
        .map((block) => runTypeScriptKernel(block, eightPort))
        .reduce((a, b) => wgslEstimator.addResults!(a, b));
      assert.deepEqual(summed, whole);
      assert.equal(wgslEstimator.implausibility(task, whole), null);
    });
  }

  test('the plan covers every sample once, in whole workgroups, across the 2^32 carry', () => {
    const task = { ...TASK, start: 2 ** 32 - 5000, count: 3 * WGSL_MIN_SAMPLES_PER_DISPATCH + 7 };
    const plan = wgslGpuPlan(task);
    assert.equal(plan.outputWords, 8 * 9);
    assert.equal(plan.dispatches.length, 4);
    let next = task.start;
    for (const { params, workgroups } of plan.dispatches) {
      assert.equal(params[0], 99);
      assert.equal(params[1], 0);
      assert.equal(params[2]! + params[3]! * 2 ** 32, next);
      assert.ok(workgroups * 64 * params[5]! >= params[4]!);
      assert.ok((workgroups - 1) * 64 * params[5]! < params[4]!);
      next += params[4]!;
    }
    assert.equal(next, task.start + task.count);
    // A 2 s unit runs in about 8 dispatches, many samples per invocation; a small one in one.
    const big = wgslGpuPlan({ ...task, count: 2 ** 24 }).dispatches;
    assert.equal(big.length, 8);
    assert.equal(big[0]!.params[5], 64);
    assert.equal(wgslGpuPlan({ ...task, count: 1000 }).dispatches[0]!.params[5], 1);
  });

  test('[L10] runReference refuses: these units run on WebGPU only', () => {
    assert.throws(() => wgslEstimator.runReference(TASK), /WebGPU only.*Dawn/);
  });
});

describe('implausibility, sameResult, fold/unfold and finalize', () => {
  const result = runTypeScriptKernel(TASK, eightPort);
  const edit = (k: number, change: Partial<WgslResult['outputs'][number]>): WgslResult => ({
    ...result,
    outputs: result.outputs.map((sums, i) => (i === k ? { ...sums, ...change } : sums)),
  });

  test('refuses results that cannot come from the task', () => {
    const cases: Array<[WgslResult, RegExp]> = [
      [{ ...result, samples: 999 }, /covers 999 samples/],
      [{ ...result, names: [...TASK.outputs].reverse() }, /other outputs/],
      [edit(0, { rejected: 1001 }), /more rejected values than samples/],
      [edit(1, { sum: (1000n << 63n).toString() }), /\|sum\| above/],
      [edit(1, { sumSquares: (1000n << 94n).toString() }), /sum of squares above/],
      [edit(4, { sumSquares: '0' }), /below \(sum\)\^2/],
    ];
    for (const [bad, message] of cases) {
      assert.match(wgslEstimator.implausibility(TASK, bad) ?? 'accepted', message);
    }
    assert.equal(wgslEstimator.implausibility(TASK, result), null);
    assert.equal(
      wgslEstimator.implausibility(TASK, edit(2, { sum: '0', sumSquares: '0', rejected: 1000 })),
      null,
      'all rejected',
    );
  });

  test('sameResult is exact on every field', () => {
    assert.ok(wgslEstimator.sameResult(result, structuredClone(result)));
    assert.ok(!wgslEstimator.sameResult(result, edit(7, { rejected: 1 })));
    assert.ok(!wgslEstimator.sameResult(result, edit(3, { sum: `${result.outputs[3]!.sum}1` })));
    assert.ok(!wgslEstimator.sameResult(result, { ...result, names: [...result.names].reverse() }));
  });

  test('fold then unfold gives back the aggregate; finalize matches float64 statistics', () => {
    const tasks = [0, 1, 2].map((u) => ({ ...TASK, start: u * 1000 }));
    const results = tasks.map((task) => runTypeScriptKernel(task, eightPort));
    let aggregate = wgslEstimator.emptyAggregate();
    const history = [aggregate];
    for (const r of results) history.push((aggregate = wgslEstimator.fold(aggregate, r)));
    assert.equal(aggregate.units, 3);
    assert.deepEqual(wgslEstimator.unfold!(aggregate, results[2]!), history[2]);
    let back = aggregate;
    for (const r of results) back = wgslEstimator.unfold!(back, r);
    assert.deepEqual(back, wgslEstimator.emptyAggregate());

    // The same samples in float64: means and standard errors to float precision.
    const values: number[][] = TASK.outputs.map(() => []);
    const stream = new WgslSampleStream(TASK.seed);
    for (let s = 0; s < 3000; s++) {
      stream.begin(s);
      Array.from(eightPort(stream)).forEach((v, k) => values[k]!.push(v));
    }
    const estimate = wgslEstimator.finalize(aggregate);
    assert.equal(estimate.samples, 3000);
    assert.deepEqual(Object.keys(estimate.outputs), TASK.outputs);
    TASK.outputs.forEach((name, k) => {
      const xs = values[k]!;
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
      const got = estimate.outputs[name]!;
      const scale = Math.max(1, Math.abs(mean));
      assert.ok(Math.abs(got.mean - mean) <= 1e-9 * scale + 2 ** -32, `${name} mean`);
      const stderr = Math.sqrt(variance / xs.length);
      assert.ok(Math.abs(got.stderr - stderr) <= 1e-6 * stderr + 2 ** -16, `${name} stderr`);
      const half = 1.959963984540054 * got.stderr;
      assert.deepEqual(got.ci95, [got.mean - half, got.mean + half]);
      assert.equal(got.rejected, 0);
    });
  });

  test('finalize leaves rejected values out of the mean and says how many', () => {
    const sums = new FixedPointSums(['x']);
    for (const x of [1, 2, 3, Number.NaN, Number.POSITIVE_INFINITY]) sums.add([x]);
    const { outputs, samples } = sums.result();
    const estimate = outputEstimate(samples, outputs[0]!);
    assert.equal(estimate.mean, 2);
    assert.equal(estimate.rejected, 2);
    assert.ok(Math.abs(estimate.stderr - Math.sqrt(1 / 3)) < 1e-12);
    assert.equal(outputEstimate(2, { sum: '0', sumSquares: '0', rejected: 2 }).stderr, Infinity);
  });

  test('an output named __proto__ is just a name in the public result', () => {
    const r = runTypeScriptKernel({ ...TASK, count: 10, outputs: ['__proto__'] }, piPort);
    const estimate = wgslEstimator.finalize(wgslEstimator.fold(wgslEstimator.emptyAggregate(), r));
    assert.ok(Object.hasOwn(estimate.outputs, '__proto__'));
    assert.equal(Object.getPrototypeOf(estimate.outputs), Object.prototype);
  });
});
