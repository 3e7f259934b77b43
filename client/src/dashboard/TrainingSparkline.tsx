// A gradient workload's training curve in a workloads-list row: loss (blue, its own scale) and
// held-out accuracy (green, 0-100%) over the steps so far, from the snapshot's thinned curve.
import type { StepPoint } from '@tessera/shared/protocol/dashboardProtocol';
import { sparklinePaths } from './sparkline';

const WIDTH = 160;
const HEIGHT = 32;

export function TrainingSparkline({ curve, label }: { curve: StepPoint[]; label: string }) {
  const paths = sparklinePaths(curve, WIDTH, HEIGHT);
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={label}
      data-testid="training-sparkline"
      data-points={curve.length}
    >
      <line className="sparkline-base" x1={0} x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} />
      {paths.loss && <path className="sparkline-loss" d={paths.loss} />}
      {paths.accuracy && <path className="sparkline-accuracy" d={paths.accuracy} />}
    </svg>
  );
}
