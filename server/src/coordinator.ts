// The coordinator's domain service: what REST handlers and socket handlers call. It owns the
// store, the clock and the scheduling options, turns store outcomes into protocol replies,
// and announces workload changes to whoever listens (socket.io namespaces).
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import {
  ERROR_CODES,
  TesseraError,
  estimatorFor,
  type Lease,
  type ResultReply,
  type SubmitWorkload,
  type VolunteerSummary,
  type WorkloadStatus,
  type WorkloadView,
} from '@tessera/shared';
import type { Clock } from './clock';
import { Counters } from './metrics';
import { trustPolicyOf, type SchedulerOptions } from './scheduler/schedulerOptions';
import { ThroughputMeter, unitsForSeconds } from './scheduler/throughputMeter';
import type { TrustPolicy } from './scheduler/trustPolicy';
import type { ReleaseOutcome, Store, VolunteerRecord, WorkloadRecord } from './store/store';
import { hashSecret } from './auth/tokens';
import { GradientService } from './gradient/gradientService';
import { isGradientReplicaId, type GradientStore } from './gradient/gradientStore';

export interface CoordinatorEvents {
  /** A workload changed state or progress. */
  workload: [workloadId: string];
  /** A workload reached a final status. */
  workloadEnded: [workloadId: string, status: WorkloadStatus];
  /** Volunteers whose validated credit changed. */
  credited: [volunteerIds: string[]];
  /** New units can be leased (a workload submitted, a round opened, leases released). */
  workAvailable: [];
}

export interface ConnectionIdentity {
  volunteerId: string;
  connectionId: string;
  netGroup: string | null;
}

export function newId(bytes = 9): string {
  return randomBytes(bytes).toString('base64url');
}

export function toWorkloadView(record: WorkloadRecord): WorkloadView {
  return {
    id: record.id,
    name: record.name,
    kind: record.kind,
    status: record.status,
    progress: {
      unitsTotal: record.unitsTotal,
      unitsValidated: record.unitsValidated,
      unitsInFlight: record.unitsInFlight,
      unitsFailed: record.unitsFailed,
      fraction: record.unitsTotal === 0 ? 0 : record.unitsValidated / record.unitsTotal,
    },
    spec: record.spec as WorkloadView['spec'],
    redundancy: record.redundancy,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    completedAt: record.completedAt === null ? null : new Date(record.completedAt).toISOString(),
    failureReason: record.failureReason,
  };
}

export function toVolunteerSummary(v: VolunteerRecord): VolunteerSummary {
  return {
    volunteerId: v.id,
    displayName: v.displayName,
    credit: v.credit,
    unitsValidated: v.unitsValid,
  };
}

/** Uniform draws in [0, 1) for scheduling decisions; seeded in tests and the simulator. */
export type RandomSource = () => number;

/** Scheduling randomness from the OS: unpredictable to volunteers, never used for results. */
export function cryptoRandom(): number {
  return randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
}

