// The answers a simulated volunteer claims for a leased unit: the true one by the TypeScript
// reference kernel, and the wrong ones its lying behaviors (volunteerBehaviors.ts) return instead.
import { estimatorFor, type Lease } from '@tessera/shared';
import { plausibleWrongAnswer } from './coordinatedAttack';
import { mulberry32 } from './seededRandom';
import type { Behavior } from './volunteerBehaviors';

/** The true result of a leased unit, by the TypeScript reference kernel. */
export function referenceResult(lease: Pick<Lease, 'estimator' | 'task'>): Record<string, unknown> {
  const estimator = estimatorFor(lease.estimator);
  return estimator.runReference(estimator.taskSchema.parse(lease.task)) as Record<string, unknown>;
}

/**
 * The answer a volunteer of this behavior claims for a lease. randomLiar draws once per unit
 * (and again for its lie); colluder lies on the units colluderPick gives it; liar always lies.
 */
export function claimedAnswer(
  behavior: Behavior,
  lease: Lease,
  random: () => number,
  lieRate: number,
): unknown {
  const result = referenceResult(lease);
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
 * A random plausible wrong answer: a hit count drawn uniformly from [0, samples] other than the
 * true one, so it passes the plausibility check and two random liars rarely agree by chance.
 * Other estimators get the liar's one-step change in a random direction.
 */
export function randomWrongAnswer(
  result: Record<string, unknown>,
  random: () => number,
): Record<string, unknown> {
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
