// european-option kernel throughput, samples/s, on every engine a unit can run on: native C
// (cc -O3 -march=native: the same fixed-point arithmetic with native 64-bit products, the
// ceiling), the TypeScript reference in Node (the CPU fallback), the WGSL plan on
// Dawn/SwiftShader in Node, and the same plan in headless Chromium's WebGPU. Every engine also
// computes one check task (block indices crossing 2^32, a 41-bit seed, an odd count, several
// dispatches), whose sums must equal runOptionReference's exactly; the TypeScript row's timed
// run is that task itself.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GpuKernelRunner } from '../../shared/src/gpu/gpuKernelRunner';
import type { GpuPlan } from '../../shared/src/kinds/estimator';
import { optionConstants } from '../../shared/src/kinds/european-option/optionConstants';
import {
  optionEstimator,
  optionGpuPlan,
} from '../../shared/src/kinds/european-option/optionEstimator';
import { runOptionReference } from '../../shared/src/kinds/european-option/optionReference';
import type {
  OptionParams,
  OptionResult,
  OptionTask,
} from '../../shared/src/kinds/european-option/optionSpec';
import { openDawnGpu, withGpuErrorCheck } from '../../shared/test/gpu/dawnGpu';
import { toPlainPlan, type PageTiming } from './browserPlanTimer';
import { fastest, type BenchRow } from './benchRow';
import { findCc, spinNote, timeFastest, timeRunnerRuns } from './timing';
import { CHROMIUM_PATH, openChromiumPage } from './chromiumPage';

const run = promisify(execFile);
const OPTION_C_SOURCE = fileURLToPath(new URL('./native/option.c', import.meta.url));

export interface OptionKernelBenchOptions {
  /** Samples per timed run for TypeScript and both WGSL engines (their check task too). */
  samples?: number;
  /** Samples per timed run of native C: far faster, so a bigger run to time reliably. */
  nativeSamples?: number;
  /** Timed runs per engine; the fastest is reported. */
  repeats?: number;
  log?: (line: string) => void;
}

/** About a second per TypeScript run and a few per SwiftShader run on a 2-core machine. */
export const OPTION_BENCH_DEFAULTS = {
  samples: 2 ** 20 + 1,
  nativeSamples: 2 ** 24,
  repeats: 3,
} as const;

/** An at-the-money call: about half the samples pay, so both payoff paths are timed. */
const PARAMS: OptionParams = {
  spot: 100,
  strike: 100,
  rate: 0.05,
  volatility: 0.2,
  maturity: 1,
  type: 'call',
};

function checkTask(samples: number): OptionTask {
  return { seed: 2 ** 40 + 12_345, start: 2 * (2 ** 32 - 2 ** 18), count: samples, params: PARAMS };
}

function mismatch(engine: string, task: OptionTask, got: OptionResult, expected: OptionResult) {
  const text =
    `${engine}: sum ${got.sum}, squares ${got.sumSquares}; runOptionReference says ` +
    `${expected.sum}, ${expected.sumSquares} (seed ${task.seed}, start ${task.start}, count ${task.count})`;
  console.error(`\n!!!!!!!! OPTION KERNEL MISMATCH !!!!!!!!\n${text}\n`);
  return `MISMATCH ${text}`;
}

function skipped(name: string, samples: number, why: string): BenchRow {
  return { name, work: samples, unit: 'samples', seconds: Number.NaN, note: `skipped: ${why}` };
}

