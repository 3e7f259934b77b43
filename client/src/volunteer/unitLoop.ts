// The volunteer's work loop: ask for a unit, compute it, return the result, repeat. Each lease
// is parsed by its estimator's task schema before anything runs, renewed while it computes,
// and given up when the volunteer stops, the workload ends or the lease is lost.
import { estimatorFor } from '@tessera/shared/kinds/registry';
import type { AnyEstimator } from '@tessera/shared/kinds/estimator';
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import { abortableSleep } from './abortableSleep';
import type { ComputeBackend } from './computeBackend';
import type { CoordinatorConnection } from './coordinatorConnection';
import { keepLeaseAlive } from './leaseRenewal';
import type { StatusReporter } from './statusReporter';
import type { ThroughputMeter } from './throughputMeter';
import { runUnit } from './unitExecutor';
import { DeviceLostError, UnitAbandonedError } from './volunteerErrors';
import { toPlainError, type PlainError } from './workerMessages';

/** Pause after a failed request before asking again, so a broken coordinator is not hammered. */
export const ERROR_BACKOFF_MS = 3_000;
/** How long a stopping tab waits for the coordinator to hear that its unit is given up. */
export const STOP_NOTICE_TIMEOUT_MS = 1_000;
/** Limits of the protocol's unit:error fields. */
const MAX_ERROR_NAME = 200;
const MAX_ERROR_MESSAGE = 2_000;

export interface UnitLoopDeps {
  connection: Pick<CoordinatorConnection, 'whenReady' | 'request'>;
  /** Read per unit: a lost GPU may have been replaced (or swapped for the CPU) since the last. */
  backend(): ComputeBackend;
  /** Re-acquires the GPU after a loss, or falls back, or fails the session. */
  recoverFromDeviceLoss(error: DeviceLostError): Promise<void>;
  status: StatusReporter;
  throughput: ThroughputMeter;
  /** Pause after a failed request; default ERROR_BACKOFF_MS. */
  errorBackoffMs?: number;
}

interface UnitInFlight {
  workloadId: string;
  controller: AbortController;
}

export class UnitLoop {
  private inFlight: UnitInFlight | null = null;

  constructor(private readonly deps: UnitLoopDeps) {}

  /** The coordinator's 'workload:ended' push: a unit of that workload is no longer wanted. */
  workloadEnded(workloadId: string): void {
    if (this.inFlight?.workloadId === workloadId) {
      this.inFlight.controller.abort(new UnitAbandonedError('the workload ended'));
    }
  }

  /** Runs until the signal aborts; never rejects for anything else. */
  async run(signal: AbortSignal): Promise<void> {
    const { connection, status } = this.deps;
    while (!signal.aborted) {
      try {
        await connection.whenReady(signal);
        const reply = await connection.request('unit:request', {});
        if (!reply.lease) {
          status.update({ waitingForWork: true, current: null });
          await abortableSleep(reply.retryAfterMs, signal);
          continue;
        }
        status.update({ waitingForWork: false });
        await this.work(reply.lease, signal);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof UnitAbandonedError) {
          status.update({ current: null });
          continue;
        }
        status.error(error, { current: null });
        const backoff = this.deps.errorBackoffMs ?? ERROR_BACKOFF_MS;
        await abortableSleep(backoff, signal).catch(() => undefined);
      }
    }
  }

  private async work(lease: Lease, stop: AbortSignal): Promise<void> {
    const { connection, status, throughput } = this.deps;
    let estimator: AnyEstimator;
    let task: unknown;
    try {
      estimator = estimatorFor(lease.estimator);
      task = estimator.taskSchema.parse(lease.task);
    } catch (error) {
      // A unit this tab cannot read is the coordinator's bug or a newer estimator: say so and
      // let it go elsewhere rather than compute something wrong.
      await this.reportUnitError(lease, {
        name: 'UnreadableUnit',
        message: `this tab cannot read the unit: ${toPlainError(error).message}`,
      });
      throw error;
    }

    const controller = new AbortController();
    this.inFlight = { workloadId: lease.workloadId, controller };
    const stopUnit = (): void => controller.abort(new UnitAbandonedError('the volunteer stopped'));
    stop.addEventListener('abort', stopUnit, { once: true });
    const stopRenewing = keepLeaseAlive(connection, lease, (refusal) =>
      controller.abort(new UnitAbandonedError(`the lease was lost: ${refusal.message}`)),
    );
    status.update({
      current: {
        workloadId: lease.workloadId,
        workloadName: lease.workloadName,
        estimator: lease.estimator,
        unitIndex: lease.unitIndex,
      },
    });

    const started = performance.now();
    let result: unknown;
    try {
      result = await runUnit(this.deps.backend(), estimator, task, controller.signal);
    } catch (error) {
      if (error instanceof UnitAbandonedError) {
        // Only a stop is worth telling: the coordinator can reissue at once instead of at the
        // deadline. An ended workload or a lost lease is already known on its side.
        if (stop.aborted) {
          await this.reportUnitError(
            lease,
            { name: 'Stopped', message: 'the volunteer stopped contributing' },
            STOP_NOTICE_TIMEOUT_MS,
          );
        }
        throw error;
      }
      await this.reportUnitError(lease, toPlainError(error));
      status.error(error, { current: null });
      if (error instanceof DeviceLostError) await this.deps.recoverFromDeviceLoss(error);
      return;
    } finally {
      // `current` stays on the finished unit until the next lease replaces it, so the page
      // does not flicker between units.
      stopRenewing();
      stop.removeEventListener('abort', stopUnit);
      this.inFlight = null;
    }
    const elapsedMs = performance.now() - started;

    await connection.request('unit:result', { replicaId: lease.replicaId, result, elapsedMs });
    const work = estimator.workOf(task);
    throughput.record(work, elapsedMs);
    const previous = status.current;
    status.update({
      unitsCompleted: previous.unitsCompleted + 1,
      workCompleted: previous.workCompleted + work,
      workPerSecond: throughput.workPerSecond(),
    });
  }

  /** Best effort: an unreachable coordinator will time the replica out on its own. */
  private async reportUnitError(
    lease: Lease,
    error: PlainError,
    timeoutMs?: number,
  ): Promise<void> {
    const payload = {
      replicaId: lease.replicaId,
      error: {
        name: error.name.slice(0, MAX_ERROR_NAME),
        message: error.message.slice(0, MAX_ERROR_MESSAGE),
      },
    };
    await this.deps.connection.request('unit:error', payload, timeoutMs).catch(() => undefined);
  }
}
