// The reference forward pass of an inference unit (float64, gradientReference.ts): what a CPU
// tab computes, what the coordinator arbitrates with, and what the tests compare GPUs against.
import type { ExampleSet } from '../gradient/exampleSet';
import type { ModelConfig } from '../gradient/gradientModel';
import { forwardLogits, softmaxRows } from '../gradient/gradientReference';
import type { InferenceResult } from './inferenceResult';

export function predictRows(
  config: ModelConfig,
  params: Float32Array,
  rows: ExampleSet,
): InferenceResult {
  const logits = forwardLogits(config, params, rows);
  return predictionsOf(logits, rows.count, config.classes);
}

/** Classes and probabilities from a unit's logits (GPU float32 or reference float64). */
export function predictionsOf(
  logits: ArrayLike<number>,
  rows: number,
  classCount: number,
): InferenceResult {
  const { classes, probabilities } = softmaxRows(logits, rows, classCount);
  return { classes, probabilities, classCount };
}
