// The ising-2d kernel's two implementations, one answer: the WGSL plan run by GpuKernelRunner on
// Dawn/SwiftShader against runIsingReference, bit for bit, on lattices of one, two and three
// tiles (8, 16, 24: a 24-wide row has 3 strips, so strips straddle lattice words and rows),
// sweeps 1, 2, 7, burn-in 0 and 3, temperatures either side of Tc, extreme seeds and chains,
// several strips per invocation, and a unit long enough to span two submits.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuKernelRunner } from '../../src/gpu/gpuKernelRunner';
import {
  ISING_MAX_DISPATCHES_PER_SUBMIT,
  isingDispatchesPerSubmit,
  isingEstimator,
  isingGpuPlan,
  isingStripsPerInvocation,
} from '../../src/kinds/ising-2d/isingEstimator';
import { runIsingReference } from '../../src/kinds/ising-2d/isingReference';
import { piGpuPlan } from '../../src/kinds/pi/piEstimator';
import { runPiReference } from '../../src/kinds/pi/piReference';
import { isingSpecSchema, type IsingTask } from '../../src/kinds/ising-2d/isingSpec';
import { dawnKernelRunner, GPU_TEST_TIMEOUT_MS, withGpuErrorCheck } from '../gpu/dawnDevice';
import type { DawnGpu } from '../gpu/dawnGpu';

interface Case {
  size: number;
  temperature: number;
  sweeps: number;
  burnIn: number;
  seed: number;
  chain: number;
  stripsPerInvocation?: number;
}

function taskOf(c: Case): IsingTask {
  const spec = isingSpecSchema.parse({
    estimator: 'ising-2d',
    params: { size: c.size, temperature: c.temperature, sweeps: c.sweeps, burnIn: c.burnIn },
    chains: Math.max(2, c.chain + 1),
    seed: c.seed,
  });
  return isingEstimator.taskFor(spec, c.chain);
}

const SEEDS = [0, 42, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER];
const TEMPERATURES = [1.5, 2.269, 3.5];

/** Every (size, sweeps, burnIn), with seed, temperature and chain rotating through the lists. */
const CASES: Case[] = [];
for (const size of [8, 16, 24]) {
  for (const sweeps of [1, 2, 7]) {
    for (const burnIn of [0, 3]) {
      const i = CASES.length;
      CASES.push({
        size,
        sweeps,
        burnIn,
        seed: SEEDS[i % SEEDS.length]!,
        temperature: TEMPERATURES[i % TEMPERATURES.length]!,
        chain: [0, 1, 9_999][i % 3]!,
      });
    }
  }
}
CASES.push(
  // Several strips per invocation, with a remainder: 72 strips in one workgroup of 64.
  { size: 24, temperature: 2.0, sweeps: 7, burnIn: 3, seed: 5, chain: 2, stripsPerInvocation: 3 },
  { size: 16, temperature: 3.0, sweeps: 2, burnIn: 0, seed: 6, chain: 4, stripsPerInvocation: 2 },
  // Frozen (no uphill flip) and nearly infinite temperature (thresholds near 2^32).
  { size: 16, temperature: 0.05, sweeps: 7, burnIn: 3, seed: 7, chain: 0 },
  { size: 16, temperature: 100, sweeps: 7, burnIn: 3, seed: 8, chain: 0 },
  // A longer chain near Tc, where clusters of both signs form and many flips are accepted.
  { size: 32, temperature: 2.269, sweeps: 40, burnIn: 20, seed: 9, chain: 3 },
);

let dawn: DawnGpu;
let runner: GpuKernelRunner;
before(async () => ({ dawn, runner } = await dawnKernelRunner()), {
  timeout: GPU_TEST_TIMEOUT_MS,
});

async function runOnGpu(task: IsingTask, stripsPerInvocation?: number) {
  const plan =
    stripsPerInvocation === undefined
      ? isingEstimator.gpuPlan(task)
      : isingGpuPlan(task, stripsPerInvocation);
  const output = await withGpuErrorCheck(dawn, () => runner.run(plan));
  return isingEstimator.decodeGpuOutput(task, output);
}

