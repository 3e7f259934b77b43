// Bounded-staleness asynchronous rounds (server/SPEC.md A3): how much a stale gradient counts.
// A shard's gradient for step s taken at parameter version v (s - v steps old) is scaled by
// 1 / (1 + s - v) before aggregation, the staleness-dependent learning rate of Zhang et al.,
// "Staleness-aware Async-SGD for Distributed Deep Learning" (IJCAI 2016): fresh gradients count
// fully, and the step stays a deterministic function of the canonical results and versions.
import type { GradientResult } from './gradientReference';

export function stalenessWeight(step: number, version: number): number {
  if (
    !Number.isSafeInteger(step) ||
    !Number.isSafeInteger(version) ||
    version > step ||
    version < 0
  )
    throw new RangeError(`version ${version} cannot serve step ${step}`);
  return 1 / (1 + step - version);
}

/** The results with their gradient sums scaled by their staleness weight (copies; fresh ones as is). */
export function weighStaleness(
  step: number,
  results: readonly GradientResult[],
  versions: readonly number[],
): GradientResult[] {
  if (versions.length !== results.length)
    throw new RangeError(`${results.length} results but ${versions.length} versions`);
  return results.map((result, k) => {
    const weight = stalenessWeight(step, versions[k]!);
    if (weight === 1) return result;
    const gradSum = new Float32Array(result.gradSum.length);
    for (let i = 0; i < gradSum.length; i++) gradSum[i] = result.gradSum[i]! * weight;
    return { ...result, gradSum };
  });
}
