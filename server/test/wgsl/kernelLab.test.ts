// The coordinator's kernel lab on Dawn/SwiftShader in its child process: a good kernel is
// accepted with its cost and a samplesPerUnit; a compile error comes back on the researcher's
// own line and column; a wrong return type, a binding of its own, `loop {}`, an endless
// `while (true)` (the child is killed at the trial deadline and the lab answers the next check)
// and a NaN are each refused in words; and run() computes exactly what GpuKernelRunner computes
// in this process (and what the kernel's TypeScript port computes).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuKernelRunner } from '@tessera/shared/gpu/gpuKernelRunner';
import { wgslEstimator, wgslGpuPlan } from '@tessera/shared/kinds/wgsl-kernel/wgslEstimator';
import { WGSL_MAX_SAMPLES_PER_UNIT } from '@tessera/shared/kinds/wgsl-kernel/wgslSpec';
import { runTypeScriptKernel } from '@tessera/shared/kinds/wgsl-kernel/wgslStream';
import { openDawnGpu, withGpuErrorCheck } from '../../../shared/test/gpu/dawnGpu';
import {
  GPU_SPEEDUP_OVER_LAB,
  KernelLab,
  KernelTimeoutError,
  samplesPerUnitFor,
  type KernelCheck,
} from '../../src/kinds/montecarlo/wgsl/kernelLab';

/** The trial deadline in this file: SwiftShader runs these kernels' trials in milliseconds. */
const TRIAL_TIMEOUT_MS = 3_000;
/** Per test: a child start, Dawn, a compile and a trial (or a deadline and a restart). */
const TEST_TIMEOUT_MS = 60_000;

const PI = `fn sample() -> array<f32, 1> {
  let x = uniform();
  let y = uniform();
  return array<f32, 1>(select(0.0, 4.0, x * x + y * y < 1.0));
}
`;

/** Ends for no sample (x only moves toward 0.5), though nothing says so to a static check. */
const ENDLESS = `fn sample() -> array<f32, 1> {
  var x = uniform();
  while (x < 2.0) {
    x = x * 0.5 + 0.25;
  }
  return array<f32, 1>(x);
}
`;

let lab: KernelLab;
before(() => {
  lab = new KernelLab({ trialTimeoutMs: TRIAL_TIMEOUT_MS });
});
after(() => lab.close());

function problemsOf(check: KernelCheck) {
  assert.equal(check.ok, false, 'the kernel was accepted');
  return check.ok ? [] : check.problems;
}

