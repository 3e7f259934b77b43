// The pi kernel's two implementations, one answer: the WGSL plan run by GpuKernelRunner on
// Dawn/SwiftShader against runPiReference, bit for bit, over awkward sizes (one sample, one
// workgroup's worth and one either side, a full dispatch and a dispatch plus an odd tail),
// starts whose pair index crosses 2^32, and seeds at 0 and 2^53 - 1.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuKernelRunner } from '../../src/gpu/gpuKernelRunner';
import { MC_WORKGROUP_SIZE } from '../../src/kinds/estimator';
import {
  PI_MAX_PAIRS_PER_DISPATCH,
  PI_PAIRS_PER_INVOCATION,
  piEstimator,
  piGpuPlan,
} from '../../src/kinds/pi/piEstimator';
import { runPiReference } from '../../src/kinds/pi/piReference';
import type { PiTask } from '../../src/kinds/pi/piSpec';
import { dawnKernelRunner, GPU_TEST_TIMEOUT_MS, withGpuErrorCheck } from '../gpu/dawnDevice';
import type { DawnGpu } from '../gpu/dawnGpu';

/** Samples in one full dispatch: the boundary where a unit's plan gains a second dispatch. */
const DISPATCH_SAMPLES = 2 * PI_MAX_PAIRS_PER_DISPATCH;
/** Pairs per workgroup: counts either side of it leave invocations with nothing to do. */
const WORKGROUP_PAIRS = MC_WORKGROUP_SIZE * PI_PAIRS_PER_INVOCATION;
/** First sample of a unit whose pair index starts 5 below 2^32, so its pairs cross the carry. */
const NEAR_PAIR_CARRY = 2 * (2 ** 32 - 5);
const MAX_SEED = Number.MAX_SAFE_INTEGER;

const CASES: PiTask[] = [
  ...[1, 2, 3, 63, 64, 65, 127, 1001, 4097].map((count) => ({ seed: 42, start: 0, count })),
  { seed: 42, start: 0, count: 2 * WORKGROUP_PAIRS - 1 },
  { seed: 42, start: 0, count: 2 * WORKGROUP_PAIRS + 1 },
  { seed: 42, start: 0, count: DISPATCH_SAMPLES },
  { seed: 7, start: 0, count: DISPATCH_SAMPLES + 1 },
  { seed: 0, start: 0, count: 1001 },
  { seed: MAX_SEED, start: 0, count: 1001 },
  { seed: 0xffffffff, start: 2 * 12345, count: 777 },
  { seed: 2 ** 32, start: 2 * 12345, count: 777 },
  { seed: 42, start: NEAR_PAIR_CARRY, count: 21 },
  { seed: MAX_SEED, start: NEAR_PAIR_CARRY, count: 4097 },
  // The first dispatch's pairs cross 2^32 partway; the second starts with its high word at 1.
  { seed: 3, start: 2 * (2 ** 32 - 1000), count: DISPATCH_SAMPLES + 9 },
];

let dawn: DawnGpu;
let runner: GpuKernelRunner;
before(async () => ({ dawn, runner } = await dawnKernelRunner()), {
  timeout: GPU_TEST_TIMEOUT_MS,
});

async function runOnGpu(task: PiTask): Promise<{ hits: number; samples: number }> {
  const output = await withGpuErrorCheck(dawn, () => runner.run(piGpuPlan(task)));
  return piEstimator.decodeGpuOutput(task, output);
}

describe(
  'pi kernel: WGSL on Dawn equals the TypeScript reference',
  { timeout: GPU_TEST_TIMEOUT_MS },
  () => {
    for (const task of CASES) {
      const dispatches = piGpuPlan(task).dispatches.length;
      test(`seed ${task.seed}, start ${task.start}, count ${task.count} (${dispatches} dispatch(es))`, async () => {
        const expected = runPiReference(task);
        const got = await runOnGpu(task);
        assert.deepEqual(got, expected);
        // A kernel that silently did nothing would "agree" on count 1 about half the time.
        assert.ok(
          expected.hits > 0 || task.count < 4,
          'reference found no hits: the case is too weak',
        );
      });
    }

    test('a pipeline is compiled once per runner, however many units it runs', async () => {
      const fresh = new GpuKernelRunner(dawn.device);
      for (let unit = 0; unit < 8; unit++) {
        const task = { seed: 1000 + unit, start: unit * 2048, count: 2047 };
        const output = await withGpuErrorCheck(dawn, () => fresh.run(piGpuPlan(task)));
        assert.equal(output[0], runPiReference(task).hits, `unit ${unit}`);
        assert.equal(fresh.pipelineCount, 1, `after unit ${unit}`);
      }
    });

    test('afterDispatch sees every dispatch of a two-dispatch unit, in order', async () => {
      const task = { seed: 5, start: 0, count: DISPATCH_SAMPLES + 3 };
      const seen: string[] = [];
      const output = await withGpuErrorCheck(dawn, () =>
        runner.run(piGpuPlan(task), {
          afterDispatch: async (index, total) => {
            seen.push(`${index}/${total}`);
          },
        }),
      );
      assert.deepEqual(seen, ['0/2', '1/2']);
      assert.equal(output[0], runPiReference(task).hits);
    });
  },
);
