// `npm run bench -- wgsl`: what the researcher-kernel harness costs. pi written as a
// researcher's kernel (examples/pi-kernel.wgsl in the wgsl estimator's harness: one Philox block and
// two uniform() per sample, float hit test, exact 128-bit fixed-point sums of the value and
// its square) against the built-in pi kernel (one Philox block per two samples, integer hit
// test, one u32 hit count), both on Dawn/SwiftShader in this process, and native C (the pi
// section's baseline, native/pi.c). The researcher kernel's sums are checked against its
// TypeScript port, the built-in's hits against runPiReference; a mismatch fails the bench.
import { GpuKernelRunner } from '../../shared/src/gpu/gpuKernelRunner';
import { piGpuPlan } from '../../shared/src/kinds/pi/piEstimator';
import { runPiReference } from '../../shared/src/kinds/pi/piReference';
import { wgslEstimator, wgslGpuPlan } from '../../shared/src/kinds/wgsl-kernel/wgslEstimator';
import type { WgslTask } from '../../shared/src/kinds/wgsl-kernel/wgslSpec';
import { runTypeScriptKernel } from '../../shared/src/kinds/wgsl-kernel/wgslStream';
import { openDawnGpu, withGpuErrorCheck, type DawnGpu } from '../../shared/test/gpu/dawnGpu';
import { exampleSource, piPort } from '../../shared/test/kinds/wgslPorts';
import { fastest, type BenchRow } from './benchRow';
import { benchNative } from './kernels';
import { spinNote, timeRunnerRuns } from './timing';

export const WGSL_BENCH_DEFAULTS = {
  /** Samples per timed GPU run: about a second each on SwiftShader over 2 cores. */
  samples: 2 ** 22,
  /** Samples per timed native C run (~100x faster). */
  nativeSamples: 2 ** 28,
  /** Samples of the check tasks (exact against the TypeScript ports). */
  checkSamples: 2 ** 16 + 1,
  repeats: 3,
} as const;

const SEED = 2 ** 40 + 12_345;

function skipped(name: string, samples: number, why: string): BenchRow {
  return { name, work: samples, unit: 'samples', seconds: Number.NaN, note: `skipped: ${why}` };
}

function mismatch(text: string): string {
  console.error(`\n!!!!!!!! WGSL KERNEL MISMATCH !!!!!!!!\n${text}\n`);
  return `MISMATCH ${text}`;
}

async function builtInRow(dawn: DawnGpu, samples: number, repeats: number): Promise<BenchRow> {
  const runner = new GpuKernelRunner(dawn.device);
  const task = { seed: SEED, start: 0, count: samples };
  const plan = piGpuPlan(task);
  const { outputs, seconds, spin } = await withGpuErrorCheck(dawn, () =>
    timeRunnerRuns(runner, plan, repeats),
  );
  const expected = runPiReference(task).hits;
  const wrong = outputs.find((output) => output[0] !== expected);
  const problem = wrong
    ? mismatch(`built-in pi on Dawn: ${wrong[0]} hits, runPiReference says ${expected}`)
    : undefined;
  return {
    name: 'built-in pi kernel, WGSL, Dawn in Node',
    work: samples,
    unit: 'samples',
    seconds: fastest(seconds),
    note:
      `${dawn.adapterName}; ${plan.dispatches.length} dispatch(es); ${spinNote(spin)}` +
      (problem ? 'MISMATCH' : 'hits = reference'),
    ...(problem ? { problem } : {}),
  };
}

async function researcherRow(
  dawn: DawnGpu,
  samples: number,
  checkSamples: number,
  repeats: number,
): Promise<BenchRow> {
  const runner = new GpuKernelRunner(dawn.device);
  const source = exampleSource('pi-kernel');
  const task: WgslTask = { seed: SEED, start: 0, count: samples, source, outputs: ['pi'] };
  const check: WgslTask = { ...task, start: 2 ** 32 - 1000, count: checkSamples };
  const gotCheck = wgslEstimator.decodeGpuOutput(
    check,
    await withGpuErrorCheck(dawn, () => runner.run(wgslGpuPlan(check))),
  );
  const expected = runTypeScriptKernel(check, piPort);
  const problem = wgslEstimator.sameResult(gotCheck, expected)
    ? undefined
    : mismatch(`pi kernel on Dawn ${JSON.stringify(gotCheck)}, port ${JSON.stringify(expected)}`);
  const plan = wgslGpuPlan(task);
  const { outputs, seconds, spin } = await withGpuErrorCheck(dawn, () =>
    timeRunnerRuns(runner, plan, repeats),
  );
  const results = outputs.map((output) => wgslEstimator.decodeGpuOutput(task, output));
  const steady = results.every((result) => wgslEstimator.sameResult(result, results[0]!));
  const estimate = wgslEstimator.finalize(
    wgslEstimator.fold(wgslEstimator.emptyAggregate(), results[0]!),
  ).outputs.pi!;
  return {
    name: 'pi as a researcher kernel (examples/pi-kernel.wgsl), Dawn in Node',
    work: samples,
    unit: 'samples',
    seconds: fastest(seconds),
    note:
      `${plan.dispatches.length} dispatch(es); ${spinNote(spin)}pi ~ ${estimate.mean.toFixed(5)} ` +
      `± ${estimate.stderr.toFixed(5)}; ${steady ? 'runs identical' : 'RUNS DIFFER'}; ` +
      (problem ? 'MISMATCH' : 'check task sums = TypeScript port'),
    ...(problem ? { problem } : steady ? {} : { problem: 'runs of one task differ' }),
  };
}

/** Native C, then both kernels on one Dawn device, never in parallel (they share the cores). */
export async function benchWgslKernels(
  options: { log?: (line: string) => void } = {},
): Promise<BenchRow[]> {
  const { samples, nativeSamples, checkSamples, repeats } = WGSL_BENCH_DEFAULTS;
  const log = options.log ?? (() => {});
  log('wgsl: native C');
  const cTask = { seed: SEED, start: 0, count: checkSamples };
  const nativeRow = await benchNative(cTask, runPiReference(cTask).hits, nativeSamples, repeats);
  const rows: BenchRow[] = [nativeRow];
  let dawn: DawnGpu | undefined;
  try {
    dawn = await openDawnGpu();
    log('wgsl: built-in pi kernel on Dawn');
    const builtIn = await builtInRow(dawn, samples, repeats);
    log('wgsl: pi as a researcher kernel on Dawn');
    const researcher = await researcherRow(dawn, samples, checkSamples, repeats);
    const ratio = builtIn.seconds / researcher.seconds;
    researcher.note =
      `${ratio.toFixed(2)}x the built-in kernel's rate (the harness's cost); ` + researcher.note;
    rows.push(builtIn, researcher);
  } catch (error) {
    rows.push(skipped('WGSL, Dawn in Node', samples, String(error).split('\n')[0]!));
  } finally {
    await dawn?.close();
  }
  const baseline = nativeRow.work / nativeRow.seconds;
  if (!Number.isFinite(baseline)) return rows;
  return rows.map((row) => ({ ...row, relative: row.work / row.seconds / baseline }));
}
