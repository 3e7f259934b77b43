// The volunteer's work loop: ask for a unit, compute it, return the result, repeat. Each lane of
// the loop holds at most one unit; a GPU tab runs one lane, a CPU-fallback tab one lane per compute
// worker, all on the one connection (one volunteer, several leases). How a lane asks for work
// (held requests, wake-ups) is workRequests.ts. Each lease is parsed by its kind's task schema
// (unitTasks.ts) before anything runs, renewed while it computes, and given up when the volunteer
// stops, the workload ends or the lease is lost. The results of a batch of several leases go back
// together in unit:results (resultBatch.ts): when the batch is done, when the first unsent one has
// waited RESULT_FLUSH_MS, or at once on stop or pause; a lone unit's or a gradient unit's result
// goes at once in unit:result. A lease stays renewed until its result is sent. A pause lets the
// units in hand finish and be returned, then asks for no more until it lifts; the throttle rests
// after each CPU unit (GPU units rest between dispatches, in the executor).
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import { abortableSleep } from './abortableSleep';
import type { ComputeBackend } from './computeBackend';
import { ContributionControls } from './contributionControls';
import type { CoordinatorConnection } from './coordinatorConnection';
import type { CpuWorkerPool } from './cpuWorkerPool';
import { keepLeaseAlive } from './leaseRenewal';
import { ResultBatch } from './resultBatch';
import type { StatusReporter } from './statusReporter';
import type { ThroughputMeter } from './throughputMeter';
import type { RunUnitOptions, UnitRun } from './unitExecutor';
import { readUnitTask, type UnitTask } from './unitTasks';
import { GradientUnitRunner, type FetchBytes } from './gradientUnit';
import { CoordinatorRefusedError, DeviceLostError, UnitAbandonedError } from './volunteerErrors';
import { toPlainError, type PlainError } from './workerMessages';
import { WorkRequests } from './workRequests';
/** Pause after a failed request before asking again, so a broken coordinator is not hammered. */
export const ERROR_BACKOFF_MS = 3_000;
/** How long a stopping tab waits for the coordinator to hear that its unit is given up. */
export const STOP_NOTICE_TIMEOUT_MS = 1_000;
/**
 * Units a WebGPU tab asks for per request. The coordinator sizes the batch to the tab's measured
 * throughput (server/SPEC.md L6), so a fast GPU is not left idle between round trips.
 */
export const WEBGPU_MAX_UNITS_PER_REQUEST = 8;
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
  /** Pause, throttle; default: never paused, never throttled. */
  controls?: ContributionControls;
  /** Read per unit: the CPU compute workers, lane i on slot i; null computes on this thread. */
  cpuPool?: () => CpuWorkerPool | null;
  /** Pause after a failed request; default ERROR_BACKOFF_MS. */
  errorBackoffMs?: number;
  /** How gradient units download parameters and shards; default fetch() on the page's origin. */
  gradientFetch?: FetchBytes;
  /** Longest a finished result of a batch waits for the rest; default RESULT_FLUSH_MS. */
  resultFlushMs?: number;
}

interface UnitInFlight {
  workloadId: string;
  controller: AbortController;
}

/** A unit computed and not yet returned; its lease is renewed until `stopRenewing()`. */
interface Computed {
  result: unknown;
  busyMs: number;
  work: number;
  stopRenewing(): void;
}

export class UnitLoop {
  private readonly inFlight = new Set<UnitInFlight>();
  /** Leased and not yet returned (computing, or its result on the way): the page's in-flight. */
  private held = 0;
  private readonly controls: ContributionControls;
  private laneCount = 1;
  private readonly lanes = new Map<number, Promise<void>>();
  private signal: AbortSignal | null = null;
  /** Gradient (training) units: parameter and shard downloads, shard cache, GPU buffers. */
  private readonly gradients: GradientUnitRunner;
  /** Asking for work: held requests (L13), wake-ups (L10). */
  private readonly requests: WorkRequests;

  constructor(private readonly deps: UnitLoopDeps) {
    this.controls = deps.controls ?? new ContributionControls();
    this.gradients = new GradientUnitRunner(deps.gradientFetch);
    this.requests = new WorkRequests(deps.connection, () => {
      if (this.held === 0) deps.status.update({ waitingForWork: true, current: null });
    });
  }

  /** Units this loop may hold at once: new lanes start now, surplus ones end after their unit. */
  setLanes(count: number): void {
    this.laneCount = Math.max(1, Math.floor(count));
    if (this.signal) this.startLanes(this.signal);
  }

