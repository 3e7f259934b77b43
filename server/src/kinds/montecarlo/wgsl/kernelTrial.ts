// What the kernel lab's child does with a researcher's kernel, on its Dawn device: compile it
// in the harness (the compiler's messages mapped onto the researcher's own lines), then a
// short trial run, twice on the same samples (the sums must be bit-identical) and once more,
// longer, to time it. A value that is NaN, infinite or >= 2^31 in magnitude in the trial
// refuses the kernel, naming the output. A kernel that never finishes never returns from here:
// the parent's deadline (kernelLab.ts) kills the whole process.
import { GpuKernelRunner } from '@tessera/shared/gpu/gpuKernelRunner';
import type { GpuPlan } from '@tessera/shared/kinds/estimator';
import {
  WGSL_MAX_SAMPLES_PER_INVOCATION,
  wgslEstimator,
  wgslGpuPlan,
} from '@tessera/shared/kinds/wgsl-kernel/wgslEstimator';
import { mapHarnessLine } from '@tessera/shared/kinds/wgsl-kernel/wgslHarness';
import type { WgslResult, WgslTask } from '@tessera/shared/kinds/wgsl-kernel/wgslSpec';
import { withErrorScopes, type LabDevice } from './labDawn';
import type { KernelProblem, TrialOutcome } from './labMessages';

/** The timing runs stop growing here (SwiftShader runs this many in about a second or less). */
export const MAX_TIMING_SAMPLES = 2 ** 22;
/** How a full-size unit runs (many samples per invocation), which the timing runs imitate. */
const TIMING_LAYOUT = { samplesPerInvocation: WGSL_MAX_SAMPLES_PER_INVOCATION };

const HARNESS_HINT =
  'a kernel must not redeclare names the harness uses (WGSL built-ins such as select, min, ' +
  'vec4, f32, storage)';

/** One compiler message at harness line `line`, column `column`, as the researcher's problem. */
function problemAt(line: number, column: number, message: string, source: string): KernelProblem {
  const own = line > 0 ? mapHarnessLine(line, source) : null;
  if (own !== null) return { line: own, column: Math.max(1, column), message };
  const where = line > 0 ? ` (line ${line} of the harness around the kernel)` : '';
  return { line: null, column: null, message: `${message}${where}: ${HARNESS_HINT}` };
}

/** The errors among a shader module's compilation messages. */
export function compileProblems(
  messages: readonly GPUCompilationMessage[],
  source: string,
): KernelProblem[] {
  return messages
    .filter((m) => m.type === 'error')
    .map((m) => problemAt(m.lineNum, m.linePos, m.message, source));
}

/** Errors an error scope caught ("...:72:7 error: ... - While calling ..."), as problems. */
export function scopedProblems(errors: readonly string[], source: string): KernelProblem[] {
  return errors.flatMap((text) => {
    const located = [...text.matchAll(/:(\d+):(\d+) error: ([^\n]*)/g)];
    if (located.length > 0) {
      return located.map((m) => problemAt(Number(m[1]), Number(m[2]), m[3]!.trim(), source));
    }
    return [{ line: null, column: null, message: text.split('\n')[0]!.trim() }];
  });
}

/** Compiles the kernel in the harness; the problems, none when it compiled. */
export async function compileKernel(
  lab: LabDevice,
  runner: GpuKernelRunner,
  plan: GpuPlan,
  source: string,
): Promise<KernelProblem[]> {
  const module = lab.device.createShaderModule({ code: plan.code });
  const problems = compileProblems((await module.getCompilationInfo()).messages, source);
  if (problems.length > 0) return problems;
  const { errors } = await withErrorScopes(lab.device, () => runner.prepare(plan));
  return scopedProblems(errors, source);
}

/** Runs a task on the lab's device: its result and wall time, or the GPU's errors. */
export async function runTask(
  lab: LabDevice,
  runner: GpuKernelRunner,
  task: WgslTask,
  layout?: Parameters<typeof wgslGpuPlan>[1],
): Promise<{ result: WgslResult; seconds: number } | { errors: string[] }> {
  const started = performance.now();
  const { value, errors } = await withErrorScopes(lab.device, () =>
    runner.run(wgslGpuPlan(task, layout)),
  );
  if (errors.length > 0 || value === undefined) return { errors };
  const seconds = (performance.now() - started) / 1000;
  return { result: wgslEstimator.decodeGpuOutput(task, value), seconds };
}

/** Outputs that had NaN, infinite or too-large values in `result`, one problem each. */
function rejectionProblems(result: WgslResult): KernelProblem[] {
  return result.outputs.flatMap((sums, k) =>
    sums.rejected === 0
      ? []
      : [
          {
            line: null,
            column: null,
            message:
              `output "${result.names[k]}" was NaN, infinite or at least 2^31 in magnitude in ` +
              `${sums.rejected} of ${result.samples} trial samples: return finite values below 2^31`,
          },
        ],
  );
}

export interface TrialRequest {
  source: string;
  outputs: readonly string[];
  seed: number;
  trialSamples: number;
  timingSeconds: number;
}

/**
 * The trial of a compiled kernel: the first `trialSamples` samples of the workload twice
 * (identical sums required), then, when that was quick, the next samples in runs growing to
 * about `timingSeconds` to measure the cost per sample.
 */
export async function trialRun(
  lab: LabDevice,
  runner: GpuKernelRunner,
  request: TrialRequest,
): Promise<TrialOutcome> {
  const { source, seed, trialSamples } = request;
  const task: WgslTask = {
    seed,
    start: 0,
    count: trialSamples,
    source,
    outputs: [...request.outputs],
  };
  const first = await runTask(lab, runner, task);
  if ('errors' in first) return { ok: false, problems: scopedProblems(first.errors, source) };
  const second = await runTask(lab, runner, task);
  if ('errors' in second) return { ok: false, problems: scopedProblems(second.errors, source) };
  if (!wgslEstimator.sameResult(first.result, second.result)) {
    const message =
      `not deterministic: two runs of the same ${trialSamples} trial samples gave different ` +
      'sums; a sample must depend only on its own random stream';
    return { ok: false, problems: [{ line: null, column: null, message }] };
  }
  let problems = rejectionProblems(first.result);
  if (problems.length > 0) return { ok: false, problems };

  // Timing: fresh samples in runs that grow until one lasts about timingSeconds, so the fixed
  // cost of a run (submit, readback: milliseconds) stops mattering; as many samples per
  // invocation as a full-size unit gets on a GPU.
  let { seconds } = second;
  let count = trialSamples;
  while (seconds < request.timingSeconds / 2 && count < MAX_TIMING_SAMPLES) {
    const growth = Math.min(16, Math.max(2, request.timingSeconds / Math.max(seconds, 1e-4)));
    count = Math.min(MAX_TIMING_SAMPLES, Math.ceil((count * growth) / 64) * 64);
    const timing = await runTask(
      lab,
      runner,
      { ...task, start: trialSamples, count },
      TIMING_LAYOUT,
    );
    if ('errors' in timing) return { ok: false, problems: scopedProblems(timing.errors, source) };
    problems = rejectionProblems(timing.result);
    if (problems.length > 0) return { ok: false, problems };
    seconds = timing.seconds;
  }
  const nsPerSample = (seconds * 1e9) / count;
  return { ok: true, nsPerSample: Math.max(nsPerSample, 1e-3), adapter: lab.adapterName };
}
