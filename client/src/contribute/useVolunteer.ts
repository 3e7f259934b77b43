// React's view of the volunteer worker: one worker per mounted page, its latest status as
// state, start/pause/resume/stop as callbacks. Identity events are written to localStorage here
// because the worker cannot reach it; for the same reason the settings and what the page
// observes about the tab are sent to the worker whenever they change.
import { useCallback, useEffect, useRef, useState } from 'react';
import { loadIdentity, saveIdentity } from '../volunteer/identityStorage';
import type { TabEnvironment } from '../volunteer/pausePolicy';
import type { VolunteerSettings } from '../volunteer/volunteerSettings';
import { VolunteerWorkerClient } from '../volunteer/volunteerWorkerClient';
import {
  INITIAL_STATUS,
  toPlainError,
  type PlainError,
  type RequestedBackend,
  type VolunteerStatus,
  type WorkerCommand,
} from '../volunteer/workerMessages';

export interface VolunteerControls {
  status: VolunteerStatus;
  /** Failures the worker could not report itself (it did not load, or a request failed). */
  pageError: PlainError | null;
  start(): void;
  stop(): void;
  pause(): void;
  resume(): void;
}

export interface VolunteerOptions {
  requestedBackend: RequestedBackend;
  /** ?cpuWorkers=N, or null for the core count. */
  cpuWorkers: number | null;
  settings: VolunteerSettings;
  environment: TabEnvironment;
}

export function useVolunteer({
  requestedBackend,
  cpuWorkers,
  settings,
  environment,
}: VolunteerOptions): VolunteerControls {
  const [status, setStatus] = useState<VolunteerStatus>(INITIAL_STATUS);
  const [pageError, setPageError] = useState<PlainError | null>(null);
  const clientRef = useRef<VolunteerWorkerClient | null>(null);

  useEffect(() => {
    const client = new VolunteerWorkerClient(
      (event) => {
        switch (event.event) {
          case 'status':
            setStatus(event.status);
            return;
          case 'identity':
            saveIdentity(event.identity);
            return;
        }
      },
      (error) => setPageError(error),
    );
    clientRef.current = client;
    return () => {
      client.terminate();
      clientRef.current = null;
    };
  }, []);

  // Declared after the worker's effect, so they run after it on mount and reach the new worker
  // before any start command; postMessage keeps the order.
  const send = useCallback((body: WorkerCommand) => {
    const client = clientRef.current;
    client?.request(body).catch((error: unknown) => {
      // A worker replaced meanwhile (React's development double mount) rejects what it was
      // still answering; that is no failure to show.
      if (clientRef.current === client) setPageError(toPlainError(error));
    });
  }, []);
  useEffect(() => send({ command: 'settings', settings }), [send, settings]);
  useEffect(() => send({ command: 'environment', environment }), [send, environment]);

  const start = useCallback(() => {
    setPageError(null);
    // A refused start also arrives as the worker's status.lastError; keep the rejection only
    // for the case where the worker could not say so itself.
    clientRef.current
      ?.request({ command: 'start', requestedBackend, identity: loadIdentity(), cpuWorkers })
      .catch((error: unknown) => setPageError(toPlainError(error)));
  }, [requestedBackend, cpuWorkers]);

  const stop = useCallback(() => send({ command: 'stop' }), [send]);
  const pause = useCallback(() => send({ command: 'pause' }), [send]);
  const resume = useCallback(() => send({ command: 'resume' }), [send]);

  return { status, pageError, start, stop, pause, resume };
}
