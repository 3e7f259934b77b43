// The answers a simulated volunteer claims for a leased unit: the true one by the TypeScript
// reference kernel, and the wrong ones its lying behaviors (volunteerBehaviors.ts) return instead.
import { estimatorFor, type Lease } from '@tessera/shared';
import { referenceWithBlocks } from '@tessera/shared/kinds/blockResults';
import { plausibleWrongAnswer } from './coordinatedAttack';
import { mulberry32 } from './seededRandom';
import type { Behavior } from './volunteerBehaviors';

/**
 * The true result of a leased unit, by the TypeScript reference kernel, with its blocks (R9)
 * as a tab sends them.
 */
export function referenceResult(lease: Pick<Lease, 'estimator' | 'task'>): Record<string, unknown> {
  const estimator = estimatorFor(lease.estimator);
  return referenceWithBlocks(estimator, estimator.taskSchema.parse(lease.task)) as Record<
    string,
    unknown
  >;
}

/**
 * The answer a volunteer of this behavior claims for a lease. randomLiar draws once per unit
 * (and again for its lie); colluder lies on the units colluderPick gives it; liar always lies.
 */
export function claimedAnswer(
  behavior: Behavior,
  lease: Lease,
  result: Record<string, unknown>,
  random: () => number,
  lieRate: number,
): unknown {
  if (behavior === 'randomLiar') {
    const lies = random() < lieRate;
    return lies ? randomWrongAnswer(result, random) : result;
  }
  if (behavior === 'colluder') {
    if (colluderPick(lease) >= lieRate) return result;
  } else if (behavior !== 'liar') return result;
  return plausibleWrongAnswer(result);
}

/**
 * A random plausible wrong answer, as from a volunteer that did not compute the unit: a hit
 * count drawn uniformly from [0, samples] other than the true one, so it passes the
 * plausibility check and two random liars rarely agree by chance. Other estimators get the
 * liar's one-step change in a random direction. A result with blocks (R9) has every block made
 * up that way and its totals summed from them, as a fabricator would have to.
 */
export function randomWrongAnswer(
  result: Record<string, unknown>,
  random: () => number,
): Record<string, unknown> {
  const blocks = Array.isArray(result.blocks) ? (result.blocks as Record<string, unknown>[]) : null;
  if (!blocks || blocks.length === 0) return madeUp(result, random);
  const forged = blocks.map((b) => madeUp(b, random));
  return { ...result, ...sumOf(forged), blocks: forged };
}

/** The totals of made-up blocks: the fields a lie changes, summed. */
function sumOf(blocks: Record<string, unknown>[]): Record<string, unknown> {
  const first = blocks[0]!;
  if (typeof first.hits === 'number') {
    return { hits: blocks.reduce((n, b) => n + (b.hits as number), 0) };
  }
  if (typeof first.sum === 'string') {
    return { sum: blocks.reduce((n, b) => n + BigInt(b.sum as string), 0n).toString() };
  }
  if (Array.isArray(first.outputs)) {
    // wgsl: every output's sums, added block by block.
    return {
      outputs: (first.outputs as KernelSums[]).map((_, k) =>
        blocks
          .map((b) => (b.outputs as KernelSums[])[k]!)
          .reduce((a, b) => ({
            sum: (BigInt(a.sum) + BigInt(b.sum)).toString(),
            sumSquares: (BigInt(a.sumSquares) + BigInt(b.sumSquares)).toString(),
            rejected: a.rejected + b.rejected,
          })),
      ),
    };
  }
  return {};
}

type KernelSums = { sum: string; sumSquares: string; rejected: number };

function madeUp(result: Record<string, unknown>, random: () => number): Record<string, unknown> {
  if (typeof result.hits === 'number' && typeof result.samples === 'number') {
    const draw = Math.floor(random() * result.samples);
    return { ...result, hits: draw >= result.hits ? draw + 1 : draw };
  }
  const step = random() < 0.5 ? -1 : 1;
  if (typeof result.sumE === 'number') return { ...result, sumE: result.sumE + 4 * step };
  if (typeof result.sum === 'string')
    return {
      ...result,
      sum: (BigInt(result.sum) + BigInt(result.sum === '0' ? 1 : step)).toString(),
    };
  if (Array.isArray(result.outputs)) {
    // wgsl: the first output as if one sample had returned 1 more (its sum is x 2^32).
    const [first, ...rest] = result.outputs as KernelSums[];
    const sum = (BigInt(first!.sum) + BigInt(step) * 2n ** 32n).toString();
    return { ...result, outputs: [{ ...first!, sum }, ...rest] };
  }
  return result;
}

/**
 * Colluders agree out of band which units to forge: a fixed hash of (workload, unit) in [0, 1),
 * the same for every colluder, compared with the lie rate.
 */
export function colluderPick(lease: Pick<Lease, 'workloadId' | 'unitIndex'>): number {
  let h = 0x811c9dc5;
  for (const ch of `${lease.workloadId}:${lease.unitIndex}`) {
    h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  }
  return mulberry32(h)();
}
