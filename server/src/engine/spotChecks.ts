// [R9] Sub-range spot checks: after the transaction that took a result, the coordinator
// recomputes one block of it, chosen at random then, and compares it exactly. A mismatch is an
// offense judged in a transaction of its own: the replica is invalid, its volunteer caught (R4),
// and a unit its result settled is taken back even when verified (its canonical result is wrong).
// Checks run one at a time off the result path (the reference is CPU work, the kernel lab one
// child process); a bounded queue keeps a flood of results from growing it without end.
import type { Counters } from '../metrics';
import type { KindPlugin, SpotCheckItem, WorkloadMeta } from './kind';
import { Ledger, type LedgerEnv } from './ledger';
import type { Tx } from './repository';

/** [R9] Checks waiting at most; past it a check is skipped (and counted). */
export const MAX_QUEUED_SPOT_CHECKS = 256;

export interface SpotCheckPolicy {
  /** Checks on at all. */
  enabled: boolean;
  /** Share of replicated results checked; every lone one is. */
  rate: number;
  /** Which results get checked and which block. */
  random(): number;
}

/** What the checks use of the engine (the Coordinator is one). */
export interface SpotCheckCore {
  readonly counters: Counters;
  readonly ledgerEnv: LedgerEnv;
  readonly logger: { warn(fields: Record<string, unknown>, message: string): void };
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  plugin(meta: { kind: WorkloadMeta['kind'] }): KindPlugin;
}

export class SpotChecks {
  private readonly queue: SpotCheckItem[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly core: SpotCheckCore,
    /** Announces what a failed check's transaction changed. */
    private readonly after: { finish(ledger: Ledger): Promise<void> },
    private readonly policy: SpotCheckPolicy,
  ) {}

  /** Whether a result gets checked: every lone one, a `rate` share of the replicated ones. */
  wants(lone: boolean): boolean {
    if (!this.policy.enabled) return false;
    return lone || this.policy.random() < this.policy.rate;
  }

  /** Queues checks of results just committed; they run after this call returns. */
  enqueue(items: readonly SpotCheckItem[]): void {
    for (const item of items) {
      if (this.queue.length >= MAX_QUEUED_SPOT_CHECKS) {
        this.core.counters.inc('tessera_spot_checks_total', { outcome: 'skipped' });
        continue;
      }
      this.queue.push(item);
    }
    if (this.queue.length > 0 && !this.running) {
      this.running = this.work().finally(() => {
        this.running = null;
      });
    }
  }

  /** Resolves once every queued check has run (tests, the simulator, shutdown). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
  }

  private async work(): Promise<void> {
    // Off the result path: the caller's reply goes out before the first reference runs.
    await new Promise((resolve) => setImmediate(resolve));
    for (let item = this.queue.shift(); item; item = this.queue.shift()) {
      try {
        await this.check(item);
      } catch (error) {
        this.core.counters.inc('tessera_spot_checks_total', { outcome: 'error' });
        this.core.logger.warn(
          { err: error, replicaId: item.replicaId },
          'spot check failed to run',
        );
      }
    }
  }

  private async check(item: SpotCheckItem): Promise<void> {
    // Nothing is read from the store for a check: a result found right costs no transaction.
    const meta = item.meta;
    const plugin = this.core.plugin(meta);
    if (!plugin.spotCheck) return;
    const outcome = await plugin.spotCheck(meta, item.idx, item.result, this.policy.random());
    if (!outcome) {
      this.core.counters.inc('tessera_spot_checks_total', { outcome: 'skipped' });
      return;
    }
    this.core.counters.inc('tessera_spot_checks_total', {
      outcome: outcome.ok ? 'passed' : 'failed',
    });
    if (outcome.ok) return;
    const message = `spot check: block ${outcome.block + 1} of ${outcome.blocks} differs from the coordinator's`;
    this.core.logger.warn(
      { replicaId: item.replicaId, workloadId: meta.id, unit: item.idx },
      message,
    );
    const ledger = await this.core.transaction((tx) => this.convict(tx, meta, item, message));
    await this.after.finish(ledger);
  }

  /** The checked replica is an offense; what its result settled is taken back. */
  private async convict(
    tx: Tx,
    meta: WorkloadMeta,
    item: SpotCheckItem,
    message: string,
  ): Promise<Ledger> {
    const ledger = new Ledger(tx, this.core.ledgerEnv);
    const replica = await tx.replica(item.replicaId);
    if (!replica || replica.result === null) return ledger;
    if (replica.state !== 'valid' && replica.state !== 'returned') return ledger;
    await tx.updateReplica(replica.id, { offense: true, error: message });
    const unit = await tx.unit(meta.id, replica.unitIdx);
    if (replica.state === 'valid' && unit?.state === 'validated' && unit.verified) {
      // Verified units are not taken back by a catch (R4): this one rests on a wrong result.
      await ledger.reopenUnit(meta, { ...replica, offense: true }, replica.id);
    }
    // Unverified units it settled are taken back, its pending votes withdrawn (R4).
    await ledger.catchVolunteer(replica.volunteerId, replica.id);
    const after = await tx.replica(replica.id);
    if (after && after.state !== 'invalid') {
      await tx.updateReplica(replica.id, { state: 'invalid', offense: true, error: message });
    }
    ledger.verdicts.set(replica.id, 'invalid');
    ledger.touched.add(meta.id);
    return ledger;
  }
}
