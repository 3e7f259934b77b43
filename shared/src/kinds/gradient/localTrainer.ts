// Training in one process with the TypeScript reference: the yardstick a distributed run is
// compared with (same batches, same order, same shards, same aggregation, same optimizer, so
// the parameters must agree within the gradient tolerance), and the trainer of the tests.
// The training set is split into the workload's resident partitions once (dataPartitions.ts);
// a step: stepSlices(step) -> each slice's examples out of its partition -> computeGradient per
// slice -> aggregateGradients in shard order -> optimizerStep. Asynchronous runs (A3) replay
// with `versionOf`: each slice's gradient is taken at the parameter version a volunteer used,
// weighed by its staleness (staleness.ts), as the coordinator did.
import {
  partitionMembers,
  sliceExamplesOf,
  stepSlices,
  type PartitionLayout,
} from './dataPartitions';
import { gatherExamples, type ExampleSet } from './exampleSet';
import type { ModelConfig } from './gradientModel';
import { computeGradient, type GradientResult } from './gradientReference';
import {
  initialOptimizerState,
  optimizerStep,
  type OptimizerConfig,
  type OptimizerState,
} from './optimizer';
import { initParameters } from './parameterInit';
import { aggregateGradients, type AggregationRule } from './robustAggregation';
import { MAX_GRADIENT_STALENESS } from './gradientSpec';
import { weighStaleness } from './staleness';

export interface LocalTrainingOptions {
  config: ModelConfig;
  train: ExampleSet;
  optimizer: OptimizerConfig;
  batchSize: number;
  steps: number;
  /** Workload seed: initial parameters, the partitions and the batch order. */
  seed: number;
  /** Shards per batch (and so data partitions). Default 1. */
  shards?: number;
  /** Default mean. */
  aggregation?: AggregationRule;
  /**
   * The parameter version unit (step, partition) was computed at, at most MAX_GRADIENT_STALENESS
   * behind `step`; default `step` (synchronous rounds).
   */
  versionOf?: (step: number, partition: number) => number;
  /** Start here instead of initParameters(config, seed). */
  initialParams?: Float32Array;
  /** Called after each step with the step's shard results (loss, hits) and new parameters. */
  onStep?: (step: number, results: readonly GradientResult[], params: Float32Array) => void;
}

export interface LocalTrainingResult {
  params: Float32Array;
  state: OptimizerState;
  /** Mean training loss of each step's batch, before that step's update. */
  stepLosses: number[];
}

/** One gradient the training loop needs: `examples` at the parameters `params`. */
export interface GradientRequest {
  params: Float32Array;
  examples: ExampleSet;
}

/**
 * The training loop, without the arithmetic of a gradient: it yields each step's requests (in
 * shard order) and takes their results back, so one loop serves the synchronous reference
 * (trainLocally) and an engine that answers asynchronously (a GPU: trainWith).
 */
function* trainingLoop(
  options: LocalTrainingOptions,
): Generator<GradientRequest[], LocalTrainingResult, GradientResult[]> {
  const { config, train, optimizer, batchSize, steps, seed } = options;
  const aggregation = options.aggregation ?? { rule: 'mean' };
  let params = options.initialParams ?? initParameters(config, seed);
  let state = initialOptimizerState(optimizer, params.length);
  const stepLosses: number[] = [];
  const layout: PartitionLayout = {
    trainCount: train.count,
    batchSize,
    shards: options.shards ?? 1,
    seed,
  };
  const partitions = partitionMembers(layout).map((members) => gatherExamples(train, members));
  // Versions a stale unit may still be computed at; fresh runs only ever read the newest.
  const history = new Map<number, Float32Array>([[0, params]]);
  for (let step = 0; step < steps; step++) {
    const slices = stepSlices(layout, step);
    const versions = slices.map((slice) => options.versionOf?.(step, slice.partition) ?? step);
    const results = yield slices.map((slice, k) => {
      const at = history.get(versions[k]!);
      if (!at) throw new RangeError(`step ${step}: no parameter version ${versions[k]}`);
      return { params: at, examples: sliceExamplesOf(partitions[slice.partition]!, seed, slice) };
    });
    const gradient = aggregateGradients(weighStaleness(step, results, versions), aggregation);
    ({ params, state } = optimizerStep(optimizer, params, state, gradient));
    history.set(step + 1, params);
    history.delete(step + 1 - MAX_GRADIENT_STALENESS - 1);
    const examples = results.reduce((sum, r) => sum + r.count, 0);
    stepLosses.push(results.reduce((sum, r) => sum + r.lossSum, 0) / examples);
    options.onStep?.(step, results, params);
  }
  return { params, state, stepLosses };
}

export function trainLocally(options: LocalTrainingOptions): LocalTrainingResult {
  const loop = trainingLoop(options);
  let next = loop.next();
  while (!next.done) {
    next = loop.next(next.value.map((r) => computeGradient(options.config, r.params, r.examples)));
  }
  return next.value;
}

/** The same training with each gradient computed by `compute` (one request at a time, in order). */
export async function trainWith(
  options: LocalTrainingOptions,
  compute: (request: GradientRequest) => Promise<GradientResult>,
): Promise<LocalTrainingResult> {
  const loop = trainingLoop(options);
  let next = loop.next();
  while (!next.done) {
    const results: GradientResult[] = [];
    for (const request of next.value) results.push(await compute(request));
    next = loop.next(results);
  }
  return next.value;
}