describe(
  'ising-2d kernel: WGSL on Dawn equals the TypeScript reference',
  { timeout: GPU_TEST_TIMEOUT_MS },
  () => {
    for (const c of CASES) {
      const per = c.stripsPerInvocation ? `, ${c.stripsPerInvocation} strips/invocation` : '';
      test(`L ${c.size}, T ${c.temperature}, sweeps ${c.sweeps}, burnIn ${c.burnIn}, seed ${c.seed}, chain ${c.chain}${per}`, async () => {
        const task = taskOf(c);
        const expected = runIsingReference(task);
        assert.deepEqual(await runOnGpu(task, c.stripsPerInvocation), expected);
        assert.equal(isingEstimator.implausibility(task, expected), null);
      });
    }

    test('a unit of more dispatches than one submit holds: afterDispatch once per submit', async () => {
      const task = taskOf({
        size: 8,
        temperature: 2.269,
        sweeps: 7,
        burnIn: 300,
        seed: 3,
        chain: 1,
      });
      const plan = isingEstimator.gpuPlan(task);
      assert.equal(plan.dispatchesPerSubmit, ISING_MAX_DISPATCHES_PER_SUBMIT);
      assert.equal(plan.dispatches.length, 2 * 307 + 1);
      const seen: string[] = [];
      const output = await withGpuErrorCheck(dawn, () =>
        runner.run(plan, {
          afterDispatch: async (index, total) => {
            seen.push(`${index}/${total}`);
          },
        }),
      );
      assert.deepEqual(seen, [`${ISING_MAX_DISPATCHES_PER_SUBMIT - 1}/615`, '614/615']);
      assert.deepEqual(isingEstimator.decodeGpuOutput(task, output), runIsingReference(task));
    });

    test('one pipeline serves every ising unit, and pi runs beside it on the same runner', async () => {
      const fresh = new GpuKernelRunner(dawn.device);
      for (const chain of [0, 1, 2]) {
        const task = taskOf({ size: 16, temperature: 2.5, sweeps: 3, burnIn: 1, seed: 1, chain });
        const output = await withGpuErrorCheck(dawn, () => fresh.run(isingEstimator.gpuPlan(task)));
        assert.deepEqual(isingEstimator.decodeGpuOutput(task, output), runIsingReference(task));
        const piTask = { seed: chain, start: 0, count: 999 };
        const piOutput = await withGpuErrorCheck(dawn, () => fresh.run(piGpuPlan(piTask)));
        assert.equal(piOutput[0], runPiReference(piTask).hits);
      }
      assert.equal(fresh.pipelineCount, 2);
    });

    test('the comparison has teeth: a kernel with its two thresholds swapped disagrees', async () => {
      const task = taskOf({ size: 16, temperature: 2.0, sweeps: 7, burnIn: 3, seed: 2, chain: 0 });
      const plan = isingEstimator.gpuPlan(task);
      const right = 'select(params.threshold8, params.threshold4, delta_e == 4)';
      assert.ok(plan.code.includes(right));
      const broken = { ...plan, code: plan.code.replace(right, right.replace('== 4', '== 8')) };
      const output = await withGpuErrorCheck(dawn, () => runner.run(broken));
      assert.notDeepEqual(isingEstimator.decodeGpuOutput(task, output), runIsingReference(task));
    });
  },
);

describe('ising-2d plan shape', () => {
  test('two dispatches per sweep plus a final measurement; output two words per sweep', () => {
    const task = taskOf({ size: 16, temperature: 2.0, sweeps: 5, burnIn: 2, seed: 1, chain: 0 });
    const plan = isingEstimator.gpuPlan(task);
    assert.equal(plan.dispatches.length, 2 * 7 + 1);
    assert.equal(plan.outputWords, 10);
    assert.deepEqual(plan.storageWords, [(16 * 16) / 32]);
    // Slot t is written by the first half-sweep of sweep burnIn + t + 1, the last by the end.
    const slots = plan.dispatches.filter((d) => (d.params[7]! & 2) !== 0).map((d) => d.params[8]);
    assert.deepEqual(slots, [0, 1, 2, 3, 4]);
  });

  test('strips per invocation and dispatches per submit grow with the lattice, within caps', () => {
    assert.equal(isingStripsPerInvocation(8), 1);
    assert.equal(isingStripsPerInvocation(128), 1);
    assert.ok(isingStripsPerInvocation(512) > 1);
    assert.ok(isingDispatchesPerSubmit(512) >= 8);
    assert.equal(isingDispatchesPerSubmit(8), ISING_MAX_DISPATCHES_PER_SUBMIT);
  });
});
