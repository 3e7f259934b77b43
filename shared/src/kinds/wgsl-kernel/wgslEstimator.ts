// The `wgsl` estimator: the mean of each value a researcher's own `fn sample() -> array<f32, K>`
// returns, over a workload's samples. Units are fixed slices of one sample stream and return
// exact integer sums (fixed point, 32 fraction bits) of each value and its square, so replicas
// agree bit for bit and the answer depends only on the spec, never on who computed which unit.
// There is no TypeScript reference: units run on WebGPU only ([L10]), the coordinator's own
// ones on Dawn (server/src/kinds/montecarlo/wgsl/kernelLab.ts).
import { resultsAgree, toleranceFor } from './wgslTolerance';
import type { EstimatorDefinition, GpuDispatch, GpuPlan } from '../estimator';
import {
  MC_WORKGROUP_SIZE,
  sampleRangeBlocks,
  sampleRangeOf,
  sampleRangeUnitCount,
} from '../estimator';
import { splitUint53 } from '../../rng/philox';
import { WGSL_WORDS_PER_OUTPUT, decodeOutputWords } from './wgslFixedPoint';
import { WGSL_ENTRY_POINT, harnessSource } from './wgslHarness';
import {
  wgslAggregateSchema,
  wgslResultSchema,
  wgslSpecSchema,
  wgslTaskSchema,
  type WgslAggregate,
  type WgslEstimate,
  type WgslOutputEstimate,
  type WgslOutputSums,
  type WgslResult,
  type WgslSpec,
  type WgslTask,
} from './wgslSpec';
import { WGSL_STREAM } from './wgslStream';

/**
 * Samples per invocation, at most: an invocation's fixed costs (two barriers, flushing 9K
 * words) are then a small share of its work (on SwiftShader 8 samples per invocation cost
 * twice the time of 128 for a light kernel).
 */
export const WGSL_MAX_SAMPLES_PER_INVOCATION = 64;
/**
 * Fewer samples per invocation when a dispatch is small, so it still has about this many
 * invocations to spread over a GPU's cores (heavy kernels get small units, where per-sample
 * work dwarfs the fixed costs anyway).
 */
export const WGSL_MIN_INVOCATIONS_PER_DISPATCH = 2 ** 15;
/** A unit runs in about this many dispatches, so each is a fraction of its ~2 s. */
export const WGSL_DISPATCHES_PER_UNIT = 8;
/** Below this, one dispatch: a submit costs more than such a slice computes. */
export const WGSL_MIN_SAMPLES_PER_DISPATCH = 2 ** 13;
const Z95 = 1.959963984540054;
const TWO_32 = 2 ** 32;
/** The largest fixed-point magnitude of a value (below 2^63) and of its square (below 2^94). */
const MAX_VALUE = (1n << 63n) - 1n;
const MAX_SQUARE = (1n << 94n) - 1n;

/**
 * The unit's dispatches: about an eighth of the unit each, in whole workgroups. `layout` is
 * for tests only (crossing dispatch boundaries with small units, many samples per invocation
 * in small dispatches); volunteers always use the defaults. The sums do not depend on it.
 */
