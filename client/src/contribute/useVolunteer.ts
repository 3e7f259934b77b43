// React's view of the volunteer worker: one worker per mounted page, its latest status as
// state, start/stop as callbacks. Identity events are written to localStorage here because the
// worker cannot reach it.
import { useCallback, useEffect, useRef, useState } from 'react';
import { loadIdentity, saveIdentity } from '../volunteer/identityStorage';
import { VolunteerWorkerClient } from '../volunteer/volunteerWorkerClient';
import {
  INITIAL_STATUS,
  toPlainError,
  type PlainError,
  type RequestedBackend,
  type VolunteerStatus,
} from '../volunteer/workerMessages';

export interface VolunteerControls {
  status: VolunteerStatus;
  /** Failures the worker could not report itself (it did not load, or a request failed). */
  pageError: PlainError | null;
  start(): void;
  stop(): void;
}

export function useVolunteer(requestedBackend: RequestedBackend): VolunteerControls {
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

  const start = useCallback(() => {
    setPageError(null);
    // A refused start also arrives as the worker's status.lastError; keep the rejection only
    // for the case where the worker could not say so itself.
    clientRef.current
      ?.request({ command: 'start', requestedBackend, identity: loadIdentity() })
      .catch((error: unknown) => setPageError(toPlainError(error)));
  }, [requestedBackend]);

  const stop = useCallback(() => {
    clientRef.current
      ?.request({ command: 'stop' })
      .catch((error: unknown) => setPageError(toPlainError(error)));
  }, []);

  return { status, pageError, start, stop };
}
