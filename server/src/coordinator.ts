// The coordinator: what REST handlers and socket handlers call. It runs the one work engine
// (server/src/engine/) over a repository: every state change is one transaction with a Ledger
// of the rules, every kind a plug-in (server/src/kinds/). After a commit it announces what
// changed, lets kinds settle outside the write lock (closing gradient rounds) and arbitrates
// contested units with the kind's reference ([Q6]).
import { EventEmitter } from 'node:events';
import {
  ERROR_CODES,
  TesseraError,
  type Lease,
  type LeaseAttachment,
  type ResultReply,
  type SubmitWorkload,
} from '@tessera/shared';
import type { Clock } from './clock';
import type { BatchReply, CoordinatorEvents } from './coordinatorTypes';
import { Counters, Timings } from './metrics';
import { silentLogger, type Logger } from './ops/logger';
import { trustPolicyOf, type SchedulerOptions } from './scheduler/schedulerOptions';
import { ThroughputMeter } from './scheduler/throughputMeter';
import type { TrustPolicy } from './scheduler/trustPolicy';
import type { KindPlugin, WorkloadMeta } from './engine/kind';
import { Ledger, type LedgerEnv } from './engine/ledger';
import { Aftermath, type ReleaseOutcome } from './engine/aftermath';
import { leaseUnits, renewLease, type LeaseEnv } from './engine/leasing';
import type { Repository, Tx, VolunteerRow } from './engine/repository';
import type { ResultItem } from './engine/results';
import { ResultBatches } from './engine/resultBatches';
import {
  cryptoRandom,
  newId,
  type ConnectionIdentity,
  type RandomSource,
  type WorkloadRecord,
} from './engine/views';
import { datasetsOf, uploadedDatasetOf, type Datasets } from './datasets/datasets';
import { createKinds, type Kinds } from './kinds/registry';
import { identifyVolunteer } from './engine/identities';
import { CoordinatorReads } from './engine/reads';
import { SpotChecks } from './engine/spotChecks';
import { mulberry32 } from './sim/seededRandom';

export {
  cryptoRandom,
  newId,
  toVolunteerSummary,
  toWorkloadView,
  type ConnectionIdentity,
  type RandomSource,
  type WorkloadRecord,
} from './engine/views';

/** [E2] How long the crowd's error rate is reused before it is read again. */
const CROWD_RATE_TTL_MS = 5_000;

export class Coordinator extends EventEmitter<CoordinatorEvents> {
  readonly counters = new Counters();
  readonly timings = new Timings(this.counters.registry);
  readonly trust: TrustPolicy;
  readonly throughput = new ThroughputMeter();
  readonly kinds: Kinds;
  /** Researchers' uploaded datasets. */
  readonly datasets: Datasets;
  /** Reads for views (REST, dashboard, stats). */
  readonly reads: CoordinatorReads;
  private readonly metas = new Map<string, WorkloadMeta>();
  private crowd = { rate: 0, at: -Infinity };
  readonly ledgerEnv: LedgerEnv;
  private readonly aftermath: Aftermath;
  /** [R9] Sub-range spot checks, run after the results they check are committed. */
  readonly spotChecks: SpotChecks;
  private readonly results: ResultBatches;

  constructor(
    readonly repository: Repository,
    readonly clock: Clock,
    readonly options: SchedulerOptions,
    private readonly random: RandomSource = cryptoRandom,
    readonly logger: Logger = silentLogger,
  ) {
    super();
    this.trust = trustPolicyOf(options);
    this.datasets = datasetsOf(repository, () => clock.now());
    this.kinds = createKinds({ repository, now: () => clock.now(), datasets: this.datasets });
    this.reads = new CoordinatorReads(this);
    this.aftermath = new Aftermath(this);
    this.ledgerEnv = {
      trust: this.trust,
      meta: (tx, id) => this.meta(tx, id),
      plugin: (meta) => this.plugin(meta),
      canArbitrate: (meta, idx) => options.arbitration && this.aftermath.canArbitrate(meta, idx),
    };
    this.spotChecks = new SpotChecks(this, this.aftermath, {
      enabled: options.blockChecks,
      rate: options.blockCheckRate,
      // Seeded scheduling (tests, the simulator) gets a seeded stream of its own.
      random: random === cryptoRandom ? cryptoRandom : mulberry32(0x5b07c4ec),
    });
    this.results = new ResultBatches(this, this.aftermath, this.spotChecks);
  }

