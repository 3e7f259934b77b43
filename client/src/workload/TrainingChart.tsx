// A gradient workload's training by step: the loss of each step's batch (left axis) and the
// held-out accuracy where it was evaluated (right axis, 0-100%, dots joined across the steps
// between evaluations).
import { useMemo } from 'react';
import type { StepPoint } from '@tessera/shared/protocol/dashboardProtocol';
import { TimeSeriesChart, type ChartLine } from '../dashboard/TimeSeriesChart';
import { accuracyWords, lossWords } from '../dashboard/formatting';
import { trainingChartData } from './trainingView';

const LINES: ChartLine[] = [
  { label: 'training loss', color: '#1f5fbf', format: lossWords },
  {
    label: 'held-out accuracy',
    color: '#2f855a',
    scale: 'y2',
    spanGaps: true,
    dots: true,
    format: accuracyWords,
  },
];
const percentTick = (v: number) => `${Math.round(v * 100)}%`;

export function TrainingChart({ steps }: { steps: StepPoint[] }) {
  const data = useMemo(() => trainingChartData(steps), [steps]);
  return (
    <TimeSeriesChart
      data={data}
      lines={LINES}
      xAxis="step"
      xLabel="step"
      height={280}
      ariaLabel="Training loss and held-out accuracy by step"
      yFormat={(v) => Number(v.toPrecision(3)).toString()}
      yLabel="loss"
      y2Format={percentTick}
      y2Range={[0, 1]}
      y2Label="accuracy"
      testId="training-chart"
    />
  );
}
