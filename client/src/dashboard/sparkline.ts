// The geometry of a training curve's small chart: SVG path data for the loss (scaled to its own
// range, high at the top) and the held-out accuracy (on a fixed 0-100% scale), in a box of the
// given size. Gaps (no loss, no evaluation at that point) are skipped: the accuracy line joins
// its evaluated points.
import type { StepPoint } from '@tessera/shared/protocol/dashboardProtocol';

export interface SparklinePaths {
  loss: string;
  accuracy: string;
}

/** Space kept free above and below, so a line at the extreme is not cut by the edge. */
const PAD = 1.5;

function path(points: Array<[number, number]>): string {
  return points
    .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`)
    .join('');
}

export function sparklinePaths(
  curve: readonly StepPoint[],
  width: number,
  height: number,
): SparklinePaths {
  if (curve.length === 0) return { loss: '', accuracy: '' };
  const first = curve[0]!.step;
  const span = curve.at(-1)!.step - first;
  const x = (step: number) => (span === 0 ? width / 2 : ((step - first) / span) * width);
  const inner = height - 2 * PAD;
  const y = (fraction: number) => PAD + (1 - fraction) * inner;

  const losses = curve.flatMap((p) => (p.loss === null ? [] : [p.loss]));
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const loss = curve.flatMap((p): Array<[number, number]> =>
    p.loss === null ? [] : [[x(p.step), y(hi === lo ? 0.5 : (p.loss - lo) / (hi - lo))]],
  );
  const accuracy = curve.flatMap((p): Array<[number, number]> =>
    p.accuracy === null ? [] : [[x(p.step), y(p.accuracy)]],
  );
  return { loss: path(loss), accuracy: path(accuracy) };
}
