// Researchers' WGSL kernels in the harness, on Dawn/SwiftShader, against TypeScript ports on
// the same stream: exact sums (every bit of the 128-bit words) over awkward sample counts (one
// sample, a workgroup's worth and one either side, counts that are not multiples of 64, several
// dispatches), sample indices crossing 2^32, the largest seed, 8 outputs, awkward values (NaN,
// infinities, subnormals, 2^31, the truncation edge); blocks that add up to their unit on the
// GPU too; and the examples' answers: pi exactly equal to its port and within 5 standard
// errors of pi, Genz's Gaussian integral within 5 of its closed form, the Asian calls within 5
// of a long TypeScript run (arithmetic) and of the closed form (geometric).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuKernelRunner } from '../../src/gpu/gpuKernelRunner';
import { wgslEstimator, wgslGpuPlan } from '../../src/kinds/wgsl-kernel/wgslEstimator';
import type { WgslResult, WgslTask } from '../../src/kinds/wgsl-kernel/wgslSpec';
import { runTypeScriptKernel, type TypeScriptSample } from '../../src/kinds/wgsl-kernel/wgslStream';
import { dawnKernelRunner, GPU_TEST_TIMEOUT_MS, withGpuErrorCheck } from '../gpu/dawnDevice';
import type { DawnGpu } from '../gpu/dawnGpu';
import {
  AWKWARD_KERNEL,
  EIGHT_KERNEL,
  awkwardPort,
  asianPort,
  eightPort,
  exampleSource,
  genzGaussianExact,
  geometricAsianExact,
  piPort,
} from './wgslPorts';

const MAX_SEED = Number.MAX_SAFE_INTEGER;

let dawn: DawnGpu;
let runner: GpuKernelRunner;
before(async () => ({ dawn, runner } = await dawnKernelRunner()), {
  timeout: GPU_TEST_TIMEOUT_MS,
});

type Layout = Parameters<typeof wgslGpuPlan>[1];

async function runOnGpu(task: WgslTask, layout?: Layout): Promise<WgslResult> {
  const output = await withGpuErrorCheck(dawn, () => runner.run(wgslGpuPlan(task, layout)));
  return wgslEstimator.decodeGpuOutput(task, output);
}

function kernelTask(source: string, outputs: string[], task: Partial<WgslTask>): WgslTask {
  return { seed: 42, start: 0, count: 1000, source, outputs, ...task };
}

/** The public estimate of one result (one unit folded). */
function estimateOf(result: WgslResult) {
  return wgslEstimator.finalize(wgslEstimator.fold(wgslEstimator.emptyAggregate(), result)).outputs;
}

interface ExactCase {
  task: WgslTask;
  port: TypeScriptSample;
  layout?: Layout;
}

const AWKWARD_OUTPUTS = ['awkward', 'raw', 'shaped'];
const EIGHT_OUTPUTS = ['a', 'b', 'ab', 'neg', 'big', 'sum', 'square', 'tiny'];
const awkward = (task: Partial<WgslTask>) => kernelTask(AWKWARD_KERNEL, AWKWARD_OUTPUTS, task);

const EXACT_CASES: ExactCase[] = [
  ...[1, 63, 64, 65, 513, 1000, 4097].map((count) => ({
    task: awkward({ count }),
    port: awkwardPort,
  })),
  { task: awkward({ seed: 0, start: 7, count: 777 }), port: awkwardPort },
  { task: awkward({ seed: MAX_SEED, start: 123_456, count: 1001 }), port: awkwardPort },
  // Sample indices cross 2^32 inside the unit, and the dispatches' first indices carry too.
  { task: awkward({ start: 2 ** 32 - 300, count: 2500 }), port: awkwardPort },
  {
    task: awkward({ start: 2 ** 32 - 300, count: 2500 }),
    port: awkwardPort,
    layout: { samplesPerDispatch: 512 },
  },
  { task: awkward({ start: 2 ** 45 + 3, count: 65 }), port: awkwardPort },
  // Many samples per invocation: each invocation's private 128-bit sums carry across samples.
  ...[7, 64].map((samplesPerInvocation) => ({
    task: awkward({ seed: 11, start: 2 ** 32 - 9000, count: 20_000 }),
    port: awkwardPort,
    layout: { samplesPerDispatch: 6000, samplesPerInvocation },
  })),
  ...[1, 65, 1000].map((count) => ({
    task: kernelTask(EIGHT_KERNEL, EIGHT_OUTPUTS, { seed: 9, start: 11, count }),
    port: eightPort,
  })),
  {
    task: kernelTask(EIGHT_KERNEL, EIGHT_OUTPUTS, { seed: 9, start: 11, count: 5000 }),
    port: eightPort,
    layout: { samplesPerInvocation: 33 },
  },
  {
    task: kernelTask(exampleSource('pi-kernel'), ['pi'], { seed: 2026, count: 4097 }),
    port: piPort,
  },
];

