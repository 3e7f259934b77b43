// What follows a commit: announcing what changed (socket.io namespaces and the dashboard listen),
// letting kinds settle outside the write lock (gradient rounds, [A4]), and arbitrating contested
// units with the kind's reference ([Q6]); and releases of replicas in flight ([L4][L5]), which
// end in the same announcements.
import type { EventEmitter } from 'node:events';
import type { Counters } from '../metrics';
import type { KindPlugin, WorkloadMeta } from './kind';
import { Ledger, type CloseReason, type LedgerEnv } from './ledger';
import type { InFlightFilter, Tx } from './repository';
import type { WorkloadStatus } from '@tessera/shared';

/** [Q6] Contested units arbitrated at once at most; past it they are decided by vote. */
export const MAX_ARBITRATIONS = 4;

/** What a release did: replicas taken out of flight, workloads failed by it ([E1]). */
export interface ReleaseOutcome {
  released: number;
  failedWorkloads: string[];
}

interface Announcements {
  workload: [workloadId: string];
  workloadEnded: [workloadId: string, status: WorkloadStatus];
  credited: [volunteerIds: string[]];
  workAvailable: [];
}

export interface EngineCore {
  readonly counters: Counters;
  readonly events: EventEmitter<Announcements>;
  readonly ledgerEnv: LedgerEnv;
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  meta(tx: Tx, id: string): Promise<WorkloadMeta>;
  plugin(meta: { kind: WorkloadMeta['kind'] }): KindPlugin;
}

export class Aftermath {
  /** Units being arbitrated now, by `workload:index`. */
  readonly arbitrating = new Set<string>();

  constructor(private readonly core: EngineCore) {}

  /** [Q6] Whether a contested unit may be arbitrated now. */
  canArbitrate(meta: WorkloadMeta, idx: number): boolean {
    return (
      this.core.plugin(meta).reference !== undefined &&
      (this.arbitrating.has(`${meta.id}:${idx}`) || this.arbitrating.size < MAX_ARBITRATIONS)
    );
  }

  /** After a commit: announce, let kinds settle, arbitrate contested units. */
  async finish(ledger: Ledger): Promise<void> {
    const { events, counters } = this.core;
    for (const id of ledger.touched) events.emit('workload', id);
    for (const id of ledger.reopened) events.emit('workload', id);
    if (ledger.reopened.size > 0) counters.inc('tessera_recheck_reopened_total');
    if (ledger.credited.size > 0) events.emit('credited', [...ledger.credited]);
    for (const [id, status] of ledger.ended) events.emit('workloadEnded', id, status);
    if (ledger.workAvailable || ledger.reopened.size > 0) events.emit('workAvailable');
    for (const id of ledger.settle) await this.settle(id);
    for (const unit of ledger.arbitrate) await this.arbitrate(unit.workloadId, unit.idx);
  }

  /** Takes the replicas `filter` selects out of flight, in one transaction. */
  async release(
    filter: InFlightFilter,
    reason: CloseReason,
    counter: string,
  ): Promise<ReleaseOutcome> {
    const { ledger, released } = await this.core.transaction(async (tx) => {
      const ledger = new Ledger(tx, this.core.ledgerEnv);
      const rows = await tx.inFlight(filter);
      for (const row of rows) {
        // A workload failing inside the loop has already closed its other replicas.
        const current = await tx.replica(row.id);
        if (current?.state === 'in_flight') await ledger.closeReplica(current, reason);
      }
      return { ledger, released: rows.length };
    });
    this.core.counters.inc(counter, {}, released);
    await this.finish(ledger);
    const failedWorkloads = [...ledger.ended].filter(([, s]) => s === 'failed').map(([id]) => id);
    return { released, failedWorkloads };
  }

  /** Open units with standing votes and nothing in flight are decided again ([Q6]). */
  async redecideStalled(): Promise<void> {
    const ledger = await this.core.transaction(async (tx) => {
      const ledger = new Ledger(tx, this.core.ledgerEnv);
      for (const u of await tx.stalledUnits(64)) {
        await ledger.reconsider(await this.core.meta(tx, u.workloadId), u.idx);
      }
      return ledger;
    });
    await this.finish(ledger);
  }

  /** Lets every active workload's kind settle (close ready rounds); after a crash, too. */
  async settleActive(): Promise<void> {
    const active = await this.core.transaction((tx) => tx.activeWorkloads());
    for (const w of active) await this.settle(w.id);
  }

  private async settle(workloadId: string): Promise<void> {
    const { events } = this.core;
    const meta = await this.core.transaction((tx) => this.core.meta(tx, workloadId));
    const outcome = await this.core.plugin(meta).settle(meta);
    if (outcome.opened || outcome.ended) events.emit('workload', workloadId);
    if (outcome.ended) events.emit('workloadEnded', workloadId, outcome.ended);
    else if (outcome.opened) events.emit('workAvailable');
  }

  /** [Q6] The coordinator computes a contested unit itself; the votes equal to it are valid. */
  private async arbitrate(workloadId: string, idx: number): Promise<void> {
    const key = `${workloadId}:${idx}`;
    if (this.arbitrating.has(key)) return;
    this.arbitrating.add(key);
    try {
      const { meta, unit } = await this.core.transaction(async (tx) => ({
        meta: await this.core.meta(tx, workloadId),
        unit: await tx.unit(workloadId, idx),
      }));
      if (!unit || unit.state !== 'open') return;
      const plugin = this.core.plugin(meta);
      const reference = await plugin.reference!(meta, unit);
      if (!reference) return;
      this.core.counters.inc('tessera_units_arbitrated_total');
      const ledger = await this.core.transaction(async (tx) => {
        const ledger = new Ledger(tx, this.core.ledgerEnv);
        const current = await tx.unit(workloadId, idx);
        const workload = await tx.workload(workloadId);
        if (!current || current.state !== 'open' || !workload) return ledger;
        if (workload.status !== 'running' && workload.status !== 'queued') return ledger;
        // The coordinator's own result is no replica's: the unit stores its bytes.
        const source = { canonical: reference.bytes, canonicalReplica: null };
        await ledger.settleUnit(meta, current, reference.result, source, true, (r) =>
          plugin.same(meta, plugin.decode(meta, r.result!), reference.result),
        );
        return ledger;
      });
      await this.finish(ledger);
    } finally {
      this.arbitrating.delete(key);
    }
  }
}