async function benchNative(
  task: OptionTask,
  expected: OptionResult,
  samples: number,
  repeats: number,
): Promise<BenchRow> {
  const name = 'native C (cc -O3 -march=native)';
  const cc = findCc();
  if (!cc) return skipped(name, samples, 'no cc on PATH');
  const dir = await mkdtemp(join(tmpdir(), 'tessera-bench-'));
  try {
    const binary = join(dir, 'option');
    await run(cc, ['-O3', '-march=native', '-o', binary, OPTION_C_SOURCE, '-lm']);
    const k = optionConstants(task.params);
    const once = async (t: OptionTask) => {
      const args = [t.seed, t.start, t.count, k.driftLo, k.driftHi, k.volMantissa, k.volShift];
      args.push(k.strikeLo, k.strikeHi, k.put ? 1 : 0);
      const { stdout } = await run(binary, args.map(String));
      const [sum, squares, seconds] = stdout.trim().split(/\s+/);
      const result: OptionResult = {
        samples: t.count,
        sum: BigInt(`0x${sum}`).toString(),
        sumSquares: BigInt(`0x${squares}`).toString(),
        params: t.params,
      };
      return { result, seconds: Number(seconds) };
    };
    const check = await once(task);
    const problem = optionEstimator.sameResult(check.result, expected)
      ? undefined
      : mismatch('native C', task, check.result, expected);
    const timed = { ...task, start: 0, count: samples };
    const seconds: number[] = [];
    for (let i = 0; i < repeats; i++) seconds.push((await once(timed)).seconds);
    return {
      name,
      work: samples,
      unit: 'samples',
      seconds: fastest(seconds),
      note: `1 core; check task ${problem ? 'MISMATCH' : 'sums = reference'}`,
      ...(problem ? { problem } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function benchTypeScript(
  task: OptionTask,
  repeats: number,
): { row: BenchRow; expected: OptionResult } {
  // The first run gives the reference answer and warms the JIT; it is not timed.
  const timed = timeFastest(() => runOptionReference(task), repeats);
  const expected = timed.first;
  const row = {
    name: 'TypeScript reference, Node',
    work: task.count,
    unit: 'samples',
    seconds: timed.seconds,
    note: `1 core; node ${process.version}; the reference the others are checked against`,
  };
  return { row, expected };
}

async function benchDawn(
  task: OptionTask,
  expected: OptionResult,
  repeats: number,
): Promise<BenchRow> {
  const dawn = await openDawnGpu();
  try {
    const runner = new GpuKernelRunner(dawn.device);
    const plan = optionGpuPlan(task);
    const { outputs, seconds, spin } = await withGpuErrorCheck(dawn, () =>
      timeRunnerRuns(runner, plan, repeats),
    );
    const wrong = outputs
      .map((output) => optionEstimator.decodeGpuOutput(task, output))
      .find((result) => !optionEstimator.sameResult(result, expected));
    const problem = wrong ? mismatch('WGSL on Dawn', task, wrong, expected) : undefined;
    return {
      name: 'WGSL, Dawn in Node',
      work: task.count,
      unit: 'samples',
      seconds: fastest(seconds),
      note:
        `${dawn.adapterName}; ${plan.dispatches.length} dispatch(es); ` +
        spinNote(spin) +
        (problem ? 'MISMATCH' : 'sums = reference'),
      ...(problem ? { problem } : {}),
    };
  } finally {
    await dawn.close();
  }
}

async function benchChromium(
  task: OptionTask,
  expected: OptionResult,
  repeats: number,
): Promise<BenchRow> {
  const name = 'WGSL, headless Chromium WebGPU';
  if (!existsSync(CHROMIUM_PATH)) return skipped(name, task.count, `no ${CHROMIUM_PATH}`);
  const browser = await openChromiumPage();
  try {
    const plan = optionGpuPlan(task);
    const url = browser.moduleUrl('scripts/bench/browserPlanTimer.ts');
    // A string, not a function: tsx wraps functions in __name() calls the page lacks.
    const timing = (await browser.page.evaluate(
      `import(${JSON.stringify(url)}).then((m) => m.timePlanInPage(${JSON.stringify(toPlainPlan(plan))}, 1, ${repeats}))`,
    )) as PageTiming;
    const wrong = timing.outputs
      .map((output) => optionEstimator.decodeGpuOutput(task, Uint32Array.from(output)))
      .find((result) => !optionEstimator.sameResult(result, expected));
    const problem = wrong ? mismatch('WGSL in Chromium', task, wrong, expected) : undefined;
    return {
      name,
      work: task.count,
      unit: 'samples',
      seconds: fastest(timing.seconds),
      note: `${timing.adapter}; chromium ${browser.page.context().browser()?.version()}; ${problem ? 'MISMATCH' : 'sums = reference'}`,
      ...(problem ? { problem } : {}),
    };
  } finally {
    await browser.close();
  }
}

/** Measures every engine in turn (never in parallel: they would share the same cores). */
export async function benchOptionKernels(
  options: OptionKernelBenchOptions = {},
): Promise<BenchRow[]> {
  const samples = options.samples ?? OPTION_BENCH_DEFAULTS.samples;
  const nativeSamples = options.nativeSamples ?? OPTION_BENCH_DEFAULTS.nativeSamples;
  const repeats = options.repeats ?? OPTION_BENCH_DEFAULTS.repeats;
  const log = options.log ?? (() => {});
  const task = checkTask(samples);

  log('european-option: TypeScript reference');
  const { row: tsRow, expected } = benchTypeScript(task, repeats);
  log('european-option: native C');
  const nativeRow = await benchNative(task, expected, nativeSamples, repeats);
  const rows: BenchRow[] = [nativeRow, tsRow];
  log('european-option: WGSL on Dawn');
  rows.push(
    await benchDawn(task, expected, repeats).catch((e: unknown) =>
      skipped('WGSL, Dawn in Node', samples, String(e)),
    ),
  );
  log('european-option: WGSL in headless Chromium');
  rows.push(
    await benchChromium(task, expected, repeats).catch((e: unknown) =>
      skipped('WGSL, headless Chromium WebGPU', samples, String(e).split('\n')[0]!),
    ),
  );
  const baseline = nativeRow.work / nativeRow.seconds;
  if (!Number.isFinite(baseline)) return rows;
  return rows.map((row) => ({ ...row, relative: row.work / row.seconds / baseline }));
}
