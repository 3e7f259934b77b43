// Which numbers of a workload's public result the dashboard charts, found by shape rather than
// by estimator name, so a new estimator shows up without a dashboard change:
// 1. `{ estimate, ci95: [lo, hi] }` or `{ estimate, stderr }` (pi, european-option): series "estimate";
// 2. any top-level `{ mean, stderr }` or `{ mean, ci95 }` object (ising-2d's magnetization,
//    energy): a series named after its key;
// 3. the same objects one level down under `outputs` (a researcher's WGSL kernel: `{ outputs:
//    { hit: { mean, stderr, ci95 }, ... } }`): a series per output, in the kernel's order;
// 4. otherwise the first top-level finite number that is not bookkeeping, without an interval.
// Intervals from a standard error are the normal 95% interval, as the estimators compute it.
import type { Headline } from '@tessera/shared';

const Z95 = 1.959963984540054;

/** Fields every result carries that say how far it got, not what it found. */
const BOOKKEEPING = new Set([
  'final',
  'status',
  'unitsValidated',
  'unitsTotal',
  'samples',
  'chains',
  'sweeps',
  'units',
  'stderr',
  'count',
]);

export interface SeriesValue {
  name: string;
  value: number;
  lo: number | null;
  hi: number | null;
}

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function interval(
  holder: Record<string, unknown>,
  centre: number,
): [number, number] | [null, null] {
  const ci = holder.ci95;
  if (Array.isArray(ci) && ci.length === 2 && finite(ci[0]) && finite(ci[1])) return [ci[0], ci[1]];
  if (finite(holder.stderr)) return [centre - Z95 * holder.stderr, centre + Z95 * holder.stderr];
  return [null, null];
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Each `{ mean, stderr | ci95 }` object of `holder` (but `skip`) as a series named by its key. */
function meansOf(holder: Record<string, unknown>, found: SeriesValue[], skip?: string): void {
  for (const [key, value] of Object.entries(holder)) {
    if (key === skip || !isRecord(value) || !finite(value.mean)) continue;
    const [lo, hi] = interval(value, value.mean);
    found.push({ name: key.slice(0, 64), value: value.mean, lo, hi });
  }
}

export function estimateSeriesOf(result: Record<string, unknown>): SeriesValue[] {
  const found: SeriesValue[] = [];
  if (finite(result.estimate)) {
    const [lo, hi] = interval(result, result.estimate);
    found.push({ name: 'estimate', value: result.estimate, lo, hi });
  }
  meansOf(result, found, 'estimate');
  if (isRecord(result.outputs)) meansOf(result.outputs, found);
  if (found.length > 0) return found;
  for (const [key, value] of Object.entries(result)) {
    if (!BOOKKEEPING.has(key) && finite(value)) {
      return [{ name: key.slice(0, 64), value, lo: null, hi: null }];
    }
  }
  return [];
}

export function headlineOf(values: SeriesValue[]): Headline | null {
  const first = values[0];
  return first ? { series: first.name, value: first.value, lo: first.lo, hi: first.hi } : null;
}
