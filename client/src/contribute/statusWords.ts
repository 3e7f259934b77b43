// The contribute page's words for the volunteer status: kept apart from the markup so the
// exact phrases ("WebGPU: <adapter>", "CPU fallback") that people and tests read live in one
// place.
import { onLowBattery, type PauseReason, type TabEnvironment } from '../volunteer/pausePolicy';
import type { VolunteerSettings } from '../volunteer/volunteerSettings';
import type {
  BackendStatus,
  ConnectionState,
  RequestedBackend,
  VolunteerStatus,
} from '../volunteer/workerMessages';

export interface BackendWords {
  main: string;
  notes: string[];
}

export function backendWords(
  backend: BackendStatus | null,
  requested: RequestedBackend,
  run: VolunteerStatus['run'],
  /** CPU compute workers in use; 0 or omitted leaves the count out. */
  computeWorkers = 0,
): BackendWords {
  if (!backend) {
    if (run === 'failed' && requested === 'webgpu') {
      return { main: 'WebGPU unavailable', notes: [`forced by ?backend=${requested}`] };
    }
    const notes = requested === 'auto' ? [] : [`forced by ?backend=${requested}`];
    return { main: 'Chosen when you press Contribute', notes };
  }
  switch (backend.kind) {
    case 'webgpu': {
      const notes: string[] = [];
      if (backend.software) {
        notes.push(
          /swiftshader/i.test(backend.adapter)
            ? '(software adapter: SwiftShader)'
            : '(software adapter)',
        );
      }
      if (backend.forced) notes.push('forced by ?backend=webgpu');
      return { main: `WebGPU: ${backend.adapter}`, notes };
    }
    case 'cpu': {
      const notes: string[] = [];
      if (backend.forced) notes.push('forced by ?backend=cpu');
      if (backend.reason) notes.push(`(${backend.reason})`);
      const workers =
        computeWorkers > 0
          ? `, ${computeWorkers} ${computeWorkers === 1 ? 'worker' : 'workers'}`
          : '';
      return { main: `CPU fallback${workers}`, notes };
    }
  }
}

export function connectionWords(state: ConnectionState): string {
  switch (state) {
    case 'offline':
      return 'Not connected';
    case 'connecting':
      return 'Connecting…';
    case 'ready':
      return 'Connected';
    case 'reconnecting':
      return 'Connection lost, reconnecting…';
    case 'refused':
      return 'Refused by the coordinator';
  }
}

export function currentWorkWords(status: VolunteerStatus): string {
  const paused = status.run === 'running' && status.pausedBecause.length > 0;
  if (paused && status.unitsInFlight === 0) return 'Nothing: paused';
  if (status.current) {
    const { workloadName, estimator, unitIndex } = status.current;
    return `${workloadName} (${estimator}), unit ${unitIndex}`;
  }
  switch (status.run) {
    case 'stopped':
    case 'failed':
      return 'Nothing yet';
    case 'starting':
      return 'Starting…';
    case 'stopping':
      return 'Stopping…';
    case 'running':
      if (status.connection !== 'ready') return 'Waiting for the coordinator';
      return status.waitingForWork
        ? 'Waiting for work: no workload needs this tab right now'
        : 'Fetching a unit…';
  }
}

const RATE_FORMAT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const COUNT_FORMAT = new Intl.NumberFormat('en');
/** Credit is fractional (work-weighted); a tenth is as fine as anyone reads it. */
const CREDIT_FORMAT = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** The contribute session in a few words, pause reasons included. */
export function runWords(
  status: VolunteerStatus,
  settings: Pick<VolunteerSettings, 'batteryPauseBelowPercent'>,
  environment: TabEnvironment,
): string {
  switch (status.run) {
    case 'stopped':
      return 'Not contributing';
    case 'starting':
      return 'Starting…';
    case 'stopping':
      return 'Stopping…';
    case 'failed':
      return 'Stopped by an error';
    case 'running': {
      if (status.pausedBecause.length === 0) return 'Contributing';
      const why = pauseWords(status.pausedBecause, settings, environment);
      const held = status.unitsInFlight;
      if (held === 0) return `Paused: ${why}`;
      return `Pausing after ${held === 1 ? 'the unit' : `the ${held} units`} in hand: ${why}`;
    }
  }
}

export function pauseWords(
  reasons: PauseReason[],
  settings: Pick<VolunteerSettings, 'batteryPauseBelowPercent'>,
  environment: TabEnvironment,
): string {
  return reasons
    .map((reason) => {
      switch (reason) {
        case 'user':
          return 'you pressed Pause';
        case 'hidden':
          return 'this tab is hidden';
        case 'battery': {
          const { battery } = environment;
          const below = settings.batteryPauseBelowPercent;
          if (!battery || !onLowBattery(below, battery)) return `on battery below ${below}%`;
          return `on battery at ${Math.round(battery.level * 100)}%, below ${below}%`;
        }
      }
    })
    .join('; ');
}

export function throttleWords(percent: number): string {
  return percent >= 100 ? '100% (no limit)' : `${percent}% of the time`;
}

/**
 * `workPerSecond` is one compute lane's rate while busy; the CPU fallback runs `workers` lanes
 * side by side, so the tab's rate is that many times it.
 */
export function speedWords(workPerSecond: number | null, workers = 1): string {
  if (workPerSecond === null) return '—';
  const each = RATE_FORMAT.format(workPerSecond);
  if (workers <= 1) return `${each} samples/s`;
  const total = RATE_FORMAT.format(workPerSecond * workers);
  return `${total} samples/s (${workers} workers × ${each})`;
}

export function creditWords(status: VolunteerStatus): string {
  if (status.credit === null) return '—';
  const validated = status.unitsValidated ?? 0;
  return `${CREDIT_FORMAT.format(status.credit)} (${COUNT_FORMAT.format(validated)} validated ${validated === 1 ? 'unit' : 'units'})`;
}

export function countWords(count: number): string {
  return COUNT_FORMAT.format(count);
}
