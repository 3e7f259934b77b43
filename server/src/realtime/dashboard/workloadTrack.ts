// What the dashboard remembers about one workload between snapshots: its latest record, its
// recent validation rate (for the ETA) and the history of its running answer: one bounded
// series per charted quantity over time (Monte Carlo, see estimateSeries.ts), or the training
// curve by step (gradient, see trainingProgress.ts). Lives in memory: a restarted coordinator
// starts the time series afresh from the current answer; a training curve is read whole from
// the result, so it survives.
import {
  FINAL_STATUSES,
  TRAINING_CURVE_POINTS,
  type DashboardWorkload,
  type SeriesMap,
  type SeriesPoint,
  type StepPoint,
  type TrainingFigures,
  type WorkloadDetail,
} from '@tessera/shared';
import { thinSteps } from '@tessera/shared/protocol/stepCurve';
import type { WorkloadRecord } from '../../engine/views';
import { BoundedSeries } from './boundedSeries';
import { estimateSeriesOf, headlineOf, type SeriesValue } from './estimateSeries';
import { trainingProgressOf, withoutSteps, type TrainingProgress } from './trainingProgress';

/** Below this much history the rate (and so the ETA) is not trusted. */
export const MIN_RATE_SPAN_MS = 1_000;

export interface WorkloadTrackOptions {
  seriesPoints: number;
  stepPoints: number;
  rateWindowMs: number;
}

/** The small chart's figures carry 4 significant digits: a few dozen pixels need no more. */
const roughly = (x: number | null) => (x === null ? null : Number(x.toPrecision(4)));

export class WorkloadTrack {
  private result: Record<string, unknown> | null = null;
  private values: SeriesValue[] = [];
  private readonly series = new Map<string, BoundedSeries<SeriesPoint>>();
  /** Per series: the mark of the last delta handed out. */
  private readonly deltaMarks = new Map<string, number>();
  private resultChanged = false;
  /** Gradient workloads: the training curve (thinned past `stepPoints`) and where it stands. */
  private training: TrainingProgress | null = null;
  private steps: StepPoint[] = [];
  private stepsSent = -1;
  private curve: StepPoint[] = [];
  private readonly progress: Array<{ t: number; validated: number }> = [];
  private answeredAt: { validated: number; status: string } | null = null;

  constructor(
    public record: WorkloadRecord,
    private readonly options: WorkloadTrackOptions,
    /** The public result, or null when it cannot be computed (the track then charts nothing). */
    private readonly resultOf: (record: WorkloadRecord) => Record<string, unknown> | null,
    now: number,
  ) {
    this.update(record, now);
  }

  get ended(): boolean {
    return FINAL_STATUSES.includes(this.record.status);
  }

  /** Takes the latest record; when the answer moved, a new point goes on each series. */
  update(record: WorkloadRecord, now: number): void {
    this.record = record;
    this.sampleProgress(now);
    const moved =
      !this.answeredAt ||
      this.answeredAt.validated !== record.unitsValidated ||
      this.answeredAt.status !== record.status;
    if (!moved) return;
    if (record.kind === 'gradient') {
      // Read before the first unit too: "step 0 of 160" is worth showing while it waits.
      this.answeredAt = { validated: record.unitsValidated, status: record.status };
      this.updateTraining(this.resultOf(record), record.unitsValidated > 0);
      return;
    }
    if (record.unitsValidated === 0) return;
    this.answeredAt = { validated: record.unitsValidated, status: record.status };
    this.result = this.resultOf(record);
    this.resultChanged = true;
    this.values = this.result ? estimateSeriesOf(this.result) : [];
    for (const v of this.values) {
      let series = this.series.get(v.name);
      if (!series) {
        series = new BoundedSeries<SeriesPoint>(this.options.seriesPoints, 'halve');
        this.series.set(v.name, series);
        this.deltaMarks.set(v.name, 0);
      }
      series.push({ t: now, value: v.value, lo: v.lo, hi: v.hi });
    }
  }

