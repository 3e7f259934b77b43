// One workload's page ('/workloads/:id'): status and progress, the running answer charted with
// its interval (a gradient workload: its training curve by step; an inference workload: rows
// predicted, accuracy and the predicted classes), the result's values and its downloads. The
// first view comes from REST; from then on every change arrives over the /dashboard namespace
// (no polling).
import { useEffect, useState } from 'react';
import { resolvedInferenceSchema } from '@tessera/shared/kinds/inference/inferenceSpec';
import { ConnectionBadge } from '../dashboard/ConnectionBadge';
import { duration, percent, stepsWords, wholeNumber } from '../dashboard/formatting';
import { ProgressBar } from '../dashboard/ProgressBar';
import { SiteNav } from '../dashboard/SiteNav';
import { StatusBadge } from '../dashboard/StatusBadge';
import { useDashboardFeed } from '../dashboard/useDashboardFeed';
import { etaWords } from '../dashboard/WorkloadsPanel';
import { CapableVolunteers } from './CapableVolunteers';
import { DatasetName } from './DatasetName';
import { InferencePanel } from './InferencePanel';
import { InferenceResultValues } from './InferenceResultValues';
import { hashPrefix, inferenceResultOf } from './inferenceView';
import { RunningAnswerPanel } from './RunningAnswerPanel';
import { ResultValues } from './ResultValues';
import { TrainingPanel } from './TrainingPanel';
import { TrainingResultValues } from './TrainingResultValues';
import { trainingNow, trainingResultOf } from './trainingView';
import { useDatasetInfo, type DatasetLookup } from './useDatasetInfo';
import { fetchWorkloadView, type LoadedView } from './workloadView';

/** How often a running workload's REST view is read again. */
const WAITING_REFRESH_MS = 5_000;

