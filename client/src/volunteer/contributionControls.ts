// The tab's controls as the worker applies them: the volunteer's settings, what the page
// observes about the tab (hidden, battery), and the Pause button. Unit lanes wait here before
// asking for a unit and rest here after computing one; a change applies at once, including to
// lanes already waiting or resting. Controls belong to the tab and outlive sessions.
import { DutyCycle } from './dutyCycle';
import {
  pauseReasons,
  VISIBLE_UNKNOWN_BATTERY,
  type PauseReason,
  type TabEnvironment,
} from './pausePolicy';
import { DEFAULT_SETTINGS, type VolunteerSettings } from './volunteerSettings';

export class ContributionControls {
  readonly dutyCycle = new DutyCycle(DEFAULT_SETTINGS.throttlePercent / 100);
  private settings: VolunteerSettings = DEFAULT_SETTINGS;
  private environment: TabEnvironment = VISIBLE_UNKNOWN_BATTERY;
  private userPaused = false;
  private reasons: PauseReason[] = [];
  private waiters = new Set<() => void>();
  private pauseListeners = new Set<() => void>();

  /** `changed` hears every change of the pause reasons (for the status the page shows). */
  constructor(private readonly changed: (reasons: PauseReason[]) => void = () => undefined) {}

  get pausedBecause(): PauseReason[] {
    return this.reasons;
  }

  get paused(): boolean {
    return this.reasons.length > 0;
  }

  get displayName(): string {
    return this.settings.displayName;
  }

  setSettings(settings: VolunteerSettings): void {
    this.settings = settings;
    this.dutyCycle.setShare(settings.throttlePercent / 100);
    this.recompute();
  }

  setEnvironment(environment: TabEnvironment): void {
    this.environment = environment;
    this.recompute();
  }

  setUserPaused(paused: boolean): void {
    this.userPaused = paused;
    this.recompute();
  }

  /** `listener` hears each start of a pause (from running to paused); the result unsubscribes. */
  onPause(listener: () => void): () => void {
    this.pauseListeners.add(listener);
    return () => this.pauseListeners.delete(listener);
  }

  /** Resolves when nothing pauses the tab; rejects when the signal aborts first. */
  whenRunnable(signal: AbortSignal): Promise<void> {
    if (!this.paused) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const waiter = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.waiters.delete(waiter);
        reject(signal.reason);
      };
      this.waiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private recompute(): void {
    const next = pauseReasons(this.userPaused, this.settings, this.environment);
    const same = next.length === this.reasons.length && next.every((r, i) => r === this.reasons[i]);
    if (same) return;
    const wasPaused = this.paused;
    this.reasons = next;
    this.changed(next);
    if (!wasPaused && this.paused) for (const listener of [...this.pauseListeners]) listener();
    if (!this.paused) {
      const waiters = this.waiters;
      this.waiters = new Set();
      for (const waiter of waiters) waiter();
    }
  }
}
