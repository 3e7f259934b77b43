// A live time-series chart: a thin React wrapper over uPlot (made for streaming series; a few
// thousand points redraw in well under a millisecond). The chart is built once per series
// layout and fed new data with setData; it follows its container's width. Under it, a legend
// with each line's latest value, so the current figure reads without hovering. The x axis is
// time by default, or a count (training steps) with `xAxis: 'step'`.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { clockTime, compactNumber, wholeNumber } from './formatting';

export interface ChartLine {
  label: string;
  color: string;
  /** Which y scale (and axis) the line uses: 'y' on the left, 'y2' on the right. */
  scale?: 'y' | 'y2';
  width?: number;
  dash?: number[];
  /** Formats this line's value in the legend. */
  format?: (value: number) => string;
  /** A band edge: drawn faintly, not listed in the legend. */
  edge?: boolean;
  /** Shades the area under the line with this colour. */
  fill?: string;
  /** Joins the points across missing values (a quantity measured only now and then). */
  spanGaps?: boolean;
  /** Marks each point with a dot. */
  dots?: boolean;
}

export interface ChartProps {
  /** [x in epoch seconds (or steps), ...one array per line]. */
  data: uPlot.AlignedData;
  /** What x counts: epoch seconds (the default) or steps. */
  xAxis?: 'time' | 'step';
  xLabel?: string;
  lines: ChartLine[];
  /** Shaded areas between two lines, as indices into `lines` (upper, lower). */
  bands?: Array<{ upper: number; lower: number; fill: string }>;
  height: number;
  ariaLabel: string;
  yLabel?: string;
  y2Label?: string;
  /** Formats left-axis ticks (default: compact numbers). */
  yFormat?: (value: number) => string;
  /** Formats right-axis ticks (default: compact numbers). */
  y2Format?: (value: number) => string;
  /** Fixed [min, max] of the right axis, instead of fitting the data. */
  y2Range?: [number, number];
  /** Both y axes start at zero (rates), instead of fitting the data (estimates). */
  yFromZero?: boolean;
  /** The time axis shows at least this many seconds, ending at the newest point. */
  minSpanSeconds?: number;
  testId?: string;
}

/** Time-axis steps in seconds: never finer than a second, so no tick label repeats. */
const TIME_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
];
/** Step-axis increments: whole steps only (1, 2, 5, 10, 20, 50, ...). */
const COUNT_STEPS = Array.from(
  { length: 21 },
  (_, i) => [1, 2, 5][i % 3]! * 10 ** Math.floor(i / 3),
);

function fromZero(_u: uPlot, _min: number, max: number): uPlot.Range.MinMax {
  return [0, max > 0 ? max * 1.1 : 1];
}

const AXIS_STYLE = {
  stroke: '#5b6069',
  grid: { stroke: '#ebe8e1', width: 1 },
  ticks: { stroke: '#dedbd2', width: 1 },
  font: '12px system-ui, sans-serif',
  labelFont: '12px system-ui, sans-serif',
};

function xScale(props: ChartProps): uPlot.Scale {
  if (props.xAxis === 'step') return { time: false };
  const minSpan = props.minSpanSeconds ?? 0;
  return { time: true, range: (_u, min, max) => [Math.min(min, max - minSpan), max] };
}

function y2Scale(props: ChartProps): uPlot.Scale {
  const range = props.y2Range;
  if (range) return { range: () => range };
  return props.yFromZero ? { range: fromZero } : { auto: true };
}