  /** The announcements (EngineCore): this coordinator is its own event emitter. */
  get events(): this {
    return this;
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.timings.transaction(() => this.repository.transaction(this.clock.now(), work));
  }

  plugin(meta: { kind: WorkloadMeta['kind'] }): KindPlugin {
    return this.kinds[meta.kind];
  }

  /** The immutable facts of a workload, the spec parsed once. */
  async meta(tx: Tx, id: string): Promise<WorkloadMeta> {
    const cached = this.metas.get(id);
    if (cached) return cached;
    const row = await tx.workload(id);
    if (!row) throw new TesseraError(ERROR_CODES.notFound, `no workload with id ${id}`);
    const meta: WorkloadMeta = {
      id: row.id,
      name: row.name,
      kind: row.kind,
      estimator: row.estimator,
      spec: this.kinds[row.kind].parseSpec(row.spec),
      redundancy: row.redundancy,
    };
    this.metas.set(id, meta);
    return meta;
  }

  // --- researchers --------------------------------------------------------------------------

  async submitWorkload(
    input: SubmitWorkload,
    owner: { tokenId: string | null } = { tokenId: null },
  ): Promise<WorkloadRecord> {
    const id = newId();
    const now = this.clock.now();
    // Planning (splitting, loading a dataset, cutting partitions) runs outside the transaction.
    const plan = await this.kinds[input.kind].plan(input, id, now);
    const dataset = uploadedDatasetOf(plan.spec);
    await this.transaction(async (tx) => {
      // Read while planning, it may have been deleted since; held now, it stays until commit.
      if (dataset !== null && !(await tx.holdDataset(dataset, 'use'))) {
        throw new TesseraError(
          ERROR_CODES.conflict,
          `dataset ${dataset} was deleted while this workload was being submitted`,
        );
      }
      await tx.insertWorkload({
        id,
        name: input.name ?? plan.name,
        kind: input.kind,
        estimator: plan.estimator,
        spec: plan.spec,
        redundancy: input.redundancy,
        status: 'queued',
        unitsTotal: plan.unitsTotal,
        unitsValidated: 0,
        unitsFailed: 0,
        aggregate: plan.aggregate,
        failureReason: null,
        owner: owner.tokenId,
        priority: input.priority ?? 0,
        createdAt: now,
      });
      await tx.insertUnits(id, plan.units, input.redundancy.quorum);
      for (const [name, bytes] of Object.entries(plan.blobs ?? {}))
        await tx.putBlob(id, name, bytes);
      for (const r of plan.records ?? []) await tx.putRecord(id, r.seq, r.body);
    });
    this.counters.inc('tessera_workloads_submitted_total');
    this.emit('workload', id);
    this.emit('workAvailable');
    return this.requireWorkload(id);
  }

  async cancelWorkload(id: string): Promise<WorkloadRecord> {
    const ledger = await this.transaction(async (tx) => {
      const before = await tx.workload(id);
      if (!before) throw new TesseraError(ERROR_CODES.notFound, `no workload with id ${id}`);
      if (before.status !== 'queued' && before.status !== 'running') {
        throw new TesseraError(ERROR_CODES.conflict, `workload ${id} is already ${before.status}`);
      }
      const ledger = new Ledger(tx, this.ledgerEnv);
      await ledger.endWorkload(id, 'cancelled', 'cancelled by the researcher');
      return ledger;
    });
    await this.aftermath.finish(ledger);
    return this.requireWorkload(id);
  }

