// Combines a round's shard results into the one gradient the optimizer steps with, in shard
// order (so a round is reproducible from its canonical results). All rules return the mean
// per-example gradient, as float32, computed in float64:
//
//   mean:         sum_s gradSum_s / sum_s count_s   (exactly the gradient of the whole batch, as
//                 one process computing it would have)
//   median:       coordinate-wise median over shards of gradSum_s / count_s (for an even
//                 number of shards, the mean of the two middle values)
//   trimmed-mean: coordinate-wise, drop floor(trim * S) lowest and as many highest of the S
//                 per-shard means gradSum_s / count_s, average the rest
//
// Median and trimmed mean treat shards as equals, so they suit rounds whose shards have (near)
// equal counts. NaN sorts above +Infinity, i.e. it is an extreme value like a huge one and is
// trimmed first from the top; a NaN or Infinity that survives the trim shows in the result.

export const AGGREGATION_RULES = ['mean', 'median', 'trimmed-mean'] as const;
export type AggregationRuleName = (typeof AGGREGATION_RULES)[number];

export type AggregationRule =
  | { rule: 'mean' }
  | { rule: 'median' }
  /** trim in [0, 0.5): the fraction of shards dropped at each end, per coordinate. */
  | { rule: 'trimmed-mean'; trim: number };

export interface ShardGradient {
  gradSum: Float32Array;
  count: number;
}

function checkShards(shards: readonly ShardGradient[]): number {
  const first = shards[0];
  if (!first) throw new RangeError('no shard results to aggregate');
  for (const [s, shard] of shards.entries()) {
    if (shard.gradSum.length !== first.gradSum.length) {
      throw new RangeError(
        `shard ${s} has ${shard.gradSum.length} values, shard 0 has ${first.gradSum.length}`,
      );
    }
    if (!Number.isSafeInteger(shard.count) || shard.count < 1) {
      throw new RangeError(`shard ${s} has count ${shard.count}`);
    }
  }
  return first.gradSum.length;
}

export function aggregateGradients(
  shards: readonly ShardGradient[],
  rule: AggregationRule,
): Float32Array {
  const size = checkShards(shards);
  const out = new Float32Array(size);
  if (rule.rule === 'mean') {
    const total = new Float64Array(size);
    let count = 0;
    for (const shard of shards) {
      count += shard.count;
      for (let i = 0; i < size; i++) total[i] = total[i]! + shard.gradSum[i]!;
    }
    for (let i = 0; i < size; i++) out[i] = total[i]! / count;
    return out;
  }
  const s = shards.length;
  let drop: number;
  if (rule.rule === 'median') {
    drop = Math.floor((s - 1) / 2);
  } else {
    if (!(rule.trim >= 0 && rule.trim < 0.5)) {
      throw new RangeError(`trim must be in [0, 0.5), got ${rule.trim}`);
    }
    drop = Math.floor(rule.trim * s);
  }
  // With `drop` values cut at each end the median keeps 1 (odd S) or 2 (even S) values, and
  // their mean is the median: both rules are "sort, cut, average".
  const column = new Float64Array(s);
  const keep = s - 2 * drop;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < s; j++) column[j] = shards[j]!.gradSum[i]! / shards[j]!.count;
    // A typed array's default sort is numeric with NaN last (ECMA-262 TypedArray SortCompare).
    column.sort();
    let sum = 0;
    for (let j = drop; j < drop + keep; j++) sum += column[j]!;
    out[i] = sum / keep;
  }
  return out;
}
