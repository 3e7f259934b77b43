// ising-2d kernel throughput, spin-update attempts per second, on every engine a chain can run
// on: native C (cc -O3 -march=native, the ceiling), the TypeScript reference in Node (the CPU
// fallback), the WGSL plan on Dawn/SwiftShader in Node and in headless Chromium's WebGPU. Two
// lattices: 32² (a GPU chain there is bound by its 2 dispatches per sweep) and 128² (bound by
// the kernel). Every engine's sums for the timed chain must equal runIsingReference's exactly.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GpuKernelRunner } from '../../shared/src/gpu/gpuKernelRunner';
import { decodeIsingOutput, isingEstimator } from '../../shared/src/kinds/ising-2d/isingEstimator';
import { runIsingReference } from '../../shared/src/kinds/ising-2d/isingReference';
import {
  isingSpecSchema,
  type IsingResult,
  type IsingTask,
} from '../../shared/src/kinds/ising-2d/isingSpec';
import { openDawnGpu, withGpuErrorCheck } from '../../shared/test/gpu/dawnGpu';
import { toPlainPlan, type PageTiming } from './browserPlanTimer';
import { findCc, timeRunnerRuns } from './timing';
import { fastest, type BenchRow } from './benchRow';
import { CHROMIUM_PATH, openChromiumPage } from './chromiumPage';

const run = promisify(execFile);
const ISING_C_SOURCE = fileURLToPath(new URL('./native/ising.c', import.meta.url));
const UNIT = 'flips';

export interface IsingKernelBenchOptions {
  /** Timed runs per engine; the fastest is reported. */
  repeats?: number;
  log?: (line: string) => void;
}

/** The chains every engine runs: ~1-2M attempts each, a second or two on SwiftShader. */
export const ISING_BENCH_SHAPES = [
  { size: 32, temperature: 2.269, burnIn: 100, sweeps: 900 },
  { size: 128, temperature: 2.269, burnIn: 20, sweeps: 100 },
] as const;

function benchTask(shape: (typeof ISING_BENCH_SHAPES)[number]): IsingTask {
  const { size, temperature, burnIn, sweeps } = shape;
  const spec = isingSpecSchema.parse({
    estimator: 'ising-2d',
    params: { size, temperature, burnIn, sweeps },
    chains: 8,
    seed: 2 ** 40 + 12_345,
  });
  return isingEstimator.taskFor(spec, 7);
}

const flipsOf = (task: IsingTask) => isingEstimator.workOf(task);
const label = (task: IsingTask) => `L ${task.size}, ${task.burnIn + task.sweeps} sweeps`;

function check(engine: string, task: IsingTask, got: IsingResult, expected: IsingResult) {
  if (isingEstimator.sameResult(got, expected)) return undefined;
  const text =
    `${engine} (${label(task)}): ${JSON.stringify(got)}, ` +
    `runIsingReference says ${JSON.stringify(expected)}`;
  console.error(`\n!!!!!!!! ISING KERNEL MISMATCH !!!!!!!!\n${text}\n`);
  return `MISMATCH ${text}`;
}

function skipped(name: string, task: IsingTask, why: string): BenchRow {
  return { name, work: flipsOf(task), unit: UNIT, seconds: Number.NaN, note: `skipped: ${why}` };
}

function row(
  name: string,
  task: IsingTask,
  seconds: number[],
  note: string,
  problem: string | undefined,
): BenchRow {
  return {
    name: `${name}, ${label(task)}`,
    work: flipsOf(task),
    unit: UNIT,
    seconds: fastest(seconds),
    note: `${note}; ${problem ? 'MISMATCH' : 'sums = reference'}`,
    ...(problem ? { problem } : {}),
  };
}