  getWorkload(id: string): Promise<WorkloadRecord | null> {
    return this.reads.workload(id);
  }

  async requireWorkload(id: string): Promise<WorkloadRecord> {
    const record = await this.reads.workload(id);
    if (!record) throw new TesseraError(ERROR_CODES.notFound, `no workload with id ${id}`);
    return record;
  }

  /** The public answer of a workload built from its canonical results so far. */
  async resultOf(record: WorkloadRecord): Promise<Record<string, unknown>> {
    return this.transaction((tx) => this.kinds[record.kind].result(record, tx));
  }

  // --- volunteers ---------------------------------------------------------------------------

  /** Verifies a returning volunteer, or mints a new identity. */
  identify(
    credentials: { volunteerId: string; secret: string } | undefined,
    displayName: string | undefined,
  ): Promise<{ volunteer: VolunteerRow; secret?: string }> {
    return this.transaction((tx) => identifyVolunteer(tx, credentials, displayName));
  }

  private async crowdErrorRate(): Promise<number> {
    const now = this.clock.now();
    if (now - this.crowd.at > CROWD_RATE_TTL_MS) {
      const { errors, results } = await this.transaction((tx) => tx.crowdErrors());
      this.crowd = { rate: errors / Math.max(1, errors + results), at: now };
    }
    return this.crowd.rate;
  }

  /**
   * [L6] Leases a batch sized to the tab: as many units as fit in `leaseWorkSeconds` at its
   * measured throughput, at most `maxUnits`, in one transaction.
   */
  leaseBatch(identity: ConnectionIdentity, maxUnits = 1): Promise<Lease[]> {
    return this.timings.lease(() => this.leaseNow(identity, maxUnits));
  }

  private async leaseNow(identity: ConnectionIdentity, maxUnits: number): Promise<Lease[]> {
    const env: LeaseEnv = {
      trust: this.trust,
      leaseDurationMs: this.options.leaseDurationMs,
      maxLeasesPerConnection: this.options.maxLeasesPerConnection,
      leaseWorkSeconds: this.options.leaseWorkSeconds,
      rate: this.throughput.rate(identity.connectionId),
      crowdErrorRate: await this.crowdErrorRate(),
      random: this.random,
      meta: (tx, id) => this.meta(tx, id),
      plugin: (meta) => this.plugin(meta),
    };
    const leased = await this.transaction((tx) => leaseUnits(tx, env, identity, maxUnits));
    if (!Array.isArray(leased)) {
      throw new TesseraError(
        ERROR_CODES.suspended,
        `too many invalid results or errors: no work until ${new Date(leased.suspendedUntil).toISOString()}`,
      );
    }
    const leases = leased.map((l) => {
      const locality = this.plugin(l.meta).localityOf?.(identity.connectionId, l.unit) ?? null;
      // [L9] how often a unit went to a tab that already held its data partition.
      if (locality)
        this.counters.inc('tessera_gradient_partition_leases_total', { partition: locality });
      return this.plugin(l.meta).toLease(
        l.meta,
        l.unit,
        { id: l.replicaId, deadline: l.deadline, leaseDurationMs: this.options.leaseDurationMs },
        identity.connectionId,
      );
    });
    if (leases.length > 0) {
      this.counters.inc('tessera_replicas_leased_total', {}, leases.length);
      this.logger.debug({ ...identity, replicaIds: leases.map((l) => l.replicaId) }, 'leased');
      for (const id of new Set(leases.map((l) => l.workloadId))) this.emit('workload', id);
    }
    return leases;
  }

  /** [L14] What the leases will fetch next, to send with them: each URL once. */
  async attachmentsFor(connectionId: string, leases: readonly Lease[]): Promise<LeaseAttachment[]> {
    const found: LeaseAttachment[] = [];
    for (const lease of leases) {
      const plugin: KindPlugin = this.kinds[lease.kind];
      const attached = await plugin.attachment?.(lease, connectionId);
      if (attached && !found.some((a) => a.url === attached.url)) found.push(attached);
    }
    return found;
  }

