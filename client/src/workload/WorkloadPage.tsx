// One workload's page ('/workloads/:id'): status and progress, the running answer charted with
// its interval, the result's values and a download of its JSON. The first view comes from
// REST; from then on every change arrives over the /dashboard namespace (no polling).
import { useEffect, useState } from 'react';
import { ConnectionBadge } from '../dashboard/ConnectionBadge';
import { duration, estimateWithInterval, percent, wholeNumber } from '../dashboard/formatting';
import { ProgressBar } from '../dashboard/ProgressBar';
import { SiteNav } from '../dashboard/SiteNav';
import { StatusBadge } from '../dashboard/StatusBadge';
import { useDashboardFeed } from '../dashboard/useDashboardFeed';
import { etaWords } from '../dashboard/WorkloadsPanel';
import { EstimateChart } from './EstimateChart';
import { ResultValues } from './ResultValues';
import { fetchWorkloadView, type LoadedView } from './workloadView';

export function WorkloadPage({ id }: { id: string }) {
  const [loaded, setLoaded] = useState<LoadedView>({ state: 'loading' });
  const feed = useDashboardFeed({ follow: id });

  useEffect(() => {
    const abort = new AbortController();
    fetchWorkloadView(id, abort.signal)
      .then(setLoaded)
      .catch((error: unknown) => {
        if (!abort.signal.aborted) setLoaded({ state: 'failed', message: String(error) });
      });
    return () => abort.abort();
  }, [id]);

  const live = feed.snapshot?.workloads.find((w) => w.id === id) ?? null;
  const view = loaded.state === 'loaded' ? loaded.view : null;
  const followed = feed.followed?.workloadId === id ? feed.followed : null;
  const result = followed?.result ?? null;
  const status = live?.status ?? view?.status ?? null;
  const progress = live?.progress ?? view?.progress ?? null;
  const name = live?.name ?? view?.name ?? id;
  const seriesNames = Object.keys(followed?.series ?? {});
  const createdAt = live?.createdAt ?? (view ? Date.parse(view.createdAt) : null);
  const endedAt = live?.completedAt ?? (view?.completedAt ? Date.parse(view.completedAt) : null);

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
              <span className="muted" data-testid="workload-units">
                {wholeNumber(progress.unitsValidated)} / {wholeNumber(progress.unitsTotal)} units
                validated
                {progress.unitsInFlight > 0 && ` · ${progress.unitsInFlight} in flight`}
                {progress.unitsFailed > 0 && ` · ${progress.unitsFailed} failed`}
              </span>
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
            {(view?.failureReason ?? live?.failureReason) && (
              <p className="wl-failure">{view?.failureReason ?? live?.failureReason}</p>
            )}
          </section>

          <section className="panel wide" aria-label="Running answer">
            <h2 className="panel-title">
              Running answer{' '}
              <span className="panel-note">
                {result?.final === true ? 'final' : 'updates as units are validated'}
              </span>
            </h2>
            {live?.headline && (
              <p className="headline" data-testid="workload-headline">
                <span className="muted">{live.headline.series}</span>{' '}
                <span className="num">
                  {estimateWithInterval(live.headline.value, live.headline.lo, live.headline.hi)}
                </span>
                {live.headline.lo !== null && <span className="muted"> (95% interval)</span>}
              </p>
            )}
            {seriesNames.length === 0 ? (
              <p className="empty" data-testid="estimate-empty">
                {status === 'queued'
                  ? 'Waiting for volunteers — open / in a tab to contribute.'
                  : 'No validated units yet: the chart starts with the first agreed result.'}
              </p>
            ) : (
              seriesNames.map((series) => (
                <div key={series} className="series-block">
                  {seriesNames.length > 1 && <h3 className="series-name">{series}</h3>}
                  <EstimateChart name={series} points={followed!.series[series]!} />
                </div>
              ))
            )}
          </section>

          <section className="panel" aria-label="Result">
            <h2 className="panel-title">
              Result{' '}
              <span className="panel-note" data-testid="result-state">
                {result === null ? 'none yet' : result.final === true ? 'final' : 'so far'}
              </span>
            </h2>
            {result ? (
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

          <section className="panel" aria-label="Specification">
            <h2 className="panel-title">Specification</h2>
            {view ? (
              <dl className="result-values">
                <dt>id</dt>
                <dd className="num">{id}</dd>
                <dt>kind</dt>
                <dd>{view.kind}</dd>
                {Object.entries(view.spec).map(([key, value]) => (
                  <FragmentRow key={key} name={key} value={value} />
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

function FragmentRow({ name, value }: { name: string; value: unknown }) {
  return (
    <>
      <dt>{name}</dt>
      <dd className="num">{typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>
    </>
  );
}
