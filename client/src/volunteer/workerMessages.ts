// The page <-> volunteer worker boundary: commands go in as request envelopes with an id and
// are answered by exactly one response envelope; everything the worker wants the page to know
// unprompted (status, a new identity) comes out as an event envelope. Errors cross as plain
// { name, message } objects because Error instances lose their class in structured clone.
import type { Backend } from '@tessera/shared/protocol/volunteerProtocol';
import type { PauseReason, TabEnvironment } from './pausePolicy';
import type { VolunteerSettings } from './volunteerSettings';

/** What the volunteer asked for: from the page URL's ?backend=cpu|webgpu, 'auto' otherwise. */
export type RequestedBackend = 'auto' | Backend;

export interface PlainError {
  name: string;
  message: string;
}

/** The anonymous identity the coordinator minted; the page keeps it in localStorage. */
export interface VolunteerIdentity {
  volunteerId: string;
  secret: string;
}

export interface StartCommand {
  command: 'start';
  requestedBackend: RequestedBackend;
  identity: VolunteerIdentity | null;
  /** The page URL's ?cpuWorkers=N, or null to size the CPU fallback by the core count. */
  cpuWorkers: number | null;
}

export interface StopCommand {
  command: 'stop';
}

/** Pause keeps the connection and identity; the units in hand finish, no new ones are taken. */
export interface PauseCommand {
  command: 'pause';
}

export interface ResumeCommand {
  command: 'resume';
}

/** Sent on every change and once when the worker starts; applies at once, running or not. */
export interface SettingsCommand {
  command: 'settings';
  settings: VolunteerSettings;
}

/** What the page observes about the tab, which the worker cannot: visibility and battery. */
export interface EnvironmentCommand {
  command: 'environment';
  environment: TabEnvironment;
}

export type WorkerCommand =
  StartCommand | StopCommand | PauseCommand | ResumeCommand | SettingsCommand | EnvironmentCommand;

export interface WorkerRequest {
  type: 'request';
  id: number;
  body: WorkerCommand;
}

export type WorkerResponse =
  | { type: 'response'; id: number; ok: true }
  | { type: 'response'; id: number; ok: false; error: PlainError };

/** The contribute session's lifecycle, as the page shows it. */
export type RunState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

/** socket.io connection as the volunteer sees it: 'ready' means connected and greeted. */
export type ConnectionState = 'offline' | 'connecting' | 'ready' | 'reconnecting' | 'refused';

export type BackendStatus =
  | {
      kind: 'webgpu';
      /** Adapter description as the browser reports it. */
      adapter: string;
      software: boolean;
      forced: boolean;
    }
  | {
      kind: 'cpu';
      forced: boolean;
      /** Why the CPU runs the units when WebGPU was not ruled out by the volunteer. */
      reason: string | null;
    };

export interface CurrentUnit {
  workloadId: string;
  workloadName: string;
  estimator: string;
  unitIndex: number;
}

export interface VolunteerStatus {
  run: RunState;
  connection: ConnectionState;
  /** Null until a start has selected a backend. */
  backend: BackendStatus | null;
  current: CurrentUnit | null;
  /** True while the coordinator has no unit for this tab. */
  waitingForWork: boolean;
  /** Why no new units are taken; empty while contributing normally. */
  pausedBecause: PauseReason[];
  /** Units leased and not yet returned. */
  unitsInFlight: number;
  /** Units this tab computes at once: CPU compute workers, or 1 on WebGPU; 0 before a start. */
  computeWorkers: number;
  /** Units this tab computed and the coordinator accepted, since the tab opened. */
  unitsCompleted: number;
  /** Work (the estimator's natural unit: samples for pi) in those units. */
  workCompleted: number;
  /** Work per second of compute over the last few units; null before the first. */
  workPerSecond: number | null;
  volunteerId: string | null;
  /** The name the coordinator has for this volunteer, from the latest hello reply. */
  displayName: string | null;
  /** From the hello reply and the coordinator's 'credit' pushes: validated work only. */
  credit: number | null;
  unitsValidated: number | null;
  lastError: (PlainError & { at: number }) | null;
}

export const INITIAL_STATUS: VolunteerStatus = {
  run: 'stopped',
  connection: 'offline',
  backend: null,
  current: null,
  waitingForWork: false,
  pausedBecause: [],
  unitsInFlight: 0,
  computeWorkers: 0,
  unitsCompleted: 0,
  workCompleted: 0,
  workPerSecond: null,
  volunteerId: null,
  displayName: null,
  credit: null,
  unitsValidated: null,
  lastError: null,
};

export type WorkerEvent =
  | { event: 'status'; status: VolunteerStatus }
  /** A new identity to store, or null when the coordinator no longer knows the stored one. */
  | { event: 'identity'; identity: VolunteerIdentity | null };

export interface WorkerEventEnvelope {
  type: 'event';
  body: WorkerEvent;
}

export type PageToWorkerMessage = WorkerRequest;
export type WorkerToPageMessage = WorkerResponse | WorkerEventEnvelope;

/** Any thrown value as a plain object that survives postMessage. */
export function toPlainError(error: unknown): PlainError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}
