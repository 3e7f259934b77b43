// The contribute page's words for the volunteer status: kept apart from the markup so the
// exact phrases ("WebGPU: <adapter>", "CPU fallback") that people and tests read live in one
// place.
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
      return { main: 'CPU fallback', notes };
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

export function speedWords(workPerSecond: number | null): string {
  return workPerSecond === null ? '—' : `${RATE_FORMAT.format(workPerSecond)} samples/s`;
}

export function creditWords(status: VolunteerStatus): string {
  if (status.credit === null) return '—';
  const validated = status.unitsValidated ?? 0;
  return `${CREDIT_FORMAT.format(status.credit)} (${COUNT_FORMAT.format(validated)} validated ${validated === 1 ? 'unit' : 'units'})`;
}

export function countWords(count: number): string {
  return COUNT_FORMAT.format(count);
}
