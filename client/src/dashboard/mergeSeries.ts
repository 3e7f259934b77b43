// Folds the points a snapshot or detail carries into what the page already holds. Broadcasts
// carry only points added since the previous one, so a point is kept when it is newer than the
// last one held, replaces it at the same instant (or step), and is ignored when older (already
// held). A bound keeps a page open for days from growing without end.
import type { StepPoint } from '@tessera/shared/protocol/dashboardProtocol';
import { thinSteps } from '@tessera/shared/protocol/stepCurve';

export type Overflow = 'window' | 'halve';

function appendNewer<P>(held: readonly P[], incoming: readonly P[], key: (p: P) => number): P[] {
  const out = held.slice();
  for (const point of incoming) {
    const last = out.at(-1);
    if (last === undefined || key(point) > key(last)) out.push(point);
    else if (key(point) === key(last)) out[out.length - 1] = point;
  }
  return out;
}

export function mergePoints<P extends { t: number }>(
  held: readonly P[],
  incoming: readonly P[],
  cap: number,
  overflow: Overflow,
): P[] {
  let out = appendNewer(held, incoming, (p) => p.t);
  if (out.length > cap) {
    if (overflow === 'window') out = out.slice(out.length - cap);
    else {
      const newest = out.at(-1)!;
      out = out.filter((_, i) => i % 2 === 0);
      if (out.at(-1) !== newest) out.push(newest);
    }
  }
  return out;
}

/** A training curve by step; past the bound it is thinned to half (runs of steps averaged). */
export function mergeSteps(
  held: readonly StepPoint[],
  incoming: readonly StepPoint[],
  cap: number,
): StepPoint[] {
  const out = appendNewer(held, incoming, (p) => p.step);
  return out.length > cap ? thinSteps(out, Math.floor(cap / 2)) : out;
}
