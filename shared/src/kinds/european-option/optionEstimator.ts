// The `european-option` estimator: the discounted expected payoff of a European call or put
// under geometric Brownian motion, S_T = S0 exp((r - sigma^2/2) T + sigma sqrt(T) Z), by Monte
// Carlo. Units are fixed slices of one sample stream and return exact integer sums of the
// payoff and its square, so replicas agree bit for bit on any GPU or CPU and the answer depends
// only on the spec, never on who computed which unit or in what order results arrived.
import type { EstimatorDefinition, GpuPlan } from '../estimator';
import {
  pairRangeDispatches,
  sampleRangeBlocks,
  sampleRangeOf,
  sampleRangeUnitCount,
} from '../estimator';
import { OPTION_OUTPUT_WORDS, OPTION_SUM_WORDS, optionWgsl } from './option.wgsl';
import { optionConstants } from './optionConstants';
import {
  OPTION_STREAM,
  PAYOFF_BITS,
  PAYOFF_FRACTION_BITS,
  runOptionReference,
} from './optionReference';
import {
  optionAggregateSchema,
  optionResultSchema,
  optionSpecSchema,
  optionTaskSchema,
  type OptionAggregate,
  type OptionEstimate,
  type OptionParams,
  type OptionResult,
  type OptionSpec,
  type OptionTask,
} from './optionSpec';

/** 2^17 blocks (2^18 samples) per dispatch: a few ms on a GPU, under a second on SwiftShader. */
export const OPTION_MAX_BLOCKS_PER_DISPATCH = 2 ** 17;
export const OPTION_BLOCKS_PER_INVOCATION = 8;
const Z95 = 1.959963984540054;

/**
 * The unit's dispatches: blocksPerDispatch is a parameter only so that tests can cross
 * dispatch boundaries with small units; volunteers always use the default.
 */
export function optionGpuPlan(
  task: OptionTask,
  blocksPerDispatch: number = OPTION_MAX_BLOCKS_PER_DISPATCH,
): GpuPlan {
  const k = optionConstants(task.params);
  // Two normal draws (a Box-Muller block) per pair of samples; then the option's constants.
  const dispatches = pairRangeDispatches(task, blocksPerDispatch, OPTION_BLOCKS_PER_INVOCATION, [
    k.put ? 1 : 0,
    k.driftLo,
    k.driftHi,
    k.volMantissa,
    k.volShift,
    k.strikeLo,
    k.strikeHi,
    0,
    0,
  ]);
  return { code: optionWgsl, entryPoint: 'main', outputWords: OPTION_OUTPUT_WORDS, dispatches };
}

/** The little-endian multiword integer in words [from, to) of the kernel's output. */
function wordsToBigInt(output: Uint32Array, from: number, to: number): bigint {
  let value = 0n;
  for (let i = to - 1; i >= from; i--) value = (value << 32n) + BigInt(output[i] ?? 0);
  return value;
}

function sameParams(a: OptionParams, b: OptionParams): boolean {
  return (
    a.spot === b.spot &&
    a.strike === b.strike &&
    a.rate === b.rate &&
    a.volatility === b.volatility &&
    a.maturity === b.maturity &&
    a.type === b.type
  );
}

/** The largest payoff a sample of this task can have, in payoff units. */
function payoffBound(params: OptionParams): bigint {
  if (params.type === 'call') return 1n << BigInt(PAYOFF_BITS);
  const k = optionConstants(params);
  return (BigInt(k.strikeHi) << 32n) + BigInt(k.strikeLo);
}

export const optionEstimator: EstimatorDefinition<
  OptionSpec,
  OptionTask,
  OptionResult,
  OptionAggregate,
  OptionEstimate
