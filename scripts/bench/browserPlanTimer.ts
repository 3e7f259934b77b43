// Runs inside headless Chromium (served, transpiled, by chromiumPage.ts): times a GpuPlan with
// the same GpuKernelRunner a volunteer's tab uses, so the browser figure measures the browser's
// WebGPU, not a different driver loop. Plans arrive as plain JSON (no typed arrays).
import { GpuKernelRunner } from '../../shared/src/gpu/gpuKernelRunner';
import type { GpuPlan } from '../../shared/src/kinds/estimator';

export interface PlainGpuPlan {
  code: string;
  entryPoint: string;
  outputWords: number;
  dispatches: Array<{ params: number[]; workgroups: number }>;
  storageWords?: number[];
  dispatchesPerSubmit?: number;
}

/** A plan as JSON can carry it into the page: typed arrays become plain arrays. */
export function toPlainPlan(plan: GpuPlan): PlainGpuPlan {
  return {
    code: plan.code,
    entryPoint: plan.entryPoint,
    outputWords: plan.outputWords,
    dispatches: plan.dispatches.map((d) => ({
      params: Array.from(d.params),
      workgroups: d.workgroups,
    })),
    ...(plan.storageWords ? { storageWords: [...plan.storageWords] } : {}),
    ...(plan.dispatchesPerSubmit ? { dispatchesPerSubmit: plan.dispatchesPerSubmit } : {}),
  };
}

export interface PageTiming {
  adapter: string;
  /** Seconds per timed run, measured with performance.now() around runner.run(). */
  seconds: number[];
  /** Output words of every run, warm-up first, so the caller can check each answer. */
  outputs: number[][];
}

let runner: Promise<GpuKernelRunner> | undefined;

async function openRunner(): Promise<GpuKernelRunner> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter in this page (flags, secure context?)');
  return new GpuKernelRunner(await adapter.requestDevice());
}

export async function timePlanInPage(
  plain: PlainGpuPlan,
  warmups: number,
  repeats: number,
): Promise<PageTiming> {
  runner ??= openRunner();
  const gpu = await runner;
  const plan: GpuPlan = {
    ...plain,
    dispatches: plain.dispatches.map((d) => ({
      params: Uint32Array.from(d.params),
      workgroups: d.workgroups,
    })),
  };
  const outputs: number[][] = [];
  const seconds: number[] = [];
  // Warm-up runs compile the pipeline and wake SwiftShader's threads; they are not timed.
  for (let i = 0; i < warmups; i++) outputs.push(Array.from(await gpu.run(plan)));
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const output = await gpu.run(plan);
    seconds.push((performance.now() - start) / 1000);
    outputs.push(Array.from(output));
  }
  const info = (await navigator.gpu.requestAdapter())?.info;
  return {
    adapter: info ? `${info.vendor} ${info.architecture}`.trim() : 'unknown',
    seconds,
    outputs,
  };
}
