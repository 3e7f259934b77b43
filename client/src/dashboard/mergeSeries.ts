// Folds the points a snapshot or detail carries into what the page already holds. Broadcasts
// carry only points added since the previous one, so a point is kept when it is newer than the
// last one held, replaces it at the same instant, and is ignored when older (already held). A
// bound keeps a page open for days from growing without end.
export type Overflow = 'window' | 'halve';

export function mergePoints<P extends { t: number }>(
  held: readonly P[],
  incoming: readonly P[],
  cap: number,
  overflow: Overflow,
): P[] {
  let out = held.slice();
  for (const point of incoming) {
    const last = out.at(-1);
    if (!last || point.t > last.t) out.push(point);
    else if (point.t === last.t) out[out.length - 1] = point;
  }
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
