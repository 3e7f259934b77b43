// Every active workload and the latest ended ones: progress, ETA, status and the running
// answer (for training: steps, loss, accuracy and a small curve), each linking to its own page.
import type {
  DashboardWorkload,
  TrainingFigures,
} from '@tessera/shared/protocol/dashboardProtocol';
import {
  accuracyWords,
  duration,
  estimateWithInterval,
  kindWords,
  lossWords,
  percent,
  rate,
  stepsWords,
  wholeNumber,
} from './formatting';
import { ProgressBar } from './ProgressBar';
import { StatusBadge } from './StatusBadge';
import { TrainingSparkline } from './TrainingSparkline';

export function etaWords(w: DashboardWorkload): string {
  switch (w.status) {
    case 'queued':
      return 'waiting for volunteers';
    case 'running':
      return w.etaSeconds === null ? 'estimating…' : duration(w.etaSeconds);
    case 'completed':
      return w.completedAt === null
        ? 'done'
        : `done in ${duration((w.completedAt - w.createdAt) / 1000)}`;
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

export function TrainingAnswer({ training, name }: { training: TrainingFigures; name: string }) {
  return (
    <>
      <span className="cell-label">loss </span>
      <span className="num" data-testid="training-loss">
        {lossWords(training.loss)}
      </span>
      <span className="cell-label"> · accuracy </span>
      <span className="num" data-testid="training-accuracy">
        {accuracyWords(training.accuracy)}
      </span>
      {training.curve.length > 1 && (
        <TrainingSparkline
          curve={training.curve}
          label={`${name}: training loss and held-out accuracy by step`}
        />
      )}
    </>
  );
}

function WorkloadRow({ w }: { w: DashboardWorkload }) {
  const p = w.progress;
  const t = w.training;
  return (
    <li className="workload-row" data-testid="workload-row" data-workload-id={w.id}>
      <div className="wl-name">
        <a href={`/workloads/${encodeURIComponent(w.id)}`}>{w.name}</a>
        <span className="wl-kind">{kindWords(w)}</span>
      </div>
      <div className="wl-status">
        <StatusBadge status={w.status} />
      </div>
      <div className="wl-progress">
        <ProgressBar
          fraction={p.fraction}
          inFlightFraction={p.unitsTotal > 0 ? p.unitsInFlight / p.unitsTotal : 0}
          status={w.status}
          label={`${w.name}: ${percent(p.fraction)} validated`}
        />
        <span className="wl-units" data-testid="workload-units">
          {t
            ? stepsWords(t.stepsDone, t.stepsTotal)
            : `${wholeNumber(p.unitsValidated)} / ${wholeNumber(p.unitsTotal)} units`}
          {p.unitsInFlight > 0 && <span className="muted"> · {p.unitsInFlight} in flight</span>}
          {w.unitsPerSecond > 0 && (
            <span className="muted"> · {rate(w.unitsPerSecond, 'units')}</span>
          )}
        </span>
      </div>
      <div className="wl-eta" data-testid="workload-eta">
        {(w.status === 'running' || w.status === 'queued') && (
          <span className="cell-label">ETA </span>
        )}
        {etaWords(w)}
      </div>
      <div className="wl-answer" data-testid="workload-estimate">
        {t ? (
          <TrainingAnswer training={t} name={w.name} />
        ) : w.headline ? (
          <>
            <span className="cell-label">{w.headline.series} </span>
            <span className="num">
              {estimateWithInterval(w.headline.value, w.headline.lo, w.headline.hi)}
            </span>
          </>
        ) : (
          <span className="muted">no validated units yet</span>
        )}
      </div>
      {w.failureReason && <p className="wl-failure">{w.failureReason}</p>}
    </li>
  );
}

export function WorkloadsPanel(props: { workloads: DashboardWorkload[]; total: number }) {
  const hidden = props.total - props.workloads.length;
  return (
    <section className="panel wide" aria-label="Workloads">
      <h2 className="panel-title">
        Workloads <span className="panel-note">active first, then the latest ended</span>
      </h2>
      {props.workloads.length === 0 ? (
        <p className="empty" data-testid="workloads-empty">
          No workloads yet — submit one at <a href="/submit">/submit</a> or with the CLI (
          <code>npx tessera submit FILE</code>).
        </p>
      ) : (
        <>
          <div className="workload-head" aria-hidden="true">
            <span>Workload</span>
            <span>Status</span>
            <span>Progress</span>
            <span>ETA</span>
            <span>Answer so far (±95% CI, or loss)</span>
          </div>
          <ul className="workload-list">
            {props.workloads.map((w) => (
              <WorkloadRow key={w.id} w={w} />
            ))}
          </ul>
          {hidden > 0 && <p className="panel-note">{hidden} older ended workloads not shown.</p>}
        </>
      )}
    </section>
  );
}
