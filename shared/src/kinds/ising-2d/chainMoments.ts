// Exact across-chain moments: Σ x_c and Σ x_c² of one integer per chain, in BigInt (they pass
// 2^53 long before the chain cap), carried in the aggregate as decimal strings. From them a
// mean across chains and its standard error follow, with rounding only at the very end, so
// the answer depends on which chains were folded, never on the order they arrived in.
import type { AcrossChains, ChainMomentsJson } from './isingSpec';

export const NO_CHAINS: ChainMomentsJson = { sum: '0', sumOfSquares: '0' };

export function addChain(moments: ChainMomentsJson, x: bigint): ChainMomentsJson {
  return {
    sum: (BigInt(moments.sum) + x).toString(),
    sumOfSquares: (BigInt(moments.sumOfSquares) + x * x).toString(),
  };
}

/** addChain's exact inverse: the moments as if chain value x had never been added. */
export function removeChain(moments: ChainMomentsJson, x: bigint): ChainMomentsJson {
  return {
    sum: (BigInt(moments.sum) - x).toString(),
    sumOfSquares: (BigInt(moments.sumOfSquares) - x * x).toString(),
  };
}

/**
 * Mean of x_c / denominator over `chains` chains, and the standard error of that mean from
 * the spread between chains: sqrt((C·Σx² − (Σx)²) / (C − 1)) / C / denominator, whose
 * numerator is computed exactly (it is never negative, and it is 0 when all chains agree).
 */
export function acrossChains(
  moments: ChainMomentsJson,
  chains: number,
  denominator: number,
): AcrossChains {
  if (chains === 0) return { mean: null, stderr: null };
  const sum = BigInt(moments.sum);
  const mean = Number(sum) / chains / denominator;
  if (chains < 2) return { mean, stderr: null };
  const c = BigInt(chains);
  const spread = c * BigInt(moments.sumOfSquares) - sum * sum;
  const stderr = Math.sqrt(Number(spread) / (chains - 1)) / chains / denominator;
  return { mean, stderr };
}
