// The contribute page ('/'): one button to lend this tab to the coordinator, and a plain
// account of what the tab is doing with it: which device computes, what it computes, how much
// it has done and what it has been credited for.
import { Fragment, useMemo } from 'react';
import { requestedBackendFrom } from '../volunteer/requestedBackend';
import {
  backendWords,
  connectionWords,
  countWords,
  creditWords,
  currentWorkWords,
  speedWords,
} from './statusWords';
import { useVolunteer } from './useVolunteer';

export function ContributePage() {
  const requested = useMemo(() => requestedBackendFrom(window.location.search), []);
  const { status, pageError, start, stop } = useVolunteer(requested);
  const active = status.run === 'starting' || status.run === 'running';
  const device = backendWords(status.backend, requested, status.run);
  const error = status.lastError ?? pageError;

  return (
    <main className="page">
      <header className="masthead">
        <h1>Tessera</h1>
        <p className="tagline">
          Lend this browser tab to research. It computes small, checkable pieces of scientific
          workloads on your GPU (or CPU) and hands them back; nothing is installed.
        </p>
      </header>

      <section className="card contribute" aria-label="Contribute">
        <button
          type="button"
          className={active ? 'contribute-button stop' : 'contribute-button'}
          data-testid="contribute"
          onClick={active ? stop : start}
          disabled={status.run === 'stopping'}
        >
          {active ? 'Stop' : 'Contribute'}
        </button>
        <p className="units" data-testid="units-completed">
          Units completed: {countWords(status.unitsCompleted)}
        </p>
        <p className="hint">
          {active
            ? 'Computing in a background worker. Keep this tab open; press Stop at any time.'
            : 'Work runs in a background worker and stops when you press Stop or close the tab.'}
        </p>
      </section>

      {error && (
        <p className="error" role="alert" data-testid="last-error">
          {error.message}
        </p>
      )}

      <section className="card" aria-label="Status">
        <h2>Status</h2>
        <dl className="status">
          <div>
            <dt>Device</dt>
            <dd data-testid="backend">
              {device.main}
              {device.notes.length > 0 && (
                <span className="notes">
                  {device.notes.map((note) => (
                    <Fragment key={note}>
                      {' '}
                      <span className="note">{note}</span>
                    </Fragment>
                  ))}
                </span>
              )}
            </dd>
          </div>
          <div>
            <dt>Connection</dt>
            <dd data-testid="connection">{connectionWords(status.connection)}</dd>
          </div>
          <div>
            <dt>Computing</dt>
            <dd data-testid="current-workload">{currentWorkWords(status)}</dd>
          </div>
          <div>
            <dt>Speed</dt>
            <dd data-testid="speed">{speedWords(status.workPerSecond)}</dd>
          </div>
          <div>
            <dt>Credit</dt>
            <dd data-testid="credit">{creditWords(status)}</dd>
          </div>
        </dl>
        <p className="fineprint">
          Credit counts validated work only: results are checked by computing units more than once,
          on different volunteers' devices.
          {status.volunteerId && <> You are volunteer {status.volunteerId.slice(0, 8)}.</>}
        </p>
      </section>
    </main>
  );
}