export class Coordinator extends EventEmitter<CoordinatorEvents> {
  readonly counters = new Counters();
  readonly trust: TrustPolicy;
  readonly throughput = new ThroughputMeter();
  /** Gradient workloads (parameter-server rounds), where the store supports them. */
  readonly gradient: GradientService | null;

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly options: SchedulerOptions,
    private readonly random: RandomSource = cryptoRandom,
  ) {
    super();
    this.trust = trustPolicyOf(options);
    this.gradient = store.gradients ? new GradientService(store.gradients) : null;
  }

  private requireGradient(): GradientService {
    if (!this.gradient) {
      throw new TesseraError(ERROR_CODES.invalidSpec, 'this store does not run gradient workloads');
    }
    return this.gradient;
  }

  private async specOf(workloadId: string): Promise<unknown> {
    return (await this.requireWorkload(workloadId)).spec;
  }

  // --- researchers --------------------------------------------------------------------------

  async submitWorkload(input: SubmitWorkload): Promise<WorkloadRecord> {
    if (input.kind === 'gradient') {
      const id = newId();
      const name =
        input.name ??
        `${input.spec.model} on ${input.spec.dataset} ${new Date(this.clock.now()).toISOString()}`;
      await this.requireGradient().submit(input, id, name, this.clock.now());
      this.counters.inc('tessera_workloads_submitted_total');
      this.emit('workload', id);
      this.emit('workAvailable');
      return this.requireWorkload(id);
    }
    const estimator = estimatorFor(input.spec.estimator);
    const spec = estimator.specSchema.parse(input.spec);
    const unitWork = Array.from({ length: estimator.unitCount(spec) }, (_, i) =>
      estimator.workOf(estimator.taskFor(spec, i)),
    );
    const record = await this.store.createWorkload(
      {
        id: newId(),
        name: input.name ?? `${input.spec.estimator} ${new Date(this.clock.now()).toISOString()}`,
        kind: input.kind,
        estimator: estimator.estimator,
        spec,
        redundancy: input.redundancy,
        unitWork,
        aggregate: estimator.emptyAggregate(),
      },
      this.clock.now(),
    );
    this.counters.inc('tessera_workloads_submitted_total');
    this.emit('workload', record.id);
    this.emit('workAvailable');
    return record;
  }

  async cancelWorkload(id: string): Promise<WorkloadRecord> {
    const before = await this.store.getWorkload(id);
    if (!before) throw new TesseraError(ERROR_CODES.notFound, `no workload with id ${id}`);
    if (before.status !== 'queued' && before.status !== 'running') {
      throw new TesseraError(ERROR_CODES.conflict, `workload ${id} is already ${before.status}`);
    }
    const after = (await this.store.cancelWorkload(id, this.clock.now()))!;
    if (after.kind === 'gradient') this.gradient?.store.releaseWorkload(id, this.clock.now());
    this.emit('workload', id);
    this.emit('workloadEnded', id, after.status);
    return after;
  }

  async requireWorkload(id: string): Promise<WorkloadRecord> {
    const record = await this.store.getWorkload(id);
    if (!record) throw new TesseraError(ERROR_CODES.notFound, `no workload with id ${id}`);
    return record;
  }

  /** The public answer of a workload built from its canonical results so far. */
  resultOf(record: WorkloadRecord): Record<string, unknown> {
    if (record.kind === 'gradient') {
      return {
        ...this.requireGradient().summary(record.id, record.status, record.spec),
        unitsValidated: record.unitsValidated,
        unitsTotal: record.unitsTotal,
      };
    }
    const estimator = estimatorFor(record.estimator);
    const aggregate = estimator.aggregateSchema.parse(record.aggregate);
    return {
      ...(estimator.finalize(aggregate) as Record<string, unknown>),
      final: record.status === 'completed',
      status: record.status,
      unitsValidated: record.unitsValidated,
      unitsTotal: record.unitsTotal,
    };
  }

  // --- volunteers ---------------------------------------------------------------------------

  /** Verifies a returning volunteer, or mints a new identity. */
  async identify(
    credentials: { volunteerId: string; secret: string } | undefined,
    displayName: string | undefined,
  ): Promise<{ volunteer: VolunteerRecord; secret?: string }> {
    const now = this.clock.now();
    if (credentials) {
      const known = await this.store.getVolunteer(credentials.volunteerId);
      if (!known || known.secretHash !== hashSecret(credentials.secret)) {
        throw new TesseraError(
          ERROR_CODES.badCredentials,
          'unknown volunteer or wrong secret: forget the stored identity and say hello without one',
        );
      }
      await this.store.touchVolunteer(known.id, now, displayName);
      return { volunteer: (await this.store.getVolunteer(known.id))! };
    }
    const secret = randomBytes(24).toString('base64url');
    const id = newId(12);
    const volunteer = await this.store.createVolunteer({
      id,
      secretHash: hashSecret(secret),
      displayName: displayName || `volunteer-${id.slice(0, 6)}`,
      now,
    });
    return { volunteer, secret };
  }

  /**
   * Leases a batch sized to the tab: as many units as fit in `leaseWorkSeconds` at its measured
   * throughput, at most `maxUnits`. Later units of a batch get later deadlines, since the tab
   * runs them one after another.
   */
  async leaseBatch(identity: ConnectionIdentity, maxUnits = 1): Promise<Lease[]> {
    const first = await this.lease(identity);
    if (!first) return [];
    const leases = [first];
    // A gradient round has few units and each needs fresh parameters: one at a time.
    if (maxUnits <= 1 || first.kind === 'gradient') return leases;
    const unitWork = estimatorFor(first.estimator).workOf(first.task);
    const rate = this.throughput.rate(identity.connectionId);
    const count = unitsForSeconds(rate, unitWork, this.options.leaseWorkSeconds, maxUnits);
    const unitMs = rate ? (unitWork / rate) * 1000 : 0;
    while (leases.length < count) {
      const next = await this.lease(identity, Math.ceil(leases.length * unitMs));
      if (!next) break;
      leases.push(next);
    }
    return leases;
  }

  /** Leases one unit; `extraMs` pushes its deadline back (a unit queued behind others). */
  async lease(identity: ConnectionIdentity, extraMs = 0): Promise<Lease | null> {
    const now = this.clock.now();
    const volunteer = await this.store.getVolunteer(identity.volunteerId);
    if (volunteer?.suspendedUntil && volunteer.suspendedUntil > now) {
      // [R5] a repeat offender is told why it gets no work, and until when.
      throw new TesseraError(
        ERROR_CODES.suspended,
        `too many invalid results: no work until ${new Date(volunteer.suspendedUntil).toISOString()}`,
      );
    }
    if (this.gradient) {
      // Gradient rounds first: a round blocks its workload until every shard is in, and a
      // round holds only `shards` units, so they never starve a Monte Carlo queue for long.
      const grant = await this.gradient.lease({
        volunteerId: identity.volunteerId,
        connectionId: identity.connectionId,
        netGroup: identity.netGroup,
        now,
        leaseDurationMs: this.options.leaseDurationMs + extraMs,
        maxLeasesPerConnection: this.options.maxLeasesPerConnection,
      });
      if (grant) {
        this.counters.inc('tessera_replicas_leased_total');
        // [L9] how often a unit went to a tab that already held its data partition.
        this.counters.inc('tessera_gradient_partition_leases_total', {
          partition: grant.partitionHeld ? 'held' : 'fetched',
        });
        this.emit('workload', grant.lease.workloadId);
        return grant.lease;
      }
    }
    const leased = await this.store.leaseReplica({
      volunteerId: identity.volunteerId,
      connectionId: identity.connectionId,
      netGroup: identity.netGroup,
      now,
      leaseDurationMs: this.options.leaseDurationMs + extraMs,
      maxLeasesPerConnection: this.options.maxLeasesPerConnection,
      trust: this.trust,
      draw: this.random(),
      pickDraw: this.random(),
    });
    if (!leased) return null;
    this.counters.inc('tessera_replicas_leased_total');
    const estimator = estimatorFor(leased.estimator);
    this.emit('workload', leased.workloadId);
    return {
      replicaId: leased.replicaId,
      workloadId: leased.workloadId,
      workloadName: leased.workloadName,
      kind: 'montecarlo',
      estimator: leased.estimator,
      unitIndex: leased.unitIndex,
      task: estimator.taskFor(estimator.specSchema.parse(leased.spec), leased.unitIndex),
      deadline: leased.deadline,
      leaseDurationMs: this.options.leaseDurationMs,
    };
  }

  async renew(volunteerId: string, replicaId: number): Promise<number> {
    const deadline = isGradientReplicaId(replicaId)
      ? this.requireGradient().store.renewReplica(
          replicaId,
          volunteerId,
          this.clock.now(),
          this.options.leaseDurationMs,
        )
      : await this.store.renewReplica(
          replicaId,
          volunteerId,
          this.clock.now(),
          this.options.leaseDurationMs,
        );
    if (deadline === null) {
      throw new TesseraError(
        ERROR_CODES.leaseExpired,
        'this lease is not held any more: drop the unit',
      );
    }
    return deadline;
  }

  async submitResult(
    volunteerId: string,
    replicaId: number,
    result: unknown,
    elapsedMs: number,
    connectionId?: string,
  ): Promise<ResultReply> {
    if (isGradientReplicaId(replicaId)) {
      return this.submitGradientResult(volunteerId, replicaId, result, elapsedMs, connectionId);
    }
    const outcome = await this.store.submitResult({
      replicaId,
      volunteerId,
      result,
      elapsedMs,
      now: this.clock.now(),
      trust: this.trust,
    });
    if (outcome.kind === 'refused') {
      this.counters.inc('tessera_results_refused_total', { code: outcome.code });
      throw new TesseraError(outcome.code, outcome.message);
    }
    this.counters.inc('tessera_results_accepted_total');
    if (connectionId) this.throughput.record(connectionId, outcome.work, elapsedMs);
    this.emit('workload', outcome.workloadId);
    for (const id of outcome.reopened) this.emit('workload', id);
    if (outcome.reopened.length > 0) {
      this.counters.inc('tessera_recheck_reopened_total');
      this.emit('workAvailable');
    }
    if (outcome.credited.length > 0) this.emit('credited', outcome.credited);
    if (outcome.workloadEnded)
      this.emit('workloadEnded', outcome.workloadId, outcome.workloadEnded);
    return { verdict: outcome.verdict };
  }

  private async submitGradientResult(
    volunteerId: string,
    replicaId: number,
    result: unknown,
    elapsedMs: number,
    connectionId?: string,
  ): Promise<ResultReply> {
    const outcome = await this.requireGradient().submitResult(
      { replicaId, volunteerId, result, elapsedMs, now: this.clock.now(), trust: this.trust },
      (id) => this.specOf(id),
    );
    // [R6] a caught volunteer's unverified Monte Carlo results were taken back out.
    for (const id of outcome.reopened ?? []) this.emit('workload', id);
    if ((outcome.reopened ?? []).length > 0) {
      this.counters.inc('tessera_recheck_reopened_total');
      this.emit('workAvailable');
    }
    if (outcome.kind === 'refused') {
      this.counters.inc('tessera_results_refused_total', { code: outcome.code });
      throw new TesseraError(outcome.code, outcome.message);
    }
    this.counters.inc('tessera_results_accepted_total');
    if (connectionId) this.throughput.record(connectionId, outcome.work, elapsedMs);
    this.emit('workload', outcome.workloadId);
    if (outcome.credited.length > 0) this.emit('credited', outcome.credited);
    if (outcome.workloadEnded)
      this.emit('workloadEnded', outcome.workloadId, outcome.workloadEnded);
    // [L10] the next round's units exist now: tabs idling between rounds start at once.
    else if (outcome.newVersion !== null) this.emit('workAvailable');
    return { verdict: outcome.verdict };
  }

  async reportError(volunteerId: string, replicaId: number, message: string): Promise<void> {
    const outcome = isGradientReplicaId(replicaId)
      ? this.requireGradient().store.reportError(replicaId, volunteerId, message, this.clock.now())
      : await this.store.reportError(replicaId, volunteerId, message, this.clock.now());
    if (!outcome) throw new TesseraError(ERROR_CODES.notLeased, 'this unit is not leased to you');
    this.counters.inc('tessera_replicas_errored_total');
    await this.announceRelease(outcome);
  }

  async releaseConnection(connectionId: string): Promise<void> {
    this.throughput.forget(connectionId);
    this.gradient?.forgetConnection(connectionId);
    await this.releaseOnBothStores(
      'tessera_replicas_released_total',
      (store, now) => store.releaseConnection(connectionId, now),
      (store, now) => store.releaseConnection(connectionId, now),
    );
  }

  /**
   * [L5] At start: the previous process's connections are all gone, so their leases are
   * released at once instead of at their deadlines (a round would otherwise wait them out).
   */
  releaseOrphanedLeases(): Promise<number> {
    return this.releaseOnBothStores(
      'tessera_replicas_released_total',
      (store, now) => store.releaseAllConnections(now),
      (store, now) => store.releaseAllConnections(now),
    );
  }

  /** The sweep: replicas past their deadline go back to the pool. */
  expireLeases(): Promise<number> {
    return this.releaseOnBothStores(
      'tessera_replicas_timed_out_total',
      (store, now) => store.expireLeases(now),
      (store, now) => store.expireLeases(now),
    );
  }

  /**
   * Releases replicas in the Monte Carlo store, then the gradient one (where there is one):
   * counts them under `counter`, announces freed work and failed workloads; returns how many.
   */
  private async releaseOnBothStores(
    counter: string,
    monteCarlo: (store: Store, now: number) => Promise<ReleaseOutcome>,
    gradient: (store: GradientStore, now: number) => ReleaseOutcome,
  ): Promise<number> {
    const outcomes = [await monteCarlo(this.store, this.clock.now())];
    if (this.gradient) outcomes.push(gradient(this.gradient.store, this.clock.now()));
    let released = 0;
    for (const outcome of outcomes) {
      this.counters.inc(counter, {}, outcome.released);
      await this.announceRelease(outcome);
      released += outcome.released;
    }
    return released;
  }

  private async announceRelease(outcome: ReleaseOutcome): Promise<void> {
    if (outcome.released > 0) this.emit('workAvailable');
    for (const id of outcome.failedWorkloads) {
      this.emit('workload', id);
      this.emit('workloadEnded', id, 'failed');
    }
  }

  async volunteerSummary(volunteerId: string): Promise<VolunteerSummary | null> {
    const v = await this.store.getVolunteer(volunteerId);
    return v ? toVolunteerSummary(v) : null;
  }
}
