// One quantity of a workload's running answer over time: the estimate as a line, its 95%
// interval as a shaded band that narrows as validated samples accumulate.
import { useMemo } from 'react';
import type uPlot from 'uplot';
import type { SeriesPoint } from '@tessera/shared/protocol/dashboardProtocol';
import { TimeSeriesChart, type ChartLine } from '../dashboard/TimeSeriesChart';

const BAND = 'rgba(31, 95, 191, 0.16)';
const significant = (v: number) => Number(v.toPrecision(7)).toString();

export function EstimateChart({ name, points }: { name: string; points: SeriesPoint[] }) {
  const hasBand = points.some((p) => p.lo !== null && p.hi !== null);
  const lines = useMemo<ChartLine[]>(
    () => [
      { label: name, color: '#1f5fbf', format: significant },
      ...(hasBand
        ? [
            {
              label: '95% high',
              color: 'rgba(31, 95, 191, 0.45)',
              edge: true,
              format: significant,
            },
            { label: '95% low', color: 'rgba(31, 95, 191, 0.45)', edge: true, format: significant },
          ]
        : []),
    ],
    [name, hasBand],
  );
  const data = useMemo<uPlot.AlignedData>(() => {
    const x = points.map((p) => p.t / 1000);
    const value = points.map((p) => p.value);
    if (!hasBand) return [x, value];
    return [x, value, points.map((p) => p.hi), points.map((p) => p.lo)];
  }, [points, hasBand]);
  return (
    <TimeSeriesChart
      data={data}
      lines={lines}
      bands={hasBand ? [{ upper: 1, lower: 2, fill: BAND }] : []}
      height={260}
      ariaLabel={`${name} over time${hasBand ? ' with its 95% interval' : ''}`}
      yFormat={significant}
      testId={`estimate-chart-${name}`}
    />
  );
}