export function wgslGpuPlan(
  task: WgslTask,
  layout: { samplesPerDispatch?: number; samplesPerInvocation?: number } = {},
): GpuPlan {
  const perDispatch =
    layout.samplesPerDispatch ??
    Math.max(
      WGSL_MIN_SAMPLES_PER_DISPATCH,
      Math.ceil(task.count / WGSL_DISPATCHES_PER_UNIT / MC_WORKGROUP_SIZE) * MC_WORKGROUP_SIZE,
    );
  const perInvocation =
    layout.samplesPerInvocation ??
    Math.min(
      WGSL_MAX_SAMPLES_PER_INVOCATION,
      Math.max(1, Math.floor(perDispatch / WGSL_MIN_INVOCATIONS_PER_DISPATCH)),
    );
  const perWorkgroup = MC_WORKGROUP_SIZE * perInvocation;
  const [seedLo, seedHi] = splitUint53(task.seed);
  const dispatches: GpuDispatch[] = [];
  for (let done = 0; done < task.count; done += perDispatch) {
    const count = Math.min(perDispatch, task.count - done);
    const [firstLo, firstHi] = splitUint53(task.start + done);
    dispatches.push({
      params: Uint32Array.of(seedLo, seedHi, firstLo, firstHi, count, perInvocation, 0, 0),
      workgroups: Math.ceil(count / perWorkgroup),
    });
  }
  return {
    code: harnessSource(task.source, task.outputs.length),
    entryPoint: WGSL_ENTRY_POINT,
    outputWords: task.outputs.length * WGSL_WORDS_PER_OUTPUT,
    dispatches,
  };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/** Output sums added (sign +1) or taken out (sign -1), exactly. */
function combine(a: WgslOutputSums, b: WgslOutputSums, sign: 1n | -1n): WgslOutputSums {
  return {
    sum: (BigInt(a.sum) + sign * BigInt(b.sum)).toString(),
    sumSquares: (BigInt(a.sumSquares) + sign * BigInt(b.sumSquares)).toString(),
    rejected: a.rejected + Number(sign) * b.rejected,
  };
}

/** Why one output's sums cannot come from `samples` samples, or null. */
function sumsImplausibility(name: string, samples: number, sums: WgslOutputSums): string | null {
  if (sums.rejected > samples) return `output ${name}: more rejected values than samples`;
  const n = BigInt(samples - sums.rejected);
  const sum = BigInt(sums.sum);
  const squares = BigInt(sums.sumSquares);
  if (sum > n * MAX_VALUE || -sum > n * MAX_VALUE) {
    return `output ${name}: |sum| above accepted samples * 2^63`;
  }
  if (squares > n * MAX_SQUARE) return `output ${name}: sum of squares above samples * 2^94`;
  // Each a = trunc(x 2^32) has a^2 <= x^2 2^64 < (trunc(x^2 2^32) + 1) 2^32, and
  // (sum a)^2 <= n sum a^2 (Cauchy-Schwarz).
  if (sum * sum > n * (squares + n) * (1n << 32n)) {
    return `output ${name}: sum of squares below (sum)^2 / samples`;
  }
  return null;
}

/** One output's mean, standard error and 95% interval from its exact sums. */
export function outputEstimate(samples: number, sums: WgslOutputSums): WgslOutputEstimate {
  const n = samples - sums.rejected;
  const rejected = sums.rejected;
  if (n <= 0) {
    return {
      mean: 0,
      stderr: Number.POSITIVE_INFINITY,
      ci95: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
      rejected,
    };
  }
  const sum = BigInt(sums.sum);
  const mean = Number(sum) / TWO_32 / n;
  // n S2 2^32 - S1^2 = n^2 var 2^64 exactly (up to the truncations, hence the clamp at 0).
  const spread = BigInt(n) * BigInt(sums.sumSquares) * (1n << 32n) - sum * sum;
  const variance = spread > 0n ? Number(spread) / TWO_32 / TWO_32 / n / Math.max(1, n - 1) : 0;
  const stderr = n > 1 ? Math.sqrt(variance / n) : Number.POSITIVE_INFINITY;
  const half = Z95 * stderr;
  return { mean, stderr, ci95: [mean - half, mean + half], rejected };
}

function emptyAggregate(): WgslAggregate {
  return { samples: 0, names: [], outputs: [], units: 0 };
}

export const wgslEstimator: EstimatorDefinition<
  WgslSpec,
  WgslTask,
  WgslResult,
  WgslAggregate,
  WgslEstimate
> = {
  estimator: 'wgsl',
  stream: WGSL_STREAM,
  specSchema: wgslSpecSchema,
  taskSchema: wgslTaskSchema,
  resultSchema: wgslResultSchema,
  aggregateSchema: wgslAggregateSchema,
  requiresGpu: true,

  unitCount: sampleRangeUnitCount,
  taskFor(spec, unitIndex) {
    const range = sampleRangeOf(spec, unitIndex);
    return { seed: spec.seed, ...range, source: spec.source, outputs: spec.outputs };
  },
  workOf(task) {
    return task.count;
  },
  runReference() {
    throw new Error('WGSL kernels run on WebGPU only; the coordinator runs them on Dawn');
  },
  gpuPlan(task) {
    return wgslGpuPlan(task);
  },
  decodeGpuOutput(task, output) {
    return {
      samples: task.count,
      names: [...task.outputs],
      outputs: task.outputs.map((_, k) => decodeOutputWords(output, k * WGSL_WORDS_PER_OUTPUT)),
    };
  },
  implausibility(task, result) {
    if (result.samples !== task.count) {
      return `result covers ${result.samples} samples, the unit has ${task.count}`;
    }
    if (!sameNames(result.names, task.outputs)) return 'result names other outputs than the task';
    if (result.outputs.length !== task.outputs.length) return 'result has the wrong output count';
    for (let k = 0; k < result.outputs.length; k++) {
      const problem = sumsImplausibility(task.outputs[k]!, result.samples, result.outputs[k]!);
      if (problem !== null) return problem;
    }
    return null;
  },
  sameResult(a, b) {
    // Bit for bit: what every comparison is at tolerance 0.
    return resultsAgree(0, a, b);
  },
  agree(spec, a, b) {
    return resultsAgree(toleranceFor(spec), a, b);
  },
  emptyAggregate,
  fold(aggregate, result) {
    const outputs =
      aggregate.units === 0
        ? result.outputs.map((sums) => ({ ...sums }))
        : aggregate.outputs.map((sums, k) => combine(sums, result.outputs[k]!, 1n));
    return {
      samples: aggregate.samples + result.samples,
      names: aggregate.units === 0 ? [...result.names] : aggregate.names,
      outputs,
      units: aggregate.units + 1,
    };
  },
  unfold(aggregate, result) {
    const units = aggregate.units - 1;
    if (units === 0) return emptyAggregate();
    return {
      samples: aggregate.samples - result.samples,
      names: aggregate.names,
      outputs: aggregate.outputs.map((sums, k) => combine(sums, result.outputs[k]!, -1n)),
      units,
    };
  },
  finalize(aggregate) {
    // fromEntries defines properties, so an output named __proto__ is just a name.
    const outputs: Record<string, WgslOutputEstimate> = Object.fromEntries(
      aggregate.names.map((name, k) => [
        name,
        outputEstimate(aggregate.samples, aggregate.outputs[k]!),
      ]),
    );
    return { outputs, samples: aggregate.samples };
  },
  blockTasks(task) {
    return sampleRangeBlocks(task, 1);
  },
  addResults(a, b) {
    return {
      samples: a.samples + b.samples,
      names: a.names,
      outputs: a.outputs.map((sums, k) => combine(sums, b.outputs[k]!, 1n)),
    };
  },
};
