// The contribute page ('/'): the links to the other pages, one button to lend this tab to the
// coordinator, Pause and Stop, the volunteer's settings (throttle, automatic pauses, display
// name), and a plain account of what the tab is doing: which device computes, what it computes
// and for which workload, how much it has done and what it has been credited for.
import { Fragment, useMemo } from 'react';
import { SiteNav } from '../dashboard/SiteNav';
import { requestedCpuWorkersFrom } from '../volunteer/cpuWorkerCount';
import { requestedBackendFrom } from '../volunteer/requestedBackend';
import {
  backendWords,
  connectionWords,
  countWords,
  creditWords,
  currentWorkWords,
  runWords,
  speedWords,
} from './statusWords';
import { useTabEnvironment } from './useTabEnvironment';
import { useVolunteer } from './useVolunteer';
import { useVolunteerSettings } from './useVolunteerSettings';
import { VolunteerSettingsPanel } from './VolunteerSettingsPanel';
import './contribute.css';

export function ContributePage() {
  const requested = useMemo(() => requestedBackendFrom(window.location.search), []);
  const cpuWorkers = useMemo(() => requestedCpuWorkersFrom(window.location.search), []);
  const [settings, changeSettings] = useVolunteerSettings();
  const { environment, batterySupported } = useTabEnvironment();
  const { status, pageError, start, stop, pause, resume } = useVolunteer({
    requestedBackend: requested,
    cpuWorkers,
    settings,
    environment,
  });
  const active = status.run === 'starting' || status.run === 'running';
  const userPaused = status.pausedBecause.includes('user');
  const device = backendWords(status.backend, requested, status.run, status.computeWorkers);
  const deviceNoun =
    status.backend?.kind === 'webgpu'
      ? 'the GPU'
      : status.backend?.kind === 'cpu'
        ? 'the CPU'
        : 'your device';
  const error = status.lastError ?? pageError;

  return (
    <main className="page">
      <header className="masthead">
        <div className="masthead-top">
          <h1>Tessera</h1>
          <SiteNav current="/" />
        </div>
        <p className="tagline">
          Lend this browser tab to research. It computes small, checkable pieces of scientific
          workloads on your GPU (or CPU) and hands them back; nothing is installed.
        </p>
      </header>

      <section className="card contribute" aria-label="Contribute">
        <div className="contribute-actions">
          <button
            type="button"
            className={active ? 'contribute-button stop' : 'contribute-button'}
            data-testid="contribute"
            onClick={active ? stop : start}
            disabled={status.run === 'stopping'}
          >
            {active ? 'Stop' : 'Contribute'}
          </button>
          {active && (
            <button
              type="button"
              className="pause-button"
              data-testid="pause"
              onClick={userPaused ? resume : pause}
              disabled={status.run !== 'running'}
            >
              {userPaused ? 'Resume' : 'Pause'}
            </button>
          )}
        </div>
        <p className="run-state" data-testid="run-state">
          {runWords(status, settings, environment)}
        </p>
        <p className="units" data-testid="units-completed">
          Units completed: {countWords(status.unitsCompleted)}
        </p>
        <p className="hint">
          {active
            ? 'Pause keeps your place and finishes the unit in hand; Stop disconnects.'
            : 'Work runs in background workers and stops when you press Stop or close the tab.'}
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
            <dt>In flight</dt>
            <dd data-testid="units-in-flight">{countWords(status.unitsInFlight)}</dd>
          </div>
          <div>
            <dt>Speed</dt>
            <dd data-testid="speed">{speedWords(status.workPerSecond, status.computeWorkers)}</dd>
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

      <VolunteerSettingsPanel
        settings={settings}
        change={changeSettings}
        batterySupported={batterySupported}
        knownAs={status.displayName}
        deviceNoun={deviceNoun}
      />
    </main>
  );
}
