// TypeScript reference of the european-option kernel: the CPU fallback, the server's spot checks
// and the oracle for the WGSL test. Bit-identical with option.wgsl.ts because both compute
// every payoff in exact integer arithmetic (fixedpoint/, optionPayoff.ts) and sum in exact
// integers.
//
// Stream: sample s of a workload is half of Philox block floor(s / 2), counter (block_lo,
// block_hi, OPTION_STREAM, 0), key (seed_lo, seed_hi). Words (x, y, z) give a Box–Muller pair:
// Z = R cos(theta) for the even sample, R sin(theta) for the odd one; word w is unused.
//
// Accuracy and bias. Per sample, the payoff is within 3e-9 * max(S0, S_T) of float64 given the
// same Z, and Z within 1.2e-8 of float64 Box–Muller on the same words (fixedMath.test.ts,
// optionEstimator.test.ts). Those errors come from rounding to nearest at every step and
// average out: over 2^17 samples the mean error is within noise of zero and below 2e-11 *
// spot. What could not average out is kept small by construction: drift and strike carry 40
// fractional bits (8 more than the per-sample rounding, which dithers theirs away), exp2's
// constants 64, and the series tails are cut below 1e-11. Two effects scale with the payoff's
// spread instead, so they stay negligible against the standard error whatever the option:
// sigma sqrt(T) is rounded to 2^-32 of itself (under 2^-12 of the standard error even at the
// 2^40-sample cap), and normal draws stop at |Z| = 9.42 (the 64-bit uniform's floor; the
// lost tail is worth 2e-10 * spot at sigma sqrt(T) = sqrt(10), where sd(payoff) is ~100 *
// spot, and below 1e-13 * spot for sigma sqrt(T) <= 2). So the bias, under 2e-11 * spot,
// stays below a tenth of the standard error sd(payoff) / sqrt(n) up to the cap of n = 2^40
// samples whenever sd(payoff) > 2e-4 * spot: for an at-the-money option, sigma sqrt(T) > 5e-4.
import { normalPair } from '../../fixedpoint/boxMuller';
import { philox4x32, splitUint53 } from '../../rng/philox';
import { optionConstants, PRICE_FRACTION_BITS } from './optionConstants';
import { optionPayoff } from './optionPayoff';
import type { OptionResult, OptionTask } from './optionSpec';
import { PayoffMoments } from './payoffMoments';

/** Counter word 2 of every european-option draw ("eo" in ASCII). */
export const OPTION_STREAM = 0x656f0000;
/** Payoffs are integers in units of spot / 2^PAYOFF_FRACTION_BITS. */
export const PAYOFF_FRACTION_BITS = PRICE_FRACTION_BITS;
/** Every payoff is below 2^80 units (S_T / S0 < 2^40 under the spec's caps). */
export const PAYOFF_BITS = 80;
const TWO_POW_32 = 4294967296;

export function runOptionReference(task: OptionTask): OptionResult {
  const constants = optionConstants(task.params);
  const [keyLo, keyHi] = splitUint53(task.seed);
  const firstBlock = task.start / 2;
  const blocks = Math.ceil(task.count / 2);
  const lastHasOneSample = task.count % 2 === 1;
  const block = new Uint32Array(4);
  const normals = new Uint32Array(4);
  const payoff = new Uint32Array(3);
  const moments = new PayoffMoments();
  for (let i = 0; i < blocks; i++) {
    const index = firstBlock + i;
    philox4x32(index >>> 0, Math.floor(index / TWO_POW_32), OPTION_STREAM, 0, keyLo, keyHi, block);
    normalPair(block[0]!, block[1]!, block[2]!, normals);
    optionPayoff(normals[0]!, normals[2]!, constants, payoff);
    moments.add(payoff[0]!, payoff[1]!, payoff[2]!);
    if (!(lastHasOneSample && i === blocks - 1)) {
      optionPayoff(normals[1]!, normals[3]!, constants, payoff);
      moments.add(payoff[0]!, payoff[1]!, payoff[2]!);
    }
  }
  const { sum, sumSquares } = moments.totals();
  return {
    samples: task.count,
    sum: sum.toString(),
    sumSquares: sumSquares.toString(),
    params: task.params,
  };
}