  /** `answered`: some unit is validated, so the result is worth publishing. */
  private updateTraining(result: Record<string, unknown> | null, answered: boolean): void {
    this.training = result ? trainingProgressOf(result) : null;
    if (answered) {
      this.result = result && this.training ? withoutSteps(result) : result;
      this.resultChanged = true;
    }
    const last = this.steps.at(-1)?.step ?? -1;
    const added = this.training?.steps.filter((p) => p.step > last) ?? [];
    if (added.length === 0) return;
    this.steps.push(...added);
    if (this.steps.length > this.options.stepPoints) {
      this.steps = thinSteps(this.steps, Math.floor(this.options.stepPoints / 2));
    }
    this.curve = thinSteps(this.steps, TRAINING_CURVE_POINTS).map((p) => ({
      step: p.step,
      loss: roughly(p.loss),
      accuracy: roughly(p.accuracy),
    }));
  }

  private trainingFigures(): TrainingFigures | null {
    const t = this.training;
    if (!t) return null;
    return {
      stepsDone: t.stepsDone,
      stepsTotal: t.stepsTotal,
      loss: t.loss,
      accuracy: t.accuracy,
      curve: this.curve,
    };
  }

  sampleProgress(now: number): void {
    const last = this.progress.at(-1);
    if (last && now <= last.t) last.validated = this.record.unitsValidated;
    else this.progress.push({ t: now, validated: this.record.unitsValidated });
    const horizon = now - this.options.rateWindowMs;
    while (this.progress.length > 2 && this.progress[0]!.t < horizon) this.progress.shift();
  }

  /** Units validated per second over the trailing window; 0 until there is enough history. */
  unitsPerSecond(now: number): number {
    const first = this.progress.find((p) => p.t >= now - this.options.rateWindowMs);
    const last = this.progress.at(-1);
    if (!first || !last || last.t - first.t < MIN_RATE_SPAN_MS) return 0;
    return Math.max(0, (last.validated - first.validated) / ((last.t - first.t) / 1000));
  }

  etaSeconds(now: number): number | null {
    if (this.ended) return null;
    const rate = this.unitsPerSecond(now);
    if (rate <= 0) return null;
    return (this.record.unitsTotal - this.record.unitsValidated) / rate;
  }

  summary(now: number): DashboardWorkload {
    const r = this.record;
    return {
      id: r.id,
      name: r.name,
      kind: r.kind,
      estimator: r.estimator,
      status: r.status,
      progress: {
        unitsTotal: r.unitsTotal,
        unitsValidated: r.unitsValidated,
        unitsInFlight: r.unitsInFlight,
        unitsFailed: r.unitsFailed,
        fraction: r.unitsTotal === 0 ? 0 : Math.min(1, r.unitsValidated / r.unitsTotal),
      },
      unitsPerSecond: this.ended ? 0 : this.unitsPerSecond(now),
      etaSeconds: this.etaSeconds(now),
      headline: headlineOf(this.values),
      training: r.kind === 'gradient' ? this.trainingFigures() : null,
      createdAt: r.createdAt,
      completedAt: r.completedAt,
      failureReason: r.failureReason,
    };
  }

  /** Everything: what a new subscriber receives. */
  fullDetail(): WorkloadDetail {
    const series: SeriesMap = {};
    for (const [name, s] of this.series) series[name] = s.all();
    return {
      workloadId: this.record.id,
      full: true,
      series,
      steps: this.steps.slice(),
      result: this.result,
    };
  }

  /** Points and result changed since the previous call; null when nothing did. */
  takeDelta(): WorkloadDetail | null {
    const series: SeriesMap = {};
    let any = this.resultChanged;
    for (const [name, s] of this.series) {
      const points = s.since(this.deltaMarks.get(name) ?? 0);
      this.deltaMarks.set(name, s.mark);
      if (points.length > 0) {
        series[name] = points;
        any = true;
      }
    }
    const steps = this.steps.filter((p) => p.step > this.stepsSent);
    this.stepsSent = this.steps.at(-1)?.step ?? -1;
    if (steps.length > 0) any = true;
    const changed = this.resultChanged;
    this.resultChanged = false;
    if (!any) return null;
    return {
      workloadId: this.record.id,
      full: false,
      series,
      steps,
      result: changed ? this.result : null,
    };
  }
}