describe(
  'researcher kernels: WGSL on Dawn equals the TypeScript port, bit for bit',
  { timeout: GPU_TEST_TIMEOUT_MS },
  () => {
    for (const { task, port, layout } of EXACT_CASES) {
      const { dispatches } = wgslGpuPlan(task, layout);
      const title =
        `${task.outputs.length} output(s), seed ${task.seed}, start ${task.start}, ` +
        `count ${task.count} (${dispatches.length} dispatch(es), ` +
        `${dispatches[0]!.params[5]} per invocation)`;
      test(title, async () => {
        const expected = runTypeScriptKernel(task, port);
        const got = await runOnGpu(task, layout);
        assert.deepEqual(got, expected);
        assert.equal(wgslEstimator.implausibility(task, got), null);
      });
    }

    test('the awkward kernel exercises rejection, truncation to 0 and both signs', () => {
      const result = runTypeScriptKernel(awkward({ count: 4097 }), awkwardPort);
      for (const [k, sums] of result.outputs.entries()) {
        assert.ok(sums.rejected > 100, `output ${k}: ${sums.rejected} rejected`);
      }
    });

    test('[R9] a unit on the GPU equals the sum of its blocks on the GPU', async () => {
      const task = awkward({ seed: 5, start: 99, count: 3001 });
      const blocks = wgslEstimator.blockTasks!(task);
      assert.equal(blocks.length, 16);
      let sum: WgslResult | undefined;
      for (const block of blocks) {
        const result = await runOnGpu(block);
        sum = sum ? wgslEstimator.addResults!(sum, result) : result;
      }
      assert.deepEqual(sum, await runOnGpu(task));
    });
  },
);

describe(
  'the examples on Dawn: within 5 standard errors of their references',
  { timeout: GPU_TEST_TIMEOUT_MS },
  () => {
    test('pi (examples/pi-kernel.wgsl): equals its port, within 5 stderr of pi', async () => {
      const task = kernelTask(exampleSource('pi-kernel'), ['pi'], { seed: 2026, count: 2 ** 17 });
      const result = await runOnGpu(task);
      assert.deepEqual(result, runTypeScriptKernel(task, piPort));
      const { mean, stderr } = estimateOf(result).pi!;
      assert.ok(Math.abs(mean - Math.PI) < 5 * stderr, `${mean} ± ${stderr}`);
      assert.ok(stderr > 0 && stderr < 0.01);
    });

    test('Genz Gaussian (examples/genz-gaussian.wgsl): within 5 stderr of the closed form', async () => {
      const task = kernelTask(exampleSource('genz-gaussian'), ['integral'], {
        seed: 1984,
        count: 2 ** 16,
      });
      const { mean, stderr } = estimateOf(await runOnGpu(task)).integral!;
      const exact = genzGaussianExact();
      assert.ok(Math.abs(exact - 0.180917546923624) < 1e-12, `closed form ${exact}`);
      assert.ok(Math.abs(mean - exact) < 5 * stderr, `${mean} ± ${stderr} vs ${exact}`);
      assert.ok(stderr > 0 && stderr < 0.005 * exact);
    });

    test('Asian calls (examples/asian-option.wgsl): arithmetic vs a long TypeScript run, geometric vs its closed form', async () => {
      const outputs = ['arithmetic', 'geometric'];
      const task = kernelTask(exampleSource('asian-option'), outputs, { seed: 7, count: 2 ** 14 });
      const gpu = estimateOf(await runOnGpu(task));
      const long = estimateOf(runTypeScriptKernel({ ...task, seed: 8, count: 2 ** 17 }, asianPort));
      const a = gpu.arithmetic!;
      const reference = long.arithmetic!;
      const combined = Math.hypot(a.stderr, reference.stderr);
      assert.ok(
        Math.abs(a.mean - reference.mean) < 5 * combined,
        `GPU ${a.mean} ± ${a.stderr}, TypeScript ${reference.mean} ± ${reference.stderr}`,
      );
      const g = gpu.geometric!;
      const exact = geometricAsianExact();
      assert.ok(Math.abs(g.mean - exact) < 5 * g.stderr, `${g.mean} ± ${g.stderr} vs ${exact}`);
      assert.ok(a.mean > g.mean, 'the arithmetic average dominates the geometric');
      assert.equal(a.rejected + g.rejected, 0);
    });
  },
);