> = {
  estimator: 'european-option',
  stream: OPTION_STREAM,
  specSchema: optionSpecSchema,
  taskSchema: optionTaskSchema,
  resultSchema: optionResultSchema,
  aggregateSchema: optionAggregateSchema,

  unitCount: sampleRangeUnitCount,
  taskFor(spec, unitIndex) {
    return { seed: spec.seed, ...sampleRangeOf(spec, unitIndex), params: spec.params };
  },
  workOf(task) {
    return task.count;
  },
  runReference: runOptionReference,
  gpuPlan(task) {
    return optionGpuPlan(task);
  },
  decodeGpuOutput(task, output) {
    return {
      samples: task.count,
      sum: wordsToBigInt(output, 0, OPTION_SUM_WORDS).toString(),
      sumSquares: wordsToBigInt(output, OPTION_SUM_WORDS, OPTION_OUTPUT_WORDS).toString(),
      params: task.params,
    };
  },
  implausibility(task, result) {
    if (result.samples !== task.count) {
      return `result covers ${result.samples} samples, the unit has ${task.count}`;
    }
    if (!sameParams(result.params, task.params)) return 'result prices another option';
    const n = BigInt(result.samples);
    const sum = BigInt(result.sum);
    const squares = BigInt(result.sumSquares);
    const bound = payoffBound(task.params);
    if (sum > n * bound) return 'payoff sum above samples * the largest possible payoff';
    // Each payoff p satisfies p^2 <= bound * p, and (sum p)^2 <= n * sum p^2 (Cauchy–Schwarz).
    if (squares > bound * sum) return 'sum of squares above the largest possible payoff * sum';
    if (sum * sum > n * squares) return 'sum of squares below (sum)^2 / samples';
    return null;
  },
  sameResult(a, b) {
    return (
      a.samples === b.samples &&
      a.sum === b.sum &&
      a.sumSquares === b.sumSquares &&
      sameParams(a.params, b.params)
    );
  },
  blockTasks(task) {
    // A Box-Muller pair is never split: every block but the last is a whole number of pairs.
    return sampleRangeBlocks(task, 2);
  },
  addResults(a, b) {
    return {
      samples: a.samples + b.samples,
      sum: (BigInt(a.sum) + BigInt(b.sum)).toString(),
      sumSquares: (BigInt(a.sumSquares) + BigInt(b.sumSquares)).toString(),
      params: a.params,
    };
  },
  emptyAggregate() {
    return { samples: 0, sum: '0', sumSquares: '0', units: 0, params: null };
  },
  fold(aggregate, result) {
    return {
      samples: aggregate.samples + result.samples,
      sum: (BigInt(aggregate.sum) + BigInt(result.sum)).toString(),
      sumSquares: (BigInt(aggregate.sumSquares) + BigInt(result.sumSquares)).toString(),
      units: aggregate.units + 1,
      params: aggregate.params ?? result.params,
    };
  },
  unfold(aggregate, result) {
    const units = aggregate.units - 1;
    return {
      samples: aggregate.samples - result.samples,
      sum: (BigInt(aggregate.sum) - BigInt(result.sum)).toString(),
      sumSquares: (BigInt(aggregate.sumSquares) - BigInt(result.sumSquares)).toString(),
      units,
      params: units > 0 ? aggregate.params : null,
    };
  },
  finalize(aggregate) {
    const n = aggregate.samples;
    const params = aggregate.params;
    if (n === 0 || params === null) {
      return {
        estimate: 0,
        stderr: Number.POSITIVE_INFINITY,
        ci95: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
        samples: n,
      };
    }
    // Price per payoff unit: spot * 2^-40, discounted.
    const scale =
      params.spot * Math.exp(-params.rate * params.maturity) * 2 ** -PAYOFF_FRACTION_BITS;
    const sum = BigInt(aggregate.sum);
    const estimate = (scale * Number(sum)) / n;
    // n * sum p^2 - (sum p)^2 exactly, so the variance loses nothing to cancellation.
    const spread = BigInt(n) * BigInt(aggregate.sumSquares) - sum * sum;
    const stderr =
      n > 1 ? scale * Math.sqrt(Number(spread) / (n * (n - 1)) / n) : Number.POSITIVE_INFINITY;
    const half = Z95 * stderr;
    return { estimate, stderr, ci95: [estimate - half, estimate + half], samples: n };
  },
};