function options(props: ChartProps, width: number): uPlot.Options {
  const usesY2 = props.lines.some((l) => l.scale === 'y2');
  const yFormat = props.yFormat ?? compactNumber;
  const y2Format = props.y2Format ?? compactNumber;
  const steps = props.xAxis === 'step';
  return {
    width,
    height: props.height,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 6 } },
    scales: {
      x: xScale(props),
      y: props.yFromZero ? { range: fromZero } : { auto: true },
      ...(usesY2 ? { y2: y2Scale(props) } : {}),
    },
    series: [
      { label: steps ? 'step' : 'time' },
      ...props.lines.map((line) => ({
        label: line.label,
        stroke: line.color,
        width: line.edge ? 0.5 : (line.width ?? 2),
        scale: line.scale ?? 'y',
        ...(line.dash ? { dash: line.dash } : {}),
        ...(line.fill ? { fill: line.fill } : {}),
        ...(line.spanGaps ? { spanGaps: true } : {}),
        value: (_u: uPlot, v: number | null) =>
          v === null || v === undefined ? '—' : (line.format ?? yFormat)(v),
        points: line.dots ? { show: true, size: 5, fill: line.color } : { show: false },
      })),
    ],
    bands: (props.bands ?? []).map((b) => ({ series: [b.upper + 1, b.lower + 1], fill: b.fill })),
    axes: [
      {
        ...AXIS_STYLE,
        space: steps ? 50 : 70,
        incrs: steps ? COUNT_STEPS : TIME_STEPS,
        values: (_u, splits) => splits.map((v) => (steps ? wholeNumber(v) : clockTime(v * 1000))),
        ...(props.xLabel ? { label: props.xLabel, labelSize: 18 } : {}),
      },
      {
        ...AXIS_STYLE,
        scale: 'y',
        size: 64,
        values: (_u, splits) => splits.map((v) => yFormat(v)),
        ...(props.yLabel ? { label: props.yLabel, labelSize: 18 } : {}),
      },
      ...(usesY2
        ? [
            {
              ...AXIS_STYLE,
              scale: 'y2',
              side: 1 as const,
              size: 52,
              grid: { show: false },
              values: (_u: uPlot, splits: number[]) => splits.map((v) => y2Format(v)),
              ...(props.y2Label ? { label: props.y2Label, labelSize: 18 } : {}),
            },
          ]
        : []),
    ],
  };
}

/** A line's newest value, skipping the gaps of a quantity measured only now and then. */
function latestValue(values: ArrayLike<number | null | undefined> | undefined): number | null {
  for (let i = (values?.length ?? 0) - 1; i >= 0; i--) {
    const v = values![i];
    if (typeof v === 'number') return v;
  }
  return null;
}

export function TimeSeriesChart(props: ChartProps) {
  const holder = useRef<HTMLDivElement | null>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(props);
  latest.current = props;
  // The chart is rebuilt only when its layout (lines, bands) changes, not on new data.
  const layout = JSON.stringify([
    props.lines.map((l) => [l.label, l.color, l.scale, l.edge, l.spanGaps, l.dots]),
    props.bands,
    props.height,
    props.xAxis,
    props.y2Range,
  ]);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const built = new uPlot(
      options(latest.current, Math.max(200, element.clientWidth)),
      latest.current.data,
      element,
    );
    chart.current = built;
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, element.clientWidth);
      if (width !== built.width) built.setSize({ width, height: latest.current.height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      built.destroy();
      chart.current = null;
    };
  }, [layout]);

  useEffect(() => {
    chart.current?.setData(props.data);
  }, [props.data]);

  const pointCount = props.data[0]?.length ?? 0;
  return (
    <figure className="chart-figure">
      <div
        className="chart"
        ref={holder}
        role="img"
        aria-label={props.ariaLabel}
        data-testid={props.testId}
        data-points={pointCount}
      />
      <figcaption className="chart-legend">
        {props.lines.map((line, i) => {
          if (line.edge) return null;
          const latest = latestValue(props.data[i + 1]);
          const value =
            latest !== null ? (line.format ?? props.yFormat ?? compactNumber)(latest) : '—';
          return (
            <span key={line.label} className="legend-item">
              <span
                className="legend-swatch"
                aria-hidden="true"
                style={{
                  borderTopColor: line.color,
                  borderTopStyle: line.dash ? 'dashed' : 'solid',
                }}
              />
              {line.label} <strong className="num">{value}</strong>
            </span>
          );
        })}
      </figcaption>
    </figure>
  );
}