describe('KernelLab.check', { timeout: TEST_TIMEOUT_MS }, () => {
  test('accepts a good kernel with its cost and a samplesPerUnit in whole workgroups', async () => {
    const check = await lab.check({ source: PI, outputs: ['pi'], seed: 3 });
    assert.ok(check.ok, JSON.stringify(check));
    assert.ok(check.nsPerSample > 0 && check.nsPerSample < 1e6, `${check.nsPerSample} ns`);
    assert.ok(check.samplesPerUnit >= 256 && check.samplesPerUnit <= WGSL_MAX_SAMPLES_PER_UNIT);
    assert.equal(check.samplesPerUnit % 64, 0);
    assert.equal(check.samplesPerUnit, samplesPerUnitFor(check.nsPerSample));
  });

  test('a compile error comes back on the source line and column it points at', async () => {
    const source =
      'fn sample() -> array<f32, 1> {\n  let x: i32 = uniform();\n  return array<f32, 1>(f32(x));\n}\n';
    const [problem, ...rest] = problemsOf(await lab.check({ source, outputs: ['x'] }));
    assert.deepEqual(rest, []);
    assert.equal(problem!.line, 2);
    assert.equal(problem!.column, 7);
    assert.match(
      problem!.message,
      /cannot initialize 'let' of type 'i32' with value of type 'f32'/,
    );
  });

  test('a wrong return type is refused: statically, or by the compiler on its line', async () => {
    const [shape] = problemsOf(
      await lab.check({ source: 'fn sample() -> f32 { return 1.0; }', outputs: ['x'] }),
    );
    assert.match(shape!.message, /fn sample must take no arguments and return array<f32, 1>/);
    const source = 'fn sample() -> array<f32, 1> {\n  return 1.0;\n}\n';
    const [compiled] = problemsOf(await lab.check({ source, outputs: ['x'] }));
    assert.equal(compiled!.line, 2);
    assert.match(compiled!.message, /cannot convert value of type .* to type 'array<f32, 1>'/);
  });

  test('a kernel with a binding of its own is refused at its line', async () => {
    const source = `@group(0) @binding(0) var<storage, read> data: array<f32>;\n${PI}`;
    const problems = problemsOf(await lab.check({ source, outputs: ['pi'] }));
    assert.deepEqual(
      problems.map((p) => `${p.line}:${p.column}`),
      ['1:1', '1:11', '1:23'],
    );
    assert.match(problems[0]!.message, /@group is the harness's: a kernel binds no buffers/);
  });

  test('`loop {}` and `while (true) {}` are refused before they run', async () => {
    const looped = 'fn sample() -> array<f32, 1> {\n  loop {}\n}\n';
    const [compiled] = problemsOf(await lab.check({ source: looped, outputs: ['x'] }));
    assert.equal(compiled!.line, 2);
    assert.match(compiled!.message, /loop does not exit/);
    const source =
      'fn sample() -> array<f32, 1> {\n  while (true) {}\n  return array<f32, 1>(1.0);\n}';
    const [shape] = problemsOf(await lab.check({ source, outputs: ['x'] }));
    assert.deepEqual([shape!.line, shape!.column], [2, 3]);
    assert.match(shape!.message, /this loop never ends/);
  });

  test('a loop that never ends at run time is refused at the trial deadline, and the lab recovers', async () => {
    const source = ENDLESS;
    const started = performance.now();
    const [problem, ...rest] = problemsOf(await lab.check({ source, outputs: ['x'] }));
    assert.deepEqual(rest, []);
    assert.equal(problem!.message, 'the trial run did not finish in 3 s (an endless loop?)');
    assert.ok(performance.now() - started < TRIAL_TIMEOUT_MS + 20_000);
    // A fresh child answers the next check.
    const next = await lab.check({ source: PI, outputs: ['pi'] });
    assert.ok(next.ok, JSON.stringify(next));
  });

  test('a kernel returning NaN is refused, naming the output', async () => {
    const source = `fn sample() -> array<f32, 2> {
  let nan = bitcast<f32>(0x7fc00000u | (random_u32() & 1u));
  return array<f32, 2>(uniform(), nan);
}
`;
    const [problem, ...rest] = problemsOf(await lab.check({ source, outputs: ['fine', 'broken'] }));
    assert.deepEqual(rest, []);
    assert.match(
      problem!.message,
      /^output "broken" was NaN, infinite or at least 2\^31 in magnitude in 256 of 256 trial samples/,
    );
  });
});

describe('KernelLab.run', { timeout: TEST_TIMEOUT_MS }, () => {
  const task = { seed: 2026, start: 2 ** 32 - 100, count: 3001, source: PI, outputs: ['pi'] };

  test('computes what GpuKernelRunner computes in this process, and the TypeScript port', async () => {
    const fromLab = await lab.run(task);
    const dawn = await openDawnGpu();
    try {
      const runner = new GpuKernelRunner(dawn.device);
      const output = await withGpuErrorCheck(dawn, () => runner.run(wgslGpuPlan(task)));
      assert.deepEqual(fromLab, wgslEstimator.decodeGpuOutput(task, output));
    } finally {
      await dawn.close();
    }
    const port = runTypeScriptKernel(task, (stream) => {
      const x = stream.uniform();
      const y = stream.uniform();
      return [Math.fround(Math.fround(x * x) + Math.fround(y * y)) < 1 ? 4 : 0];
    });
    assert.deepEqual(fromLab, port);
    // [R9] Blocks (spot checks) add up to the unit.
    const blocks = await Promise.all(wgslEstimator.blockTasks!(task).map((b) => lab.run(b)));
    assert.deepEqual(
      blocks.reduce((a, b) => wgslEstimator.addResults!(a, b)),
      fromLab,
    );
  });

  test('a kernel past its deadline is killed with a KernelTimeoutError; the next run works', async () => {
    const quick = new KernelLab({ runTimeoutFloorMs: 2_000 });
    try {
      await assert.rejects(
        quick.run({ ...task, source: ENDLESS }, { nsPerSample: 1 }),
        (error: unknown) =>
          error instanceof KernelTimeoutError &&
          /did not finish 3001 samples in 2 s/.test(error.message),
      );
      assert.deepEqual(await quick.run(task, { nsPerSample: 2e6 }), await lab.run(task));
    } finally {
      await quick.close();
    }
  });
});

describe('samplesPerUnitFor', () => {
  test('about 2 s on a GPU 50x the lab, in whole workgroups, within the bounds', () => {
    const ns = 100;
    const perUnit = samplesPerUnitFor(ns);
    assert.equal(perUnit % 64, 0);
    assert.ok(Math.abs((perUnit * ns) / GPU_SPEEDUP_OVER_LAB / 1e9 - 2) < 0.01);
    assert.equal(samplesPerUnitFor(1e9), 256, 'a very slow kernel gets the smallest unit');
    assert.equal(samplesPerUnitFor(0.01), WGSL_MAX_SAMPLES_PER_UNIT);
    // Enough samples per unit that 2^44 samples stay within 100,000 units.
    assert.ok(Math.ceil(2 ** 44 / samplesPerUnitFor(1e6, 2 ** 44)) <= 100_000);
  });
});