export function WorkloadPage({ id }: { id: string }) {
  const [loaded, setLoaded] = useState<LoadedView>({ state: 'loading' });
  const feed = useDashboardFeed({ follow: id });

  useEffect(() => {
    const abort = new AbortController();
    const load = () => {
      fetchWorkloadView(id, abort.signal)
        .then((next) => {
          setLoaded(next);
          // The live feed carries progress; REST is read again, while the workload runs, for
          // what only it tells: units waiting for a volunteer ([L2]).
          const running =
            next.state === 'loaded' && ['queued', 'running'].includes(next.view.status);
          if (running && !abort.signal.aborted) timer = setTimeout(load, WAITING_REFRESH_MS);
        })
        .catch((error: unknown) => {
          if (!abort.signal.aborted) setLoaded({ state: 'failed', message: String(error) });
        });
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    load();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [id]);

  const live = feed.snapshot?.workloads.find((w) => w.id === id) ?? null;
  const view = loaded.state === 'loaded' ? loaded.view : null;
  const followed = feed.followed?.workloadId === id ? feed.followed : null;
  const result = followed?.result ?? null;
  const status = live?.status ?? view?.status ?? null;
  const progress = live?.progress ?? view?.progress ?? null;
  const waiting = view?.progress.unitsWaiting ?? 0;
  const name = live?.name ?? view?.name ?? id;
  const createdAt = live?.createdAt ?? (view ? Date.parse(view.createdAt) : null);
  const endedAt = live?.completedAt ?? (view?.completedAt ? Date.parse(view.completedAt) : null);
  const kind = live?.kind ?? view?.kind;
  const training = kind === 'gradient';
  const inference = kind === 'inference';
  const kernel = (live?.estimator ?? view?.spec.estimator) === 'wgsl';
  const capable = view?.capableVolunteers;
  const trainingResult = training ? trainingResultOf(result) : null;
  const trainingFigures = training ? trainingNow(live?.training ?? null, trainingResult) : null;
  const inferenceResult = inference ? inferenceResultOf(result) : null;
  const datasetId = typeof view?.spec.dataset === 'string' ? view.spec.dataset : null;
  const dataset = useDatasetInfo(datasetId);

  useEffect(() => {
    document.title = `Tessera — ${name}`;
  }, [name]);

  return (
    <main className="dash narrow">
      <header className="dash-head">
        <div className="dash-title">
          <p className="crumb">
            <a href="/dashboard">Dashboard</a> / workload
          </p>
          <h1 className="wl-title" data-testid="workload-name">
            {name}
          </h1>
        </div>
        <SiteNav current="" />
        <ConnectionBadge connection={feed.connection} />
      </header>

      {loaded.state === 'missing' && (
        <p className="error" role="alert" data-testid="workload-missing">
          {loaded.message} <a href="/dashboard">See every workload on the dashboard</a>.
        </p>
      )}
      {loaded.state === 'failed' && (
        <p className="error" role="alert">
          Could not load this workload: {loaded.message}
        </p>
      )}
      {followed?.error && loaded.state !== 'missing' && (
        <p className="error" role="alert">
          Live updates unavailable: {followed.error}
        </p>
      )}

      {status && progress && (
        <div className="dash-grid">
          <section className="panel wide" aria-label="Progress">
            <h2 className="panel-title">Progress</h2>
            <div className="wl-summary">
              <StatusBadge status={status} />
              <span className="num" data-testid="workload-percent">
                {percent(progress.fraction)}
              </span>
              {trainingFigures && (
                <span data-testid="workload-steps">
                  {stepsWords(trainingFigures.stepsDone, trainingFigures.stepsTotal)}
                </span>
              )}
              <span className="muted" data-testid="workload-units">
                {wholeNumber(progress.unitsValidated)} / {wholeNumber(progress.unitsTotal)} units
                validated
                {progress.unitsInFlight > 0 && ` · ${progress.unitsInFlight} in flight`}
                {progress.unitsFailed > 0 && ` · ${progress.unitsFailed} failed`}
              </span>
              {waiting > 0 && (
                <span className="wl-waiting" data-testid="workload-waiting">
                  {waiting} {waiting === 1 ? 'unit waits' : 'units wait'} for another volunteer:
                  everyone online already computed them
                </span>
              )}
              {live && (
                <span className="muted" data-testid="workload-eta">
                  {status === 'running' ? 'ETA ' : ''}
                  {etaWords(live)}
                </span>
              )}
            </div>
            <ProgressBar
              fraction={progress.fraction}
              inFlightFraction={
                progress.unitsTotal > 0 ? progress.unitsInFlight / progress.unitsTotal : 0
              }
              status={status}
              label={`${percent(progress.fraction)} validated`}
            />
            {capable !== undefined && (status === 'queued' || status === 'running') && (
              <CapableVolunteers count={capable} webgpuOnly={kernel} />
            )}
            {(view?.failureReason ?? live?.failureReason) && (
              <p className="wl-failure">{view?.failureReason ?? live?.failureReason}</p>
            )}
          </section>

          {training ? (
            <TrainingPanel
              status={status}
              training={trainingFigures}
              steps={followed?.steps ?? []}
              final={result?.final === true}
            />
          ) : inference ? (
            <InferencePanel id={id} status={status} result={inferenceResult} />
          ) : (
            <RunningAnswerPanel
              status={status}
              headline={live?.headline ?? null}
              series={followed?.series ?? {}}
              final={result?.final === true}
            />
          )}

          {/* A kernel's outputs table wants the whole width; so, below it, does its source. */}
          <section className={kernel ? 'panel wide' : 'panel'} aria-label="Result">
            <h2 className="panel-title">
              Result{' '}
              <span className="panel-note" data-testid="result-state">
                {result === null ? 'none yet' : result.final === true ? 'final' : 'so far'}
              </span>
            </h2>
            {trainingResult ? (
              <TrainingResultValues id={id} result={trainingResult} />
            ) : inferenceResult ? (
              <InferenceResultValues id={id} result={inferenceResult} dataset={dataset} />
            ) : result ? (
              <>
                <ResultValues result={result} />
                <p>
                  <a
                    className="button-link"
                    href={`/api/workloads/${encodeURIComponent(id)}/result`}
                    download={`tessera-${id}-result.json`}
                    data-testid="download-result"
                  >
                    Download result (JSON)
                  </a>
                </p>
              </>
            ) : (
              <p className="empty">The result appears here once units are validated.</p>
            )}
          </section>

          <section className={kernel ? 'panel wide' : 'panel'} aria-label="Specification">
            <h2 className="panel-title">Specification</h2>
            {view ? (
              <dl className="result-values">
                <dt>id</dt>
                <dd className="num">{id}</dd>
                <dt>kind</dt>
                <dd>{view.kind}</dd>
                {Object.entries(view.spec).map(([key, value]) => (
                  <SpecRow key={key} kind={view.kind} name={key} value={value} dataset={dataset} />
                ))}
                <dt>submitted</dt>
                <dd>{new Date(view.createdAt).toLocaleString('en-GB')}</dd>
                {endedAt !== null && createdAt !== null && (
                  <>
                    <dt>ended</dt>
                    <dd>
                      {new Date(endedAt).toLocaleString('en-GB')} (after{' '}
                      {duration((endedAt - createdAt) / 1000)})
                    </dd>
                  </>
                )}
              </dl>
            ) : (
              <p className="empty">Loading…</p>
            )}
          </section>
        </div>
      )}
    </main>
  );
}

/**
 * A spec value: nested options (params, optimizer, blobs) as "name: value" pairs, a list of
 * names or numbers (a kernel's outputs, an mlp's hidden widths) as "a, b".
 */
function specWords(value: unknown): string {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return Object.entries(value)
      .map(([key, inner]) => `${key}: ${specWords(inner)}`)
      .join(', ');
  }
  // A kernel's outputs (names), an mlp's hidden widths (numbers).
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return value.join(', ');
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * One spec entry, said for a reader: an uploaded dataset by its name beside its id, the model an
 * inference runs as a link to its training workload, and what the coordinator resolved for it
 * as the model's layers, version and hash; every other entry as it is.
 */
function SpecRow(props: { kind: string; name: string; value: unknown; dataset: DatasetLookup }) {
  const { kind, name, value } = props;
  if (name === 'dataset' && typeof value === 'string') {
    return (
      <>
        <dt>dataset</dt>
        <dd data-testid="spec-dataset">
          <DatasetName id={value} lookup={props.dataset} />
        </dd>
      </>
    );
  }
  if (kind === 'inference' && name === 'workload' && typeof value === 'string') {
    return (
      <>
        <dt>model from</dt>
        <dd className="num">
          <a href={`/workloads/${encodeURIComponent(value)}`}>{value}</a>
        </dd>
      </>
    );
  }
  const resolved =
    kind === 'inference' && name === 'resolved' && resolvedInferenceSchema.safeParse(value);
  if (resolved && resolved.success) {
    const r = resolved.data;
    const config = r.modelConfig;
    const layers = [
      config.inputSize,
      ...(config.model === 'mlp' ? config.hidden : []),
      config.classes,
    ];
    return (
      <>
        <dt>model</dt>
        <dd className="num">
          {config.model} {layers.join(' → ')} ({wholeNumber(r.parameterCount)} parameters)
        </dd>
        <dt>model version</dt>
        <dd className="num">
          {wholeNumber(r.version)}, hash <code title={r.modelHash}>{hashPrefix(r.modelHash)}</code>
        </dd>
        <dt>rows</dt>
        <dd className="num">
          {wholeNumber(r.rows)} ({wholeNumber(r.rowsPerUnit)} per unit)
          {r.labeled ? ', labeled' : ''}
        </dd>
      </>
    );
  }
  return <FragmentRow name={name} value={value} />;
}

function FragmentRow({ name, value }: { name: string; value: unknown }) {
  return (
    <>
      <dt>{name}</dt>
      {typeof value === 'string' && value.includes('\n') ? (
        // A kernel's source, as code.
        <dd className="spec-source-cell">
          <pre className="spec-source" data-testid={`spec-${name}`}>
            {value}
          </pre>
        </dd>
      ) : (
        <dd className="num">{specWords(value)}</dd>
      )}
    </>
  );
}