  /** Leases one unit (leaseBatch of one). */
  async lease(identity: ConnectionIdentity): Promise<Lease | null> {
    return (await this.leaseBatch(identity, 1))[0] ?? null;
  }

  async renew(volunteerId: string, replicaId: number): Promise<number> {
    const deadline = this.clock.now() + this.options.leaseDurationMs;
    if (!(await this.transaction((tx) => renewLease(tx, volunteerId, replicaId, deadline)))) {
      throw new TesseraError(
        ERROR_CODES.leaseExpired,
        'this lease is not held any more: drop the unit',
      );
    }
    return deadline;
  }

  /** Stops what runs beside the engine: queued spot checks finish, the kernel lab closes. */
  async close(): Promise<void> {
    await this.spotChecks.drain();
    await this.kinds.montecarlo.close();
  }

  /** One result; a refusal throws its protocol error. */
  async submitResult(
    volunteerId: string,
    replicaId: number,
    result: unknown,
    elapsedMs: number,
    connectionId?: string,
  ): Promise<ResultReply> {
    const [reply] = await this.results.take(volunteerId, connectionId ?? null, [
      { replicaId, result, elapsedMs },
    ]);
    if (!reply!.ok) throw new TesseraError(reply!.error.code, reply!.error.message);
    return { verdict: reply!.verdict };
  }

  /** [L6] Results of a batch, in one transaction; each item answered on its own. */
  submitResults(identity: ConnectionIdentity, items: readonly ResultItem[]): Promise<BatchReply[]> {
    return this.results.take(identity.volunteerId, identity.connectionId, items);
  }

  async reportError(volunteerId: string, replicaId: number, message: string): Promise<void> {
    const ledger = await this.transaction(async (tx) => {
      const r = await tx.replica(replicaId);
      if (!r || r.volunteerId !== volunteerId || r.state !== 'in_flight') return null;
      const ledger = new Ledger(tx, this.ledgerEnv);
      await ledger.closeReplica(r, { state: 'errored', message, fault: 'volunteer' });
      return ledger;
    });
    if (!ledger) throw new TesseraError(ERROR_CODES.notLeased, 'this unit is not leased to you');
    this.counters.inc('tessera_replicas_errored_total');
    await this.aftermath.finish(ledger);
  }

  async releaseConnection(connectionId: string): Promise<ReleaseOutcome> {
    this.throughput.forget(connectionId);
    for (const plugin of Object.values(this.kinds)) plugin.forgetConnection(connectionId);
    return this.aftermath.release(
      { connectionId },
      { state: 'timed_out', message: 'volunteer disconnected', fault: 'disconnect' },
      'tessera_replicas_released_total',
    );
  }

  /**
   * [L5] Leases granted by coordinator processes that are gone (the previous run of this one,
   * or a dead peer on a shared store): their connections went with them, so the leases are
   * released at once instead of at their deadlines; rounds left ready to close are closed.
   */
  async releaseOrphanedLeases(settle = true): Promise<number> {
    const { released } = await this.aftermath.release(
      { orphaned: true },
      { state: 'timed_out', message: 'the coordinator process holding it stopped', fault: null },
      'tessera_replicas_released_total',
    );
    if (settle) await this.aftermath.settleActive();
    return released;
  }

  /** The sweep: expired and orphaned leases back, stalled units re-decided, rounds settled. */
  async expireLeases(): Promise<number> {
    await this.releaseOrphanedLeases(false);
    const { released } = await this.aftermath.release(
      { deadlineBefore: this.clock.now() },
      { state: 'timed_out', message: 'lease expired', fault: 'volunteer' },
      'tessera_replicas_timed_out_total',
    );
    await this.aftermath.redecideStalled();
    await this.aftermath.settleActive();
    return released;
  }
}
