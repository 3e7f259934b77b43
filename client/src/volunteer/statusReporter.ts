// Holds the worker's one VolunteerStatus and posts it to the page after every change, so the
// page never assembles state from partial events: each status message is the whole picture.
import {
  INITIAL_STATUS,
  toPlainError,
  type VolunteerStatus,
  type WorkerEvent,
} from './workerMessages';

export class StatusReporter {
  private status: VolunteerStatus = INITIAL_STATUS;

  constructor(private readonly post: (event: WorkerEvent) => void) {}

  get current(): VolunteerStatus {
    return this.status;
  }

  update(change: Partial<VolunteerStatus>): void {
    this.status = { ...this.status, ...change };
    this.post({ event: 'status', status: this.status });
  }

  /** Shows an error in words; the session goes on unless the caller says otherwise. */
  error(error: unknown, change: Partial<VolunteerStatus> = {}): void {
    this.update({ ...change, lastError: { ...toPlainError(error), at: Date.now() } });
  }
}
