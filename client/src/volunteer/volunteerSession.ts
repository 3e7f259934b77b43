// One contribute session, from the Contribute press to the Stop press: chooses the backend,
// connects to the coordinator and runs the unit loop, and keeps the status current. The GPU
// backend outlives sessions (it belongs to the tab) so a stop and start does not recompile
// pipelines.
import type { DeviceInfo } from '@tessera/shared/protocol/volunteerProtocol';
import { acquireWebGpu, chooseBackend, type ComputeBackend } from './computeBackend';
import { CoordinatorConnection } from './coordinatorConnection';
import { deviceInfoFor } from './deviceInfo';
import type { StatusReporter } from './statusReporter';
import { ThroughputMeter } from './throughputMeter';
import { UnitLoop } from './unitLoop';
import {
  UnitAbandonedError,
  WebGpuUnavailableError,
  type DeviceLostError,
} from './volunteerErrors';
import type { BackendStatus, RequestedBackend, VolunteerIdentity } from './workerMessages';

export interface SessionHost {
  status: StatusReporter;
  throughput: ThroughputMeter;
  /** The worker's navigator.gpu (undefined where the browser has none). */
  gpu: GPU | undefined;
  navigator: { hardwareConcurrency?: number; userAgent?: string };
  /** The tab's GPU backend, if an earlier session acquired one: its pipelines are compiled. */
  keptBackend: ComputeBackend | null;
  keepBackend(backend: ComputeBackend): void;
  storeIdentity(identity: VolunteerIdentity | null): void;
}

export class VolunteerSession {
  private readonly stopController = new AbortController();
  private connection: CoordinatorConnection | null = null;
  private loop: UnitLoop | null = null;
  private backend: ComputeBackend = { kind: 'cpu' };
  private backendStatus: BackendStatus | null = null;
  private looping: Promise<void> = Promise.resolve();

  constructor(
    private readonly requested: RequestedBackend,
    private readonly identity: VolunteerIdentity | null,
    private readonly host: SessionHost,
  ) {}

  /** Resolves once the loop is running; rejects (with words for the volunteer) when it cannot. */
  async start(): Promise<void> {
    const { status } = this.host;
    status.update({ run: 'starting', lastError: null, current: null, waitingForWork: false });
    try {
      const choice = await this.chooseBackend();
      this.backend = choice.backend;
      this.backendStatus = choice.status;
      this.host.keepBackend(choice.backend);
      status.update({ backend: choice.status });
    } catch (error) {
      status.error(error, { run: 'failed', backend: null });
      throw error;
    }
    if (this.stopController.signal.aborted) return;

    const connection = new CoordinatorConnection(this.identity, this.deviceInfo(), {
      state: (state) => status.update({ connection: state }),
      greeted: (volunteer) =>
        status.update({
          volunteerId: volunteer.volunteerId,
          credit: volunteer.credit,
          unitsValidated: volunteer.unitsValidated,
        }),
      identity: (identity) => this.host.storeIdentity(identity),
      credit: (volunteer) =>
        status.update({ credit: volunteer.credit, unitsValidated: volunteer.unitsValidated }),
      workloadEnded: (workloadId) => this.loop?.workloadEnded(workloadId),
      refused: (message) => this.fail(new Error(message)),
      problem: (error) => status.error(error),
    });
    this.connection = connection;
    this.loop = new UnitLoop({
      connection,
      backend: () => this.backend,
      recoverFromDeviceLoss: (error) => this.recoverFromDeviceLoss(error),
      status,
      throughput: this.host.throughput,
    });
    this.connection.open();
    status.update({ run: 'running' });
    this.looping = this.loop.run(this.stopController.signal);
  }

  async stop(): Promise<void> {
    const { status } = this.host;
    if (status.current.run !== 'failed') status.update({ run: 'stopping' });
    this.stopController.abort(new UnitAbandonedError('the volunteer stopped'));
    await this.looping;
    this.connection?.close();
    status.update({
      run: status.current.run === 'failed' ? 'failed' : 'stopped',
      connection: 'offline',
      current: null,
      waitingForWork: false,
    });
  }

  private async chooseBackend(): Promise<{ backend: ComputeBackend; status: BackendStatus }> {
    const kept = this.host.keptBackend;
    if (kept?.kind === 'webgpu' && kept.lostInfo === null && this.requested !== 'cpu') {
      const { adapter } = kept;
      return {
        backend: kept,
        status: {
          kind: 'webgpu',
          adapter: adapter.text,
          software: adapter.software,
          forced: this.requested === 'webgpu',
        },
      };
    }
    return chooseBackend(this.requested, this.host.gpu);
  }

  /**
   * After a lost device: a fresh device if the browser gives one, else the CPU, except when the
   * volunteer forced WebGPU, who is told it is gone rather than quietly moved to the CPU.
   */
  private async recoverFromDeviceLoss(loss: DeviceLostError): Promise<void> {
    const acquired = await acquireWebGpu(this.host.gpu);
    let status: BackendStatus;
    if (acquired.ok) {
      this.backend = acquired.backend;
      const { adapter } = acquired.backend;
      status = {
        kind: 'webgpu',
        adapter: adapter.text,
        software: adapter.software,
        forced: this.requested === 'webgpu',
      };
    } else if (this.requested === 'webgpu') {
      this.fail(
        new WebGpuUnavailableError(
          `WebGPU was requested (?backend=webgpu) but ${loss.message} and ${acquired.reason}.`,
        ),
      );
      return;
    } else {
      this.backend = { kind: 'cpu' };
      status = {
        kind: 'cpu',
        forced: false,
        reason: `The GPU could not be restored after ${loss.message} (${acquired.reason})`,
      };
    }
    this.host.keepBackend(this.backend);
    this.backendStatus = status;
    this.host.status.update({ backend: status });
    this.connection?.changeDevice(this.deviceInfo());
  }

  /** Ends the session with an error the volunteer can read; the page offers Contribute again. */
  private fail(error: Error): void {
    this.host.status.error(error, { run: 'failed' });
    void this.stop();
  }

  private deviceInfo(): DeviceInfo {
    if (!this.backendStatus) throw new Error('no backend chosen');
    return deviceInfoFor(this.backendStatus, this.host.navigator);
  }
}
