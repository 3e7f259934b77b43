// The `pi` estimator: the fraction of uniform points in the unit square that fall inside the
// quarter circle, times 4. Units are fixed slices of one sample stream, so the answer depends
// only on (samples, seed), never on who computed which unit or when.
import type { EstimatorDefinition, GpuPlan } from '../estimator';
import {
  pairRangeDispatches,
  sampleRangeBlocks,
  sampleRangeOf,
  sampleRangeUnitCount,
} from '../estimator';
import { piWgsl } from './pi.wgsl';
import { PI_STREAM, runPiReference } from './piReference';
import {
  piAggregateSchema,
  piResultSchema,
  piSpecSchema,
  piTaskSchema,
  type PiAggregate,
  type PiEstimate,
  type PiResult,
  type PiSpec,
  type PiTask,
} from './piSpec';

/** 2^21 pairs (4M samples) per dispatch: a few ms on a GPU, well under any watchdog. */
export const PI_MAX_PAIRS_PER_DISPATCH = 2 ** 21;
export const PI_PAIRS_PER_INVOCATION = 64;
const Z95 = 1.959963984540054;

export function piGpuPlan(task: PiTask): GpuPlan {
  const dispatches = pairRangeDispatches(task, PI_MAX_PAIRS_PER_DISPATCH, PI_PAIRS_PER_INVOCATION);
  return { code: piWgsl, entryPoint: 'main', outputWords: 1, dispatches };
}

export const piEstimator: EstimatorDefinition<PiSpec, PiTask, PiResult, PiAggregate, PiEstimate> = {
  estimator: 'pi',
  stream: PI_STREAM,
  specSchema: piSpecSchema,
  taskSchema: piTaskSchema,
  resultSchema: piResultSchema,
  aggregateSchema: piAggregateSchema,

  unitCount: sampleRangeUnitCount,
  taskFor(spec, unitIndex) {
    return { seed: spec.seed, ...sampleRangeOf(spec, unitIndex) };
  },
  workOf(task) {
    return task.count;
  },
  runReference: runPiReference,
  gpuPlan: piGpuPlan,
  decodeGpuOutput(task, output) {
    return { hits: output[0] ?? 0, samples: task.count };
  },
  implausibility(task, result) {
    if (result.samples !== task.count) {
      return `result covers ${result.samples} samples, the unit has ${task.count}`;
    }
    if (result.hits > result.samples) return 'more hits than samples';
    return null;
  },
  sameResult(a, b) {
    return a.hits === b.hits && a.samples === b.samples;
  },
  emptyAggregate() {
    return { hits: 0, samples: 0, units: 0 };
  },
  fold(aggregate, result) {
    return {
      hits: aggregate.hits + result.hits,
      samples: aggregate.samples + result.samples,
      units: aggregate.units + 1,
    };
  },
  unfold(aggregate, result) {
    return {
      hits: aggregate.hits - result.hits,
      samples: aggregate.samples - result.samples,
      units: aggregate.units - 1,
    };
  },
  blockTasks(task) {
    // Pairs are never split: every block but the last is a whole number of pairs.
    return sampleRangeBlocks(task, 2);
  },
  addResults(a, b) {
    return { hits: a.hits + b.hits, samples: a.samples + b.samples };
  },
  finalize(aggregate) {
    const n = aggregate.samples;
    const p = n > 0 ? aggregate.hits / n : 0;
    const estimate = 4 * p;
    const stderr = n > 0 ? 4 * Math.sqrt((p * (1 - p)) / n) : Number.POSITIVE_INFINITY;
    const half = Z95 * stderr;
    return { estimate, stderr, ci95: [estimate - half, estimate + half], samples: n };
  },
};
