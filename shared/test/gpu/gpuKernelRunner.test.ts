// The GpuPlan contract's optional half, on Dawn: scratch buffers (storageWords) start zeroed,
// persist across a unit's dispatches and are fresh for the next unit; dispatches batched into
// one submit (dispatchesPerSubmit) each read their own params and see every earlier dispatch's
// writes; afterDispatch runs once per submit. A tiny kernel, so nothing estimator-specific.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuKernelRunner, MAX_CACHED_PIPELINES } from '../../src/gpu/gpuKernelRunner';
import type { GpuPlan } from '../../src/kinds/estimator';
import { dawnKernelRunner, GPU_TEST_TIMEOUT_MS, withGpuErrorCheck } from './dawnDevice';
import type { DawnGpu } from './dawnGpu';

/**
 * Dispatch d (params: add, slot) adds `add` to every word of scratch `a`, copies word 0 of `a`
 * into out[slot] (what every earlier dispatch left there), and counts itself in scratch `b`.
 */
const CHAIN_KERNEL = /* wgsl */ `
struct Params { add: u32, slot: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<storage, read_write> a: array<u32>;
@group(0) @binding(3) var<storage, read_write> b: array<u32>;

@compute @workgroup_size(1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i < arrayLength(&a)) {
    a[i] = a[i] + params.add;
  }
  if (i == 0u) {
    out[params.slot] = a[0];
    b[0] = b[0] + 1u;
    out[arrayLength(&out) - 1u] = b[0];
  }
}
`;

function chainPlan(adds: number[], dispatchesPerSubmit?: number): GpuPlan {
  return {
    code: CHAIN_KERNEL,
    entryPoint: 'main',
    outputWords: adds.length + 1,
    dispatches: adds.map((add, slot) => ({ params: Uint32Array.of(add, slot), workgroups: 5 })),
    storageWords: [5, 1],
    ...(dispatchesPerSubmit === undefined ? {} : { dispatchesPerSubmit }),
  };
}

/** Running sums of `adds`, then the dispatch count: what chainPlan's output must be. */
function expected(adds: number[]): number[] {
  let sum = 0;
  return [...adds.map((add) => (sum += add)), adds.length];
}

let dawn: DawnGpu;
let runner: GpuKernelRunner;
before(async () => ({ dawn, runner } = await dawnKernelRunner()), {
  timeout: GPU_TEST_TIMEOUT_MS,
});

describe(
  'GpuKernelRunner: scratch buffers and batched submits',
  { timeout: GPU_TEST_TIMEOUT_MS },
  () => {
    const adds = [3, 1, 4, 1, 5, 9, 2];

    for (const perSubmit of [undefined, 1, 3, 7, 100]) {
      test(`7 dispatches, dispatchesPerSubmit ${perSubmit ?? 'unset'}: each sees the ones before`, async () => {
        const output = await withGpuErrorCheck(dawn, () => runner.run(chainPlan(adds, perSubmit)));
        assert.deepEqual(Array.from(output), expected(adds));
      });
    }

    test('scratch starts at zero for every unit, even on a warm runner', async () => {
      for (let unit = 0; unit < 3; unit++) {
        const output = await withGpuErrorCheck(dawn, () => runner.run(chainPlan([7, 7], 2)));
        assert.deepEqual(Array.from(output), [7, 14, 2], `unit ${unit}`);
      }
    });

    test('afterDispatch runs once per submit, with the index of its last dispatch', async () => {
      const seen: string[] = [];
      await withGpuErrorCheck(dawn, () =>
        runner.run(chainPlan(adds, 3), {
          afterDispatch: async (index, total) => {
            seen.push(`${index}/${total}`);
          },
        }),
      );
      assert.deepEqual(seen, ['2/7', '5/7', '6/7']);
    });

    test('a dispatchesPerSubmit that is not a positive integer is refused', async () => {
      for (const bad of [0, 1.5, -2]) {
        await assert.rejects(runner.run(chainPlan(adds, bad)), /dispatchesPerSubmit/);
      }
    });

    test('the pipeline cache is bounded: a tab keeps at most 32 kernels', async () => {
      const fresh = new GpuKernelRunner(dawn.device);
      // Distinct sources (researchers' kernels): one word in the output tells them apart.
      const plan = (n: number): GpuPlan => ({
        ...chainPlan([n]),
        code: `${CHAIN_KERNEL}\n// kernel ${n}\n`,
      });
      await withGpuErrorCheck(dawn, () => fresh.run(plan(0)));
      for (let n = 1; n <= MAX_CACHED_PIPELINES; n++) {
        await withGpuErrorCheck(dawn, () => fresh.run(plan(n)));
        // Kernel 0, used between the others, still runs right as they push the cache full.
        const output = await withGpuErrorCheck(dawn, () => fresh.run(plan(0)));
        assert.deepEqual(Array.from(output), [0, 1]);
      }
      assert.equal(fresh.pipelineCount, MAX_CACHED_PIPELINES);
    });
  },
);
