// One contribute session, from the Contribute press to the Stop press: chooses the backend,
// connects to the coordinator and runs the unit loop, and keeps the status current. The GPU
// backend outlives sessions (it belongs to the tab) so a stop and start does not recompile
// pipelines. On the CPU the session owns a pool of compute workers and runs one lane of the
// unit loop per worker, as many as the coordinator lets one connection lease.
import type { DeviceInfo } from '@tessera/shared/protocol/volunteerProtocol';
import { acquireWebGpu, chooseBackend, type ComputeBackend } from './computeBackend';
import type { ContributionControls } from './contributionControls';
import { CoordinatorConnection } from './coordinatorConnection';
import { cpuWorkerCount, MAX_CPU_WORKERS } from './cpuWorkerCount';
import { canSpawnComputeWorkers, CpuWorkerPool } from './cpuWorkerPool';
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
  /** The tab's pause and throttle, shared by every session. */
  controls: ContributionControls;
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
  private cpuPool: CpuWorkerPool | null = null;

  constructor(
    private readonly requested: RequestedBackend,
    private readonly identity: VolunteerIdentity | null,
    private readonly host: SessionHost,
    /** ?cpuWorkers=N from the page, or null to size the pool by the core count. */
    private readonly requestedCpuWorkers: number | null = null,
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
      status.update({ backend: choice.status, computeWorkers: this.laneCount() });
    } catch (error) {
      status.error(error, { run: 'failed', backend: null });
      throw error;
    }
    if (this.stopController.signal.aborted) return;

    const connection = new CoordinatorConnection(
      this.identity,
      this.deviceInfo(),
      {
        state: (state) => status.update({ connection: state }),
        greeted: (volunteer) => {
          status.update({
            volunteerId: volunteer.volunteerId,
            displayName: volunteer.displayName,
            credit: volunteer.credit,
            unitsValidated: volunteer.unitsValidated,
          });
          // The hello told us the lease limit: the CPU lanes can be sized now.
          this.applyLanes();
        },
        identity: (identity) => this.host.storeIdentity(identity),
        credit: (volunteer) =>
          status.update({ credit: volunteer.credit, unitsValidated: volunteer.unitsValidated }),
        workloadEnded: (workloadId) => this.loop?.workloadEnded(workloadId),
        workAvailable: () => this.loop?.workAvailable(),
        refused: (message) => this.fail(new Error(message)),
        problem: (error) => status.error(error),
      },
      this.host.controls.displayName,
    );
    this.connection = connection;
    this.loop = new UnitLoop({
      connection,
      backend: () => this.backend,
      recoverFromDeviceLoss: (error) => this.recoverFromDeviceLoss(error),
      status,
      throughput: this.host.throughput,
      controls: this.host.controls,
      cpuPool: () => this.cpuPool,
    });
    this.applyLanes();
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
    this.cpuPool?.close();
    this.cpuPool = null;
    status.update({
      run: status.current.run === 'failed' ? 'failed' : 'stopped',
      connection: 'offline',
      current: null,
      waitingForWork: false,
      unitsInFlight: 0,
    });
  }

  /** The settings' display name, sent with a fresh hello when it changed. */
  changeDisplayName(displayName: string): void {
    this.connection?.changeDisplayName(displayName);
  }

  /**
   * Units computed at once: one on WebGPU; on the CPU one per compute worker (cores − 1, or
   * ?cpuWorkers=N), capped by the coordinator's lease limit once a hello has told it. Where the
   * browser cannot start workers from a worker, one lane computes on this thread.
   */
  private laneCount(): number {
    if (this.backend.kind === 'webgpu' || !canSpawnComputeWorkers()) return 1;
    return cpuWorkerCount({
      hardwareConcurrency: this.host.navigator.hardwareConcurrency,
      requested: this.requestedCpuWorkers,
      leaseLimit: this.connection?.leaseLimit ?? null,
    });
  }

  /** Sizes the CPU pool and the loop's lanes to the backend in use. */
  private applyLanes(): void {
    const lanes = this.laneCount();
    if (this.backend.kind === 'cpu' && canSpawnComputeWorkers()) {
      // Slots start their worker on first use, so a pool of the largest size costs nothing
      // extra and never has to be replaced under running units when the lease limit changes.
      this.cpuPool ??= new CpuWorkerPool(MAX_CPU_WORKERS);
    }
    this.loop?.setLanes(lanes);
    this.host.status.update({ computeWorkers: lanes });
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
    this.applyLanes();
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
