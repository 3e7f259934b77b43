// pi-kernel throughput, samples/s, on every engine a unit can run on: native C (the ceiling,
// cc -O3 -march=native), the TypeScript reference in Node (the CPU fallback), the WGSL plan on
// Dawn/SwiftShader in Node, and the same plan in headless Chromium's WebGPU. Every engine also
// computes one shared check task, whose hit count must equal runPiReference's exactly.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GpuKernelRunner } from '../../shared/src/gpu/gpuKernelRunner';
import type { GpuPlan } from '../../shared/src/kinds/estimator';
import { piGpuPlan } from '../../shared/src/kinds/pi/piEstimator';
import { runPiReference } from '../../shared/src/kinds/pi/piReference';
import type { PiTask } from '../../shared/src/kinds/pi/piSpec';
import { openDawnGpu, withGpuErrorCheck } from '../../shared/test/gpu/dawnGpu';
import { toPlainPlan, type PageTiming } from './browserPlanTimer';
import { fastest, type BenchRow } from './benchRow';
import { findCc, spinNote, timeFastest, timeRunnerRuns } from './timing';
import { CHROMIUM_PATH, openChromiumPage } from './chromiumPage';

const run = promisify(execFile);
const PI_C_SOURCE = fileURLToPath(new URL('./native/pi.c', import.meta.url));

export interface PiKernelBenchOptions {
  /** Samples per timed run for TypeScript and both WGSL engines (their check task too). */
  samples?: number;
  /** Samples per timed run of native C: ~100x faster, so a bigger run to time reliably. */
  nativeSamples?: number;
  /** Timed runs per engine; the fastest is reported. */
  repeats?: number;
  /** Progress lines while a section runs (each engine takes seconds). */
  log?: (line: string) => void;
}

/** ~1 s per TypeScript run and a few per SwiftShader run on a 2-core machine. */
export const PI_BENCH_DEFAULTS = {
  samples: 2 ** 23 + 1,
  nativeSamples: 2 ** 28,
  repeats: 3,
} as const;

/**
 * The task every engine is checked on: a start whose pair index crosses 2^32, a seed with both
 * key words non-zero, and an odd count so the last pair is split, over several dispatches.
 */
function checkTask(samples: number): PiTask {
  return { seed: 2 ** 40 + 12_345, start: 2 * (2 ** 32 - 2 ** 20), count: samples };
}

function mismatch(engine: string, task: PiTask, got: number, expected: number): string {
  const text =
    `${engine}: ${got} hits, runPiReference says ${expected} ` +
    `(seed ${task.seed}, start ${task.start}, count ${task.count})`;
  console.error(`\n!!!!!!!! PI KERNEL MISMATCH !!!!!!!!\n${text}\n`);
  return `MISMATCH ${text}`;
}

function skipped(name: string, samples: number, why: string): BenchRow {
  return { name, work: samples, unit: 'samples', seconds: Number.NaN, note: `skipped: ${why}` };
}

