// Validated throughput over time, as two panels sharing the time axis: work (samples) per
// second and units per second, drawn from the coordinator's rolling history and extended live.
// The latest snapshot's figures end each line, so the charts agree with the stat tiles.
import { useMemo } from 'react';
import type uPlot from 'uplot';
import type { ThroughputPoint } from '@tessera/shared/protocol/dashboardProtocol';
import { compactNumber } from './formatting';
import { TimeSeriesChart, type ChartLine } from './TimeSeriesChart';

const SAMPLES: ChartLine[] = [
  { label: 'samples/s', color: '#1f5fbf', fill: 'rgba(31, 95, 191, 0.10)', format: compactNumber },
];
const UNITS: ChartLine[] = [
  {
    label: 'units/s',
    color: '#2f855a',
    fill: 'rgba(47, 133, 90, 0.10)',
    format: (v) => v.toFixed(2),
  },
];
/** Grafana's habit: a live chart shows a fixed recent window even before it has filled. */
const MIN_WINDOW_SECONDS = 60;

export function ThroughputPanel(props: {
  points: ThroughputPoint[];
  current: ThroughputPoint;
  windowSeconds: number;
}) {
  const { samples, units } = useMemo(() => {
    const last = props.points.at(-1);
    const all = !last || props.current.t > last.t ? [...props.points, props.current] : props.points;
    const x = all.map((p) => p.t / 1000);
    return {
      samples: [x, all.map((p) => p.workPerSecond)] as uPlot.AlignedData,
      units: [x, all.map((p) => p.unitsPerSecond)] as uPlot.AlignedData,
    };
  }, [props.points, props.current]);
  const note = `validated, ${props.windowSeconds} s average`;
  return (
    <>
      <section className="panel" aria-label="Samples per second">
        <h2 className="panel-title">
          Samples per second <span className="panel-note">{note}</span>
        </h2>
        <TimeSeriesChart
          data={samples}
          lines={SAMPLES}
          height={200}
          ariaLabel="Validated samples per second over time"
          testId="throughput-chart"
          yFromZero
          minSpanSeconds={MIN_WINDOW_SECONDS}
        />
      </section>
      <section className="panel" aria-label="Units per second">
        <h2 className="panel-title">
          Units per second <span className="panel-note">{note}</span>
        </h2>
        <TimeSeriesChart
          data={units}
          lines={UNITS}
          height={200}
          ariaLabel="Validated units per second over time"
          yFormat={(v) => Number(v.toPrecision(3)).toString()}
          testId="units-chart"
          yFromZero
          minSpanSeconds={MIN_WINDOW_SECONDS}
        />
      </section>
    </>
  );
}