async function benchNative(task: IsingTask, expected: IsingResult, repeats: number) {
  const name = 'native C (cc -O3 -march=native)';
  const cc = findCc();
  if (!cc) return skipped(name, task, 'no cc on PATH');
  const dir = await mkdtemp(join(tmpdir(), 'tessera-bench-'));
  try {
    const binary = join(dir, 'ising');
    await run(cc, ['-O3', '-march=native', '-o', binary, ISING_C_SOURCE]);
    const args = [task.seed, task.chain, task.size, task.burnIn, task.sweeps];
    const seconds: number[] = [];
    let problem: string | undefined;
    for (let i = 0; i < repeats; i++) {
      const { stdout } = await run(binary, [...args, task.threshold4, task.threshold8].map(String));
      const [sumAbsM, sumM2, sumE, sumE2, elapsed] = stdout.trim().split(/\s+/).map(Number);
      const got = { ...expected, sumAbsM: sumAbsM!, sumM2: sumM2!, sumE: sumE!, sumE2: sumE2! };
      problem ??= check('native C', task, got, expected);
      seconds.push(elapsed!);
    }
    return row(name, task, seconds, '1 core', problem);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function benchTypeScript(task: IsingTask, repeats: number) {
  // The first run gives the reference answer and warms the JIT; it is not timed.
  const expected = runIsingReference(task);
  const seconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    runIsingReference(task);
    seconds.push((performance.now() - start) / 1000);
  }
  const note = `1 core; node ${process.version}; the reference`;
  return { row: row('TypeScript reference, Node', task, seconds, note, undefined), expected };
}

async function benchDawn(tasks: IsingTask[], expected: IsingResult[], repeats: number) {
  const dawn = await openDawnGpu();
  try {
    const runner = new GpuKernelRunner(dawn.device);
    const rows: BenchRow[] = [];
    for (const [i, task] of tasks.entries()) {
      const plan = isingEstimator.gpuPlan(task);
      const { outputs, seconds } = await withGpuErrorCheck(dawn, () =>
        timeRunnerRuns(runner, plan, repeats),
      );
      let problem: string | undefined;
      for (const output of outputs) {
        problem ??= check('WGSL on Dawn', task, decodeIsingOutput(task, output), expected[i]!);
      }
      const note = `${dawn.adapterName}; ${plan.dispatches.length} dispatches`;
      rows.push(row('WGSL, Dawn in Node', task, seconds, note, problem));
    }
    return rows;
  } finally {
    await dawn.close();
  }
}

async function benchChromium(tasks: IsingTask[], expected: IsingResult[], repeats: number) {
  const name = 'WGSL, headless Chromium WebGPU';
  if (!existsSync(CHROMIUM_PATH)) return tasks.map((t) => skipped(name, t, `no ${CHROMIUM_PATH}`));
  const browser = await openChromiumPage();
  try {
    const url = browser.moduleUrl('scripts/bench/browserPlanTimer.ts');
    const rows: BenchRow[] = [];
    for (const [i, task] of tasks.entries()) {
      const plan = toPlainPlan(isingEstimator.gpuPlan(task));
      // A string, not a function: tsx's __name() wrappers do not exist in the page.
      const timing = (await browser.page.evaluate(
        `import(${JSON.stringify(url)}).then((m) => m.timePlanInPage(${JSON.stringify(plan)}, 1, ${repeats}))`,
      )) as PageTiming;
      let problem: string | undefined;
      for (const output of timing.outputs) {
        const got = decodeIsingOutput(task, Uint32Array.from(output));
        problem ??= check('WGSL in Chromium', task, got, expected[i]!);
      }
      const version = browser.page.context().browser()?.version();
      rows.push(row(name, task, timing.seconds, `${timing.adapter}; chromium ${version}`, problem));
    }
    return rows;
  } finally {
    await browser.close();
  }
}

/** Measures every engine in turn (never in parallel: they would share the same cores). */
export async function benchIsingKernels(options: IsingKernelBenchOptions = {}) {
  const repeats = options.repeats ?? 3;
  const log = options.log ?? (() => {});
  const tasks = ISING_BENCH_SHAPES.map(benchTask);
  const rows: BenchRow[] = [];
  const expected: IsingResult[] = [];
  const natives: BenchRow[] = [];
  for (const task of tasks) {
    log(`ising: TypeScript reference, ${label(task)}`);
    const ts = benchTypeScript(task, repeats);
    expected.push(ts.expected);
    log(`ising: native C, ${label(task)}`);
    const native = await benchNative(task, ts.expected, repeats);
    natives.push(native);
    rows.push(native, ts.row);
  }
  log('ising: WGSL on Dawn');
  rows.push(
    ...(await benchDawn(tasks, expected, repeats).catch((e: unknown) =>
      tasks.map((t) => skipped('WGSL, Dawn in Node', t, String(e))),
    )),
  );
  log('ising: WGSL in headless Chromium');
  rows.push(
    ...(await benchChromium(tasks, expected, repeats).catch((e: unknown) =>
      tasks.map((t) => skipped('WGSL, headless Chromium WebGPU', t, String(e).split('\n')[0]!)),
    )),
  );
  // Each row relative to native C on the same lattice.
  return rows.map((r) => {
    const size = tasks.findIndex((t) => r.name.endsWith(label(t)));
    const baseline = natives[size];
    if (!baseline || !Number.isFinite(baseline.seconds)) return r;
    return { ...r, relative: r.work / r.seconds / (baseline.work / baseline.seconds) };
  });
}
