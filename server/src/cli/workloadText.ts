// Workloads and results in words for a terminal: the detail block of `tessera status ID`, the
// table of `tessera status`, and a summary of a result (an estimate, a WGSL kernel's outputs,
// quantities measured across chains, a trained model).
import {
  gradientResultSchema,
  inferenceResultSchema,
  type GradientWorkloadResult,
  type InferenceWorkloadResult,
  type WorkloadResult,
  type WorkloadView,
} from '@tessera/shared';
import { percent } from './progressBar';
import { textTable, truncate } from './textTable';
import { gradientSummary, trainingParts, trainingProgress } from './trainingText';

const number = new Intl.NumberFormat('en-US');

/** `pi: samples 400,000, seed 5`; a gradient spec opens with `softmax on mnist:`. */
function specWords(view: WorkloadView): string {
  const spec = view.spec as Record<string, unknown>;
  let head: string;
  let rest: Record<string, unknown>;
  if (view.kind === 'gradient') {
    const { model, dataset, ...others } = spec;
    head = `${String(model)} on ${String(dataset)}`;
    rest = others;
  } else {
    const { estimator, ...others } = spec;
    head = String(estimator);
    rest = others;
  }
  const fields = Object.entries(rest).map(([key, value]) => {
    if (typeof value === 'number') {
      // Grouped digits for counts; a fraction (a tolerance of 1e-4) as written, never rounded.
      return `${key} ${Number.isInteger(value) ? number.format(value) : String(value)}`;
    }
    if (typeof value === 'string' && value.includes('\n')) {
      // A kernel's source would bury the line: its size stands in (`tessera status --json` has it).
      return `${key} (${number.format(value.split('\n').length)} lines)`;
    }
    return `${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
  });
  return `${head}: ${fields.join(', ')}`;
}

function progressWords(view: WorkloadView): string {
  const p = view.progress;
  return `${number.format(p.unitsValidated)} / ${number.format(p.unitsTotal)} units validated (${percent(p.fraction)}), ${number.format(p.unitsInFlight)} in flight, ${number.format(p.unitsFailed)} failed`;
}

/** `step 40/80, loss 0.512, accuracy 0.8123; 7,850 parameters`, or why there is none yet. */
function trainingWords(training: GradientWorkloadResult | null): string {
  if (!training) return 'no unit validated yet';
  return `${trainingParts(trainingProgress(training)).join(', ')}; ${number.format(training.parameterCount)} parameters`;
}

/** `Volunteers  2 WebGPU tabs online can run its units`, while a Monte Carlo workload runs. */
function capableRow(view: WorkloadView): Array<[string, string]> {
  const count = view.capableVolunteers;
  if (count === undefined || (view.status !== 'queued' && view.status !== 'running')) return [];
  const kernel = (view.spec as { estimator?: unknown }).estimator === 'wgsl';
  const tabs = `${kernel ? 'WebGPU ' : ''}${count === 1 ? 'tab' : 'tabs'}`;
  return [
    [
      'Volunteers',
      count === 0
        ? `no ${tabs.replace(/s$/, '')} online${kernel ? ' (kernel units run only where WebGPU is)' : ''}: its units wait`
        : `${number.format(count)} ${tabs} online can run its units`,
    ],
  ];
}

/**
 * The detail block; `training` is a gradient workload's result (null while it has none), and
 * undefined for other kinds.
 */
export function workloadDetail(
  view: WorkloadView,
  pageUrl: string,
  training?: GradientWorkloadResult | null,
): string {
  const rows: Array<[string, string]> = [
    ['Workload', `${view.id}  "${view.name}"`],
    ['Status', view.status + (view.failureReason ? ` (${view.failureReason})` : '')],
    ['Progress', progressWords(view)],
    ...(training !== undefined ? [['Training', trainingWords(training)] as [string, string]] : []),
    ...capableRow(view),
    ['Spec', `${view.kind} ${specWords(view)}`],
    [
      'Redundancy',
      `quorum ${view.redundancy.quorum}, max replicas ${view.redundancy.maxReplicas}, max errors ${view.redundancy.maxErrors}${view.redundancy.adaptive ? ', adaptive' : ''}`,
    ],
    ['Created', view.createdAt],
    ['Completed', view.completedAt ?? '-'],
    ['Live view', pageUrl],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}

export function workloadTable(views: readonly WorkloadView[]): string {
  return textTable(
    ['ID', 'NAME', 'STATUS', 'PROGRESS', 'CREATED'],
    views.map((v) => [
      v.id,
      truncate(v.name, 32),
      v.status,
      `${number.format(v.progress.unitsValidated)}/${number.format(v.progress.unitsTotal)} ${percent(v.progress.fraction)}`,
      v.createdAt.replace('T', ' ').slice(0, 19),
    ]),
  );
}

/** What a result is in words, when it is an estimate, a kernel's outputs or a training run. */
export function resultSummary(result: WorkloadResult): string | null {
  if (result.kind === 'gradient') {
    const gradient = gradientResultSchema.safeParse(result);
    return gradient.success ? gradientSummary(gradient.data) : null;
  }
  if (result.kind === 'inference') {
    const inference = inferenceResultSchema.safeParse(result);
    return inference.success ? inferenceSummary(inference.data) : null;
  }
  return outputsSummary(result) ?? estimateSummary(result) ?? quantitiesSummary(result);
}

const isNumber = (x: unknown): x is number => typeof x === 'number';

/** `predicted 70 of 70 rows into 3 classes; accuracy 0.9333 (63 right)`. */
export function inferenceSummary(result: InferenceWorkloadResult): string {
  const rows = `predicted ${number.format(result.rowsPredicted)} of ${number.format(result.rows)} rows into ${result.classes} classes`;
  if (typeof result.accuracy !== 'number') return rows;
  return `${rows}; accuracy ${result.accuracy.toFixed(4)} (${number.format(result.correct ?? 0)} right)`;
}

/**
 * `3.14159 ± 0.00021 (95% CI 3.14118 to 3.14200)`: the value and interval to the decimal
 * place of the standard error's third significant digit (at least two decimals).
 */
export function valueWithError(value: number, stderr: number, ci95: unknown): string {
  const digits = stderr > 0 ? Math.max(2, 2 - Math.floor(Math.log10(stderr))) : 6;
  const fixed = (x: number) => x.toFixed(Math.min(digits, 12));
  const interval =
    Array.isArray(ci95) && isNumber(ci95[0]) && isNumber(ci95[1])
      ? ` (95% CI ${fixed(ci95[0])} to ${fixed(ci95[1])})`
      : '';
  return `${fixed(value)} ± ${fixed(stderr)}${interval}`;
}

/** `estimate 3.14159 ± 0.00021 (95% CI 3.14118 to 3.14200), 1,000,000 samples`, when it is one. */
export function estimateSummary(result: WorkloadResult): string | null {
  const { estimate, stderr, ci95, samples } = result as Record<string, unknown>;
  if (!isNumber(estimate) || !isNumber(stderr)) return null;
  const count = isNumber(samples) ? `, ${number.format(samples)} samples` : '';
  return `estimate ${valueWithError(estimate, stderr, ci95)}${count}`;
}

/**
 * A WGSL kernel's answer (`{ outputs: { name: { mean, stderr, ci95, rejected } }, samples }`),
 * one output a line, names aligned, then the sample count:
 *   hit    mean 0.785412 ± 0.000411 (95% CI 0.784606 to 0.786218)
 *   steps  mean 12.3141 ± 0.0123 (95% CI 12.2900 to 12.3382), 3 samples rejected
 *   100,000,000 samples
 */
export function outputsSummary(result: WorkloadResult): string | null {
  const { outputs, samples } = result as Record<string, unknown>;
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) return null;
  const entries = Object.entries(outputs as Record<string, unknown>);
  if (entries.length === 0) return null;
  const width = Math.max(...entries.map(([name]) => name.length));
  const lines = entries.map(([name, value]) => {
    const { mean, stderr, ci95, rejected } = (value ?? {}) as Record<string, unknown>;
    const figures =
      isNumber(mean) && isNumber(stderr)
        ? `mean ${valueWithError(mean, stderr, ci95)}`
        : `mean ${isNumber(mean) ? String(mean) : '-'}`;
    const dropped =
      isNumber(rejected) && rejected > 0
        ? `, ${number.format(rejected)} ${rejected === 1 ? 'sample' : 'samples'} rejected`
        : '';
    return `${name.padEnd(width)}  ${figures}${dropped}`;
  });
  if (isNumber(samples)) lines.push(`${number.format(samples)} samples`);
  return lines.join('\n');
}

/**
 * Quantities measured across chains or runs, each `{ mean, stderr }` at the top of the result
 * (the Ising model's magnetization, energy...), one a line, then the chain count:
 *   magnetization  mean 0.91234 ± 0.00121
 *   energy         mean -1.74520 (no standard error yet)
 *   8 chains
 */
export function quantitiesSummary(result: WorkloadResult): string | null {
  const entries = Object.entries(result as Record<string, unknown>).flatMap(([name, value]) => {
    if (typeof value !== 'object' || value === null || !('mean' in value)) return [];
    const { mean, stderr, ci95 } = value as Record<string, unknown>;
    return mean === null || isNumber(mean) ? [{ name, mean, stderr, ci95 }] : [];
  });
  if (entries.length === 0) return null;
  const width = Math.max(...entries.map(({ name }) => name.length));
  const lines = entries.map(({ name, mean, stderr, ci95 }) => {
    const figures =
      mean === null
        ? 'not measured yet'
        : isNumber(stderr)
          ? `mean ${valueWithError(mean, stderr, ci95)}`
          : `mean ${mean.toPrecision(6)} (no standard error yet)`;
    return `${name.padEnd(width)}  ${figures}`;
  });
  const { chains } = result as Record<string, unknown>;
  if (isNumber(chains)) lines.push(`${number.format(chains)} ${chains === 1 ? 'chain' : 'chains'}`);
  return lines.join('\n');
}