/** native/pi.c, checked on `task` against `reference` hits, timed on `samples` (also wgsl.ts's baseline). */
export async function benchNative(
  task: PiTask,
  reference: number,
  samples: number,
  repeats: number,
): Promise<BenchRow> {
  const name = 'native C (cc -O3 -march=native)';
  const cc = findCc();
  if (!cc) return skipped(name, samples, 'no cc on PATH');
  const dir = await mkdtemp(join(tmpdir(), 'tessera-bench-'));
  try {
    const binary = join(dir, 'pi');
    await run(cc, ['-O3', '-march=native', '-o', binary, PI_C_SOURCE]);
    const once = async (t: PiTask) => {
      const { stdout } = await run(binary, [String(t.seed), String(t.start), String(t.count)]);
      const [hits, seconds] = stdout.trim().split(/\s+/).map(Number);
      return { hits: hits!, seconds: seconds! };
    };
    const check = await once(task);
    const problem =
      check.hits === reference ? undefined : mismatch('native C', task, check.hits, reference);
    const timed = { seed: task.seed, start: 0, count: samples };
    const seconds: number[] = [];
    for (let i = 0; i < repeats; i++) seconds.push((await once(timed)).seconds);
    return {
      name,
      work: samples,
      unit: 'samples',
      seconds: fastest(seconds),
      note: `1 core; check task ${problem ? 'MISMATCH' : 'hits = reference'}`,
      ...(problem ? { problem } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function benchTypeScript(task: PiTask, repeats: number): { row: BenchRow; reference: number } {
  // The first run gives the reference answer and warms the JIT; it is not timed.
  const timed = timeFastest(() => runPiReference(task), repeats);
  const reference = timed.first.hits;
  const row = {
    name: 'TypeScript reference, Node',
    work: task.count,
    unit: 'samples',
    seconds: timed.seconds,
    note: `1 core; node ${process.version}; the reference the others are checked against`,
  };
  return { row, reference };
}

async function benchDawn(task: PiTask, reference: number, repeats: number): Promise<BenchRow> {
  const dawn = await openDawnGpu();
  try {
    const runner = new GpuKernelRunner(dawn.device);
    const plan = piGpuPlan(task);
    // Error scopes around the whole series, not each run, so the timed runs measure what the
    // browser figure measures: runner.run() alone.
    const { outputs, seconds, spin } = await withGpuErrorCheck(dawn, () =>
      timeRunnerRuns(runner, plan, repeats),
    );
    const wrong = outputs.find((output) => output[0] !== reference);
    const problem = wrong ? mismatch('WGSL on Dawn', task, wrong[0] ?? -1, reference) : undefined;
    return {
      name: 'WGSL, Dawn in Node',
      work: task.count,
      unit: 'samples',
      seconds: fastest(seconds),
      note:
        `${dawn.adapterName}; ${plan.dispatches.length} dispatch(es); ` +
        spinNote(spin) +
        (problem ? 'MISMATCH' : 'hits = reference'),
      ...(problem ? { problem } : {}),
    };
  } finally {
    await dawn.close();
  }
}

async function benchChromium(task: PiTask, reference: number, repeats: number): Promise<BenchRow> {
  const name = 'WGSL, headless Chromium WebGPU';
  if (!existsSync(CHROMIUM_PATH)) return skipped(name, task.count, `no ${CHROMIUM_PATH}`);
  const browser = await openChromiumPage();
  try {
    const plan = piGpuPlan(task);
    const url = browser.moduleUrl('scripts/bench/browserPlanTimer.ts');
    // A string, not a function: tsx (esbuild keepNames) wraps functions in __name() calls that
    // do not exist in the page.
    const timing = (await browser.page.evaluate(
      `import(${JSON.stringify(url)}).then((m) => m.timePlanInPage(${JSON.stringify(toPlainPlan(plan))}, 1, ${repeats}))`,
    )) as PageTiming;
    const wrong = timing.outputs.find((output) => output[0] !== reference);
    const problem = wrong
      ? mismatch('WGSL in Chromium', task, wrong[0] ?? -1, reference)
      : undefined;
    return {
      name,
      work: task.count,
      unit: 'samples',
      seconds: fastest(timing.seconds),
      note: `${timing.adapter}; chromium ${browser.page.context().browser()?.version()}; ${problem ? 'MISMATCH' : 'hits = reference'}`,
      ...(problem ? { problem } : {}),
    };
  } finally {
    await browser.close();
  }
}

/** Measures every engine in turn (never in parallel: they would share the same cores). */
export async function benchPiKernels(options: PiKernelBenchOptions = {}): Promise<BenchRow[]> {
  const samples = options.samples ?? PI_BENCH_DEFAULTS.samples;
  const nativeSamples = options.nativeSamples ?? PI_BENCH_DEFAULTS.nativeSamples;
  const repeats = options.repeats ?? PI_BENCH_DEFAULTS.repeats;
  const log = options.log ?? (() => {});
  const task = checkTask(samples);

  log('pi: TypeScript reference');
  const { row: tsRow, reference } = benchTypeScript(task, repeats);
  log('pi: native C');
  const nativeRow = await benchNative(task, reference, nativeSamples, repeats);
  const rows: BenchRow[] = [nativeRow, tsRow];
  log('pi: WGSL on Dawn');
  rows.push(
    await benchDawn(task, reference, repeats).catch((e: unknown) =>
      skipped('WGSL, Dawn in Node', samples, String(e)),
    ),
  );
  log('pi: WGSL in headless Chromium');
  rows.push(
    await benchChromium(task, reference, repeats).catch((e: unknown) =>
      skipped('WGSL, headless Chromium WebGPU', samples, String(e).split('\n')[0]!),
    ),
  );
  const baseline = nativeRow.work / nativeRow.seconds;
  if (!Number.isFinite(baseline)) return rows;
  return rows.map((row) => ({ ...row, relative: row.work / row.seconds / baseline }));
}