  /** The coordinator's 'work:available' push: lanes waiting for work ask now. */
  workAvailable(): void {
    this.requests.workAvailable();
  }

  /** The coordinator's 'workload:ended' push: units of that workload are no longer wanted. */
  workloadEnded(workloadId: string): void {
    for (const unit of this.inFlight) {
      if (unit.workloadId === workloadId) {
        unit.controller.abort(new UnitAbandonedError('the workload ended'));
      }
    }
  }

  /** Runs until the signal aborts; never rejects for anything else. */
  async run(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    // [L13] A pause ends the requests the coordinator holds, so no units arrive after it.
    const stopListening = this.controls.onPause(() => this.requests.cancelHeld());
    try {
      this.startLanes(signal);
      // Lanes may be added while others run: wait until none is left.
      while (this.lanes.size > 0) await Promise.all(this.lanes.values());
    } finally {
      stopListening();
      this.signal = null;
    }
  }

  private startLanes(signal: AbortSignal): void {
    for (let lane = 0; lane < this.laneCount; lane++) {
      if (this.lanes.has(lane) || signal.aborted) continue;
      const running = this.runLane(lane, signal).finally(() => this.lanes.delete(lane));
      this.lanes.set(lane, running);
    }
  }

  private async runLane(lane: number, signal: AbortSignal): Promise<void> {
    const { connection, status } = this.deps;
    while (!signal.aborted && lane < this.laneCount) {
      try {
        await this.controls.whenRunnable(signal);
        await connection.whenReady(signal);
        // Waiting for the connection may have taken a while; a pause that came meanwhile wins.
        if (this.controls.paused) continue;
        const maxUnits = this.deps.backend().kind === 'webgpu' ? WEBGPU_MAX_UNITS_PER_REQUEST : 1;
        const epoch = this.requests.epoch;
        const {
          leases: batch,
          retryAfterMs,
          attachments,
        } = await this.requests.ask(maxUnits, signal);
        for (const [url, bytes] of attachments) this.gradients.offerParameters(url, bytes);
        if (batch.length === 0) {
          if (this.held === 0) status.update({ waitingForWork: true, current: null });
          // A hold cancelled by a pause: the pause is waited out at the top of the loop.
          if (!this.controls.paused) {
            await this.requests.waitForWork(retryAfterMs, signal, epoch);
          }
          continue;
        }
        status.update({ waitingForWork: false });
        await this.runBatch(batch, signal, lane);
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof UnitAbandonedError) {
          if (this.held === 0) status.update({ current: null });
          continue;
        }
        status.error(error, this.held === 0 ? { current: null } : {});
        const backoff = this.deps.errorBackoffMs ?? ERROR_BACKOFF_MS;
        await abortableSleep(backoff, signal).catch(() => undefined);
      }
    }
  }

  /**
   * Runs a lease batch in order. Units of the batch still waiting when one fails or the tab
   * stops are handed back at once (unit:error), so they are reissued now, not at their deadline;
   * the results already computed go back first.
   */
  private async runBatch(batch: Lease[], signal: AbortSignal, lane: number): Promise<void> {
    const results =
      batch.length > 1 ? new ResultBatch(this.deps.connection, this.deps.resultFlushMs) : null;
    // Each queued result's answer, handled (counted or shown) when it comes.
    const returning: Promise<void>[] = [];
    // Units from `waiting` on were never started: those are the ones to hand back.
    let waiting = 0;
    try {
      while (waiting < batch.length && !signal.aborted) {
        const lease = batch[waiting]!;
        waiting += 1;
        const busyMs = await this.work(lease, signal, lane, results, returning);
        // A paused tab asks for nothing more: what it has done should not wait for the rest.
        if (this.controls.paused) results?.flush();
        // GPU units rested between their dispatches; a CPU unit rests here, after its result
        // has gone back, so the throttle never delays a result.
        if (busyMs !== null && this.deps.backend().kind === 'cpu') {
          await this.controls.dutyCycle.rest(busyMs, signal);
        }
      }
    } finally {
      if (results) {
        await results.drain(signal.aborted ? STOP_NOTICE_TIMEOUT_MS : undefined);
        await Promise.all(returning);
      }
      for (const lease of batch.slice(waiting)) {
        await this.reportUnitError(
          lease,
          { name: 'Dropped', message: 'the tab gave up this queued unit' },
          STOP_NOTICE_TIMEOUT_MS,
        );
      }
    }
  }

  /**
   * Computes one unit and returns its result: at once, or queued in `results` (a Monte Carlo
   * unit of a batch), its answer then pushed to `returning`. Resolves with the busy time, or
   * null when the unit errored. The unit counts as held until its result is answered.
   */
  private async work(
    lease: Lease,
    stop: AbortSignal,
    lane: number,
    results: ResultBatch | null,
    returning: Promise<void>[],
  ): Promise<number | null> {
    this.changeHeld(1);
    let queued = false;
    try {
      const computed = await this.compute(lease, stop, lane);
      if (computed === null) return null;
      if (results && lease.kind === 'montecarlo') {
        queued = true;
        returning.push(
          this.returnQueued(lease, computed, results).finally(() => this.changeHeld(-1)),
        );
      } else if (results) {
        // Gradient and inference results go back at once (a round may be waiting for them), and
        // the batch's next unit is computed while the answer travels: a round trip per unit less.
        queued = true;
        returning.push(this.returnAlone(lease, computed).finally(() => this.changeHeld(-1)));
      } else {
        computed.stopRenewing();
        await this.sendResult(lease, computed);
        this.counted(computed);
      }
      return computed.busyMs;
    } finally {
      if (!queued) this.changeHeld(-1);
    }
  }

  private changeHeld(by: number): void {
    this.held += by;
    this.deps.status.update({ unitsInFlight: this.held });
  }

  private sendResult(lease: Lease, computed: Computed) {
    return this.deps.connection.request('unit:result', {
      replicaId: lease.replicaId,
      result: computed.result,
      elapsedMs: computed.busyMs,
    });
  }

  /** Sends one result on its own; shows a refusal in words. Never rejects. */
  private async returnAlone(lease: Lease, computed: Computed) {
    computed.stopRenewing();
    try {
      await this.sendResult(lease, computed);
      this.counted(computed);
    } catch (error) {
      this.deps.status.error(error);
    }
  }

  /** Queues a result with its batch; shows a refusal in words. Never rejects. */
  private async returnQueued(lease: Lease, computed: Computed, results: ResultBatch) {
    try {
      const reply = await results.add({
        replicaId: lease.replicaId,
        result: computed.result,
        elapsedMs: computed.busyMs,
      });
      if (reply.ok) this.counted(computed);
      else
        this.deps.status.error(new CoordinatorRefusedError(reply.error.code, reply.error.message));
    } catch (error) {
      this.deps.status.error(error);
    } finally {
      computed.stopRenewing();
    }
  }

  /** A result the coordinator took: the tab's counts and measured speed. */
  private counted(computed: Computed): void {
    const { status, throughput } = this.deps;
    throughput.record(computed.work, computed.busyMs);
    const previous = status.current;
    status.update({
      unitsCompleted: previous.unitsCompleted + 1,
      workCompleted: previous.workCompleted + computed.work,
      workPerSecond: throughput.workPerSecond(),
    });
  }

  /**
   * Computes one unit, its lease renewed meanwhile. Resolves with the result, the lease still
   * renewed until the caller stops it, or with null (renewal stopped) when the unit failed.
   */
  private async compute(lease: Lease, stop: AbortSignal, lane: number): Promise<Computed | null> {
    const { connection, status } = this.deps;
    let task: UnitTask;
    try {
      task = readUnitTask(lease, this.gradients);
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
    const unit: UnitInFlight = { workloadId: lease.workloadId, controller };
    this.inFlight.add(unit);
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

    const backend = this.deps.backend();
    const options: RunUnitOptions = { dutyCycle: this.controls.dutyCycle };
    const pool = this.deps.cpuPool?.() ?? null;
    if (backend.kind === 'cpu' && pool && lane < pool.size) options.cpu = { pool, slot: lane };
    let run: UnitRun;
    let computed = false;
    try {
      run = await task.run(backend, controller.signal, options);
      computed = true;
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
      status.error(error, this.held <= 1 ? { current: null } : {});
      if (error instanceof DeviceLostError) await this.deps.recoverFromDeviceLoss(error);
      return null;
    } finally {
      // `current` stays on the finished unit until the next lease replaces it, so the page
      // does not flicker between units.
      if (!computed) stopRenewing();
      stop.removeEventListener('abort', stopUnit);
      this.inFlight.delete(unit);
    }
    return { result: run.result, busyMs: run.busyMs, work: task.work(), stopRenewing };
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
