// Runs one parsed unit task on the tab's backend and returns the estimator's result with the
// time the device was busy on it. On WebGPU every run sits inside error scopes, because WebGPU
// reports a broken kernel as an error event rather than a throw, and races the device's loss,
// because a lost device may otherwise leave the readback waiting forever; the throttle rests
// between dispatches and that rest is not counted as busy time. On the CPU it is the
// estimator's TypeScript reference, on the lane's compute worker where there is one. A unit
// whose estimator cuts it into blocks runs block by block, and its result carries each block's
// result beside the totals, for the coordinator's sub-range spot checks (SPEC R9).
import { runInBlocks } from '@tessera/shared/kinds/blockResults';
import type { AnyEstimator } from '@tessera/shared/kinds/estimator';
import type { ComputeBackend, WebGpuBackend } from './computeBackend';
import type { CpuWorkerPool } from './cpuWorkerPool';
import type { DutyCycle } from './dutyCycle';
import { DeviceLostError, UnitAbandonedError } from './volunteerErrors';

/** How long a failed GPU run waits for device.lost to settle before blaming the kernel. */
const LOSS_SETTLE_MS = 100;
const ERROR_SCOPES: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];

export interface UnitRun {
  result: unknown;
  /** Milliseconds the device worked on the unit, throttle rests excluded. */
  busyMs: number;
}

export interface RunUnitOptions {
  /** Rests between GPU dispatches; without it the GPU runs flat out. */
  dutyCycle?: DutyCycle;
  /** The lane's CPU compute worker; without it the reference runs on this thread. */
  cpu?: { pool: CpuWorkerPool; slot: number };
}

export async function runUnit(
  backend: ComputeBackend,
  estimator: AnyEstimator,
  task: unknown,
  signal: AbortSignal,
  options: RunUnitOptions = {},
): Promise<UnitRun> {
  const { result, runs } = await runInBlocks(estimator, task, (part) =>
    runTask(backend, estimator, part, signal, options),
  );
  return { result, busyMs: runs.reduce((sum, run) => sum + run.busyMs, 0) };
}

/** One task (a whole unit, or one of its blocks) on the tab's backend. */
async function runTask(
  backend: ComputeBackend,
  estimator: AnyEstimator,
  task: unknown,
  signal: AbortSignal,
  options: RunUnitOptions,
): Promise<UnitRun> {
  throwIfAborted(signal);
  switch (backend.kind) {
    case 'webgpu':
      return runOnGpu(backend, estimator, task, signal, options.dutyCycle);
    case 'cpu': {
      if (estimator.requiresGpu) {
        throw new Error(`${estimator.estimator} units run on WebGPU only, and this tab has none`);
      }
      if (options.cpu) {
        return options.cpu.pool.run(options.cpu.slot, estimator.estimator, task, signal);
      }
      // Let queued messages (stop, lease renewals, pushes) through before the synchronous
      // reference holds the worker's thread for the length of the unit.
      await new Promise((resolve) => setTimeout(resolve, 0));
      throwIfAborted(signal);
      const started = performance.now();
      const result = estimator.runReference(task);
      return { result, busyMs: performance.now() - started };
    }
  }
}

async function runOnGpu(
  backend: WebGpuBackend,
  estimator: AnyEstimator,
  task: unknown,
  signal: AbortSignal,
  dutyCycle: DutyCycle | undefined,
): Promise<UnitRun> {
  const { device, runner } = backend;
  const lost = backend.lost.then((info): never => {
    throw deviceLost(info);
  });
  const plan = estimator.gpuPlan(task);
  for (const filter of ERROR_SCOPES) device.pushErrorScope(filter);
  const started = performance.now();
  let busySince = started;
  let restedMs = 0;
  const running = runner.run(plan, {
    // Between dispatches is the one place a GPU unit can be given up without waiting for it,
    // and where the throttle rests: the dispatch just completed is the busy stretch.
    afterDispatch: async () => {
      throwIfAborted(signal);
      if (!dutyCycle) return;
      restedMs += await dutyCycle.rest(performance.now() - busySince, signal);
      busySince = performance.now();
    },
  });
  // When the loss wins the race, the run's own late rejection has nobody else to hear it.
  running.catch(() => undefined);
  let output: Uint32Array;
  try {
    output = await Promise.race([running, lost]);
  } catch (error) {
    await popScopes(device);
    if (error instanceof UnitAbandonedError || error instanceof DeviceLostError) throw error;
    const lossInfo = await Promise.race([
      backend.lost,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), LOSS_SETTLE_MS)),
    ]);
    if (lossInfo) throw deviceLost(lossInfo);
    throw error;
  }
  const scopeError = await popScopes(device);
  if (scopeError) {
    throw new Error(`the GPU rejected the kernel: ${scopeError.message}`);
  }
  const busyMs = Math.max(0, performance.now() - started - restedMs);
  return { result: estimator.decodeGpuOutput(task, output), busyMs };
}

/** Pops every scope pushed for a run (innermost first) and returns the first error seen. */
async function popScopes(device: GPUDevice): Promise<GPUError | null> {
  let first: GPUError | null = null;
  for (let i = 0; i < ERROR_SCOPES.length; i++) {
    try {
      const error = await device.popErrorScope();
      first ??= error;
    } catch {
      // A lost device may refuse to pop; the loss itself is reported instead.
    }
  }
  return first;
}

function deviceLost(info: GPUDeviceLostInfo): DeviceLostError {
  const detail = info.message ? `: ${info.message}` : '';
  return new DeviceLostError(`the GPU device was lost (${info.reason}${detail})`);
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new UnitAbandonedError('unit dropped');
  }
}
