// Timing helpers every kernel section shares.
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { GradientGpu } from '../../shared/src/gpu/gradientGpu';
import type { GpuKernelRunner } from '../../shared/src/gpu/gpuKernelRunner';
import type { ModelConfig } from '../../shared/src/kinds/gradient/gradientModel';
import type { GpuPlan } from '../../shared/src/kinds/estimator';
import { withGpuErrorCheck, type DawnGpu } from '../../shared/test/gpu/dawnGpu';
import { fastest } from './benchRow';

/** Runs `run` once untimed (JIT warm-up, reference answer), then `repeats` times timed. */
export function timeFastest<T>(run: () => T, repeats: number): { first: T; seconds: number } {
  const first = run();
  const seconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    seconds.push((performance.now() - start) / 1000);
  }
  return { first, seconds: fastest(seconds) };
}

/** timeFastest for work that completes asynchronously (a GPU unit); `last` is the last answer. */
export async function timeFastestAsync<T>(
  run: () => Promise<T>,
  repeats: number,
): Promise<{ last: T; seconds: number }> {
  let last = await run();
  const seconds: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    last = await run();
    seconds.push((performance.now() - start) / 1000);
  }
  return { last, seconds: fastest(seconds) };
}

/**
 * `run` on a fresh GradientGpu for `config` on Dawn, timed as timeFastestAsync times it, after
 * one more untimed run: the runner's first run compiles the pipelines (once per device, ever),
 * not throughput; `setup` is the seconds from the runner's creation to that run's end. A GPU
 * error (validation, out of memory) fails it.
 */
export async function timeOnGradientGpu<T>(
  dawn: DawnGpu,
  config: ModelConfig,
  maxBatch: number,
  run: (gpu: GradientGpu) => Promise<T>,
  repeats: number,
): Promise<{ last: T; seconds: number; setup: number }> {
  const start = performance.now();
  const gpu = new GradientGpu(dawn.device, config, { maxBatch });
  const timed = await withGpuErrorCheck(dawn, async () => {
    await run(gpu);
    const setup = (performance.now() - start) / 1000;
    return { ...(await timeFastestAsync(() => run(gpu), repeats)), setup };
  });
  await gpu.destroy();
  return timed;
}

/**
 * CPU seconds the main thread has used (Linux /proc; undefined elsewhere). While a map is
 * pending, dawn.node pumps its events with setImmediate, a busy loop on this thread
 * (dawn-gpu/node-webgpu#17): on a 2-core machine that takes a core from SwiftShader, which is
 * likely why Dawn rows trail Chromium rows. The notes show how busy.
 */
export function mainThreadCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * One untimed warm-up run (it compiles the pipeline: a once-per-tab cost, not throughput), then
 * `repeats` timed runs of `plan`, every output kept so the caller can check each answer, and the
 * share of the timed wall time the Node main thread spent busy (see mainThreadCpuSeconds).
 */
export async function timeRunnerRuns(
  runner: GpuKernelRunner,
  plan: GpuPlan,
  repeats: number,
): Promise<{ outputs: Uint32Array[]; seconds: number[]; spin: number | undefined }> {
  const outputs = [await runner.run(plan)];
  const seconds: number[] = [];
  const cpuBefore = mainThreadCpuSeconds();
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    outputs.push(await runner.run(plan));
    seconds.push((performance.now() - start) / 1000);
  }
  const cpuAfter = mainThreadCpuSeconds();
  const spin =
    cpuBefore === undefined || cpuAfter === undefined
      ? undefined
      : (cpuAfter - cpuBefore) / seconds.reduce((a, b) => a + b, 0);
  return { outputs, seconds, spin };
}

/** The note fragment for the main thread's busy share, or nothing where it is unknown. */
export function spinNote(spin: number | undefined): string {
  return spin === undefined
    ? ''
    : `node main thread busy ${Math.round(spin * 100)}% while waiting; `;
}

/** The C compiler the native baselines are built with: `cc` on PATH, or undefined. */
export function findCc(): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'cc'))
    .find((path) => existsSync(path));
}
