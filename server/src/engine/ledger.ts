// One transaction's worth of the engine's rules over units and volunteers: quorum decisions
// (Q1-Q6), verdicts and credit (C1, C2), the trust ledger (R3-R5, R8), errors and timeouts
// (L4, E1). A Ledger lives for one transaction and collects what the engine announces after the
// commit (who was credited, which workloads changed, ended, or have work to settle).
import type { WorkloadStatus } from '@tessera/shared';
import { isEstablished, suspendedUntil, type TrustPolicy } from '../scheduler/trustPolicy';
import { creditMicroFor } from './credit';
import type { KindPlugin, SpotCheckItem, WorkloadMeta } from './kind';
import { decideQuorum, sameBytes } from './quorum';
import type { ReplicaFault, ReplicaRow, Tx, UnitRow } from './repository';

/**
 * [E1] Distinct volunteers whose replicas of one unit timed out or errored before the unit
 * fails (fewer when the workload's maxErrors is lower): one volunteer alone never fails a unit.
 */
export const ERROR_VOLUNTEERS = 3;

/** Why a replica left flight without a result, and whether that counts against its volunteer. */
export interface CloseReason {
  state: 'timed_out' | 'errored';
  message: string;
  /**
   * [E1][E2] Whose fault: 'volunteer' (its own error or an expired lease: counted in its record
   * and towards failing the unit), 'disconnect' (a tab that closed: towards failing the unit
   * only, at a higher bar), or null (nobody's: a restart, a catch, a closed round).
   */
  fault: ReplicaFault;
}

export interface LedgerEnv {
  trust: TrustPolicy;
  meta(tx: Tx, workloadId: string): Promise<WorkloadMeta>;
  plugin(meta: WorkloadMeta): KindPlugin;
  /** [Q6] May this unit be arbitrated now (the kind has a reference, the budget allows)? */
  canArbitrate(meta: WorkloadMeta, idx: number): boolean;
}

export class Ledger {
  readonly credited = new Set<string>();
  readonly touched = new Set<string>();
  readonly reopened = new Set<string>();
  readonly ended = new Map<string, WorkloadStatus>();
  readonly settle = new Set<string>();
  readonly arbitrate: Array<{ workloadId: string; idx: number }> = [];
  /** [R9] Results taken in this transaction that get a sub-range spot check after it. */
  readonly spotChecks: SpotCheckItem[] = [];
  /** The verdict of every replica judged in this transaction. */
  readonly verdicts = new Map<number, 'valid' | 'invalid'>();
  /** Replicas left flight or units reopened: idle tabs may find work. */
  workAvailable = false;

  constructor(
    readonly tx: Tx,
    private readonly env: LedgerEnv,
  ) {}

  private get now(): number {
    return this.tx.now;
  }

  /**
   * [Q1]-[Q6] Applies the quorum decision to an open unit after its votes changed. `vote` is the
   * result just taken: when it is the unit's only result so far it is the only vote, and the
   * unit's replicas need not be read.
   */
  async reconsider(meta: WorkloadMeta, idx: number, vote?: ReplicaRow): Promise<void> {
    const unit = await this.tx.unit(meta.id, idx);
    if (!unit || unit.state !== 'open') return;
    const plugin = this.env.plugin(meta);
    // Every standing vote counts in `returned`, so one result returned is this one.
    const votes =
      vote && vote.state === 'returned' && unit.returned === 1
        ? [vote]
        : (await this.tx.replicasOfUnit(meta.id, idx)).filter((r) => r.state === 'returned');
    // Decoded on demand, once each; identical bytes agree undecoded (same is reflexive).
    const decoded = new Map<number, unknown>();
    const valueOf = (r: ReplicaRow) => {
      if (!decoded.has(r.id)) decoded.set(r.id, plugin.decode(meta, r.result!));
      return decoded.get(r.id);
    };
    const decision = decideQuorum<ReplicaRow>({
      returned: votes.map((r) => ({ replicaId: r.id, result: r })),
      inFlight: unit.inFlight,
      resultsSoFar: unit.returned,
      quorum: unit.quorum,
      maxReplicas: meta.redundancy.maxReplicas,
      same: (a, b) => sameBytes(a.result!, b.result!) || plugin.same(meta, valueOf(a), valueOf(b)),
      arbitrate: this.env.canArbitrate(meta, idx),
    });
    switch (decision.kind) {
      case 'wait':
        return;
      case 'arbitrate':
        this.arbitrate.push({ workloadId: meta.id, idx });
        return;
      case 'issue':
        if (decision.wanted > unit.wanted) {
          await this.tx.updateUnit(meta.id, idx, { wanted: decision.wanted });
          this.workAvailable = true;
        }
        return;
      case 'fail':
        await this.failUnit(meta, idx, decision.reason);
        return;
      case 'validated': {
        const owners = new Map(votes.map((r) => [r.id, r]));
        // [R3] verified: two or more agree and one of them has an established record (read
        // before this verdict adds to anyone's streak).
        let established = false;
        for (const id of decision.agreeing) {
          const v = await this.tx.volunteer(owners.get(id)!.volunteerId);
          if (v && isEstablished(v.consecutiveValid, this.env.trust)) established = true;
        }
        const verified = decision.agreeing.length >= 2 && established;
        await this.settleUnit(
          meta,
          unit,
          valueOf(decision.canonical),
          { canonical: decision.canonical.result!, canonicalReplica: decision.canonical.id },
          verified,
          (r) => decision.agreeing.includes(r.id),
          votes,
        );
        return;
      }
    }
  }

  /**
   * Settles the unit on `canonical` (`source`: its bytes, and the replica holding them): standing
   * votes that `agrees` are valid and credited, the rest offenses; [A1] then the kind folds it.
   */
  async settleUnit(
    meta: WorkloadMeta,
    unit: UnitRow,
    canonical: unknown,
    source: { canonical: Uint8Array; canonicalReplica: number | null },
    verified: boolean,
    agrees: (replica: ReplicaRow) => boolean,
    /** The unit's standing votes, when the caller has just read them. */
    standing?: ReplicaRow[],
  ): Promise<void> {
    await this.tx.updateUnit(meta.id, unit.idx, {
      state: 'validated',
      ...source,
      validatedAt: this.now,
      verified,
    });
    const votes =
      standing ??
      (await this.tx.replicasOfUnit(meta.id, unit.idx)).filter((r) => r.state === 'returned');
    for (const r of votes) await this.judge(r, agrees(r), unit.work);
    this.touched.add(meta.id);
    // A verdict above may have caught a volunteer, reopened units or failed this workload.
    const workload = (await this.tx.workload(meta.id))!;
    if (workload.status !== 'running' && workload.status !== 'queued') return;
    await this.tx.addUnitsValidated(meta.id, 1);
    const outcome = await this.env.plugin(meta).onValidated(this.tx, meta, unit, canonical);
    if (outcome.settle) this.settle.add(meta.id);
    if (outcome.complete) {
      await this.tx.setWorkloadStatus(meta.id, 'completed', null);
      this.ended.set(meta.id, 'completed');
    }
  }

  /** [C1][C2][R4][R5] Grants or withholds credit for one judged replica. */
  async judge(replica: ReplicaRow, valid: boolean, work: number): Promise<void> {
    await this.tx.updateReplica(replica.id, {
      state: valid ? 'valid' : 'invalid',
      offense: !valid,
    });
    this.verdicts.set(replica.id, valid ? 'valid' : 'invalid');
    if (!valid) {
      await this.catchVolunteer(replica.volunteerId, replica.id);
      return;
    }
    const v = (await this.tx.volunteer(replica.volunteerId))!;
    await this.tx.updateVolunteer(v.id, {
      creditMicro: v.creditMicro + creditMicroFor(work),
      unitsValid: v.unitsValid + 1,
      consecutiveValid: v.consecutiveValid + 1,
    });
    this.credited.add(v.id);
  }

  /**
   * [R4][R5] A volunteer was caught by the invalid verdict on `byReplica`: its streak resets,
   * the offense counts (suspension at the limit), every unverified unit its results settled is
   * taken back out and recomputed, its votes on open units are withdrawn, and everything it
   * has in flight is timed out, so nothing of it settles a unit after this.
   */
  async catchVolunteer(volunteerId: string, byReplica: number | null): Promise<void> {
    const v = await this.tx.volunteer(volunteerId);
    if (!v) return;
    const offenses = v.offenses + 1;
    await this.tx.updateVolunteer(volunteerId, {
      unitsInvalid: v.unitsInvalid + 1,
      consecutiveValid: 0,
      offenses,
      suspendedUntil: suspendedUntil(offenses, this.now, this.env.trust) ?? v.suspendedUntil,
    });
    for (const r of await this.tx.unverifiedSettledBy(volunteerId)) {
      await this.reopenUnit(await this.env.meta(this.tx, r.workloadId), r, byReplica);
    }
    for (const r of await this.tx.pendingVotesOf(volunteerId)) {
      const unit = await this.tx.unit(r.workloadId, r.unitIdx);
      await this.tx.updateReplica(r.id, {
        state: 'invalid',
        withdrawn: true,
        withdrawnBy: byReplica,
      });
      if (!unit || unit.state !== 'open') continue;
      await this.tx.updateUnit(r.workloadId, r.unitIdx, {
        returned: Math.max(0, unit.returned - 1),
      });
      await this.reconsider(await this.env.meta(this.tx, r.workloadId), r.unitIdx);
    }
    for (const r of await this.tx.inFlight({ volunteerId })) {
      await this.closeReplica(r, {
        state: 'timed_out',
        message: 'volunteer caught with a wrong result',
        fault: null,
      });
    }
  }

  /**
   * [R4] Takes an unverified canonical result back out of its workload's answer (the kind's
   * unfold) and reopens the unit. The caught volunteer's replica is withdrawn; agreeing ones
   * become plain votes again and lose the unit's credit; [R8] replicas the withdrawn result had
   * outvoted become votes again, their offense withdrawn (suspension lifted below the limit).
   */
  async reopenUnit(meta: WorkloadMeta, caught: ReplicaRow, byReplica: number | null) {
    const workload = await this.tx.workload(meta.id);
    const unit = await this.tx.unit(meta.id, caught.unitIdx);
    if (!workload || !unit || unit.state !== 'validated' || unit.canonical === null) return;
    if (workload.status === 'cancelled' || workload.status === 'failed') return;
    const plugin = this.env.plugin(meta);
    if (!(await plugin.unfold(this.tx, meta, unit, plugin.decode(meta, unit.canonical)))) return;
    await this.tx.addUnitsValidated(meta.id, -1);
    if (workload.status !== 'running') await this.tx.setWorkloadStatus(meta.id, 'running', null);
    this.ended.delete(meta.id);
    const quorum = meta.redundancy.quorum;
    await this.tx.updateUnit(meta.id, unit.idx, {
      state: 'open',
      canonical: null,
      validatedAt: null,
      verified: true,
      quorum,
      wanted: Math.max(unit.wanted, quorum),
    });
    const credit = creditMicroFor(unit.work);
    let standing = 0;
    for (const r of await this.tx.replicasOfUnit(meta.id, unit.idx)) {
      if (r.state === 'valid') {
        const isCaught = r.id === caught.id;
        await this.tx.updateReplica(r.id, {
          state: isCaught ? 'invalid' : 'returned',
          withdrawn: isCaught,
          withdrawnBy: isCaught ? byReplica : null,
        });
        const v = (await this.tx.volunteer(r.volunteerId))!;
        await this.tx.updateVolunteer(v.id, {
          creditMicro: v.creditMicro - credit,
          unitsValid: Math.max(0, v.unitsValid - 1),
        });
        this.credited.add(v.id);
        if (!isCaught) standing += 1;
      } else if (r.state === 'invalid' && r.result !== null && !r.withdrawn) {
        await this.exonerate(r);
        standing += 1;
      } else if (r.state === 'returned') {
        standing += 1;
      }
    }
    // The replica budget counts the votes still standing, not the withdrawn ones.
    await this.tx.updateUnit(meta.id, unit.idx, { returned: standing });
    this.reopened.add(meta.id);
    this.touched.add(meta.id);
    this.workAvailable = true;
    await this.reconsider(meta, unit.idx);
  }

  /**
   * [R8] An outvoted replica whose verdict rested on a withdrawn result is a vote again: its
   * offense is withdrawn (suspension lifted when its volunteer falls below the limit), and what
   * its volunteer's catch withdrew comes back as votes on their units.
   */
  private async exonerate(replica: ReplicaRow): Promise<void> {
    await this.tx.updateReplica(replica.id, { state: 'returned', offense: false });
    if (!replica.offense) return;
    const v = (await this.tx.volunteer(replica.volunteerId))!;
    const offenses = Math.max(0, v.offenses - 1);
    await this.tx.updateVolunteer(v.id, {
      unitsInvalid: Math.max(0, v.unitsInvalid - 1),
      offenses,
      suspendedUntil: offenses < this.env.trust.offenseLimit ? null : v.suspendedUntil,
    });
    for (const back of await this.tx.withdrawnBy(replica.id)) {
      await this.tx.updateReplica(back.id, {
        state: 'returned',
        withdrawn: false,
        withdrawnBy: null,
      });
      const meta = await this.env.meta(this.tx, back.workloadId);
      const unit = await this.tx.unit(back.workloadId, back.unitIdx);
      if (!unit || back.result === null) continue;
      if (unit.state === 'open') {
        await this.tx.updateUnit(meta.id, unit.idx, { returned: unit.returned + 1 });
        await this.reconsider(meta, unit.idx);
      } else if (unit.state === 'validated' && unit.canonical !== null) {
        // [Q5] settled again meanwhile: judged against what settled it.
        const plugin = this.env.plugin(meta);
        const agrees = plugin.same(
          meta,
          plugin.decode(meta, back.result),
          plugin.decode(meta, unit.canonical),
        );
        await this.judge(back, agrees, unit.work);
      }
      this.touched.add(meta.id);
    }
  }

  /** [L4][E1] Takes a replica out of flight without a result; fails its unit past the budget. */
  async closeReplica(replica: ReplicaRow, reason: CloseReason): Promise<void> {
    await this.tx.updateReplica(replica.id, {
      state: reason.state,
      error: reason.message,
      returnedAt: this.now,
      fault: reason.fault,
    });
    this.workAvailable = true;
    if (reason.fault === 'volunteer') {
      const v = await this.tx.volunteer(replica.volunteerId);
      if (v) await this.tx.updateVolunteer(v.id, { unitsErrored: v.unitsErrored + 1 });
    }
    const unit = await this.tx.unit(replica.workloadId, replica.unitIdx);
    if (!unit) return;
    await this.tx.updateUnit(unit.workloadId, unit.idx, {
      inFlight: Math.max(0, unit.inFlight - 1),
      errors: unit.errors + 1,
    });
    if (unit.state !== 'open') return;
    const meta = await this.env.meta(this.tx, replica.workloadId);
    await this.endLoneRun(meta, unit);
    const workload = (await this.tx.workload(meta.id))!;
    if (workload.status !== 'running' && workload.status !== 'queued') return;
    const failing = await this.tx.failingVolunteers(meta.id, unit.idx);
    const { maxErrors } = meta.redundancy;
    let fails = failing.any > maxErrors;
    if (!fails && failing.own >= Math.min(ERROR_VOLUNTEERS, maxErrors + 1)) {
      // A broken kernel fails for (nearly) everyone; saboteurs are a minority of the crowd.
      const crowd = await this.tx.workloadFaults(meta.id);
      fails = crowd.faulty * 2 >= crowd.leasers;
    }
    if (fails) {
      const n = Math.max(failing.own, failing.any);
      await this.failUnit(
        meta,
        unit.idx,
        `replicas of ${n} volunteers timed out or errored (maxErrors ${maxErrors}); last: ${reason.message}`,
      );
    }
  }

  /** [R2] A lone run that ended without a valid result: the unit goes back to full replication. */
  async endLoneRun(meta: WorkloadMeta, unit: UnitRow): Promise<void> {
    const quorum = meta.redundancy.quorum;
    if (unit.state === 'open' && unit.quorum < quorum) {
      await this.tx.updateUnit(meta.id, unit.idx, {
        quorum,
        wanted: Math.max(unit.wanted, quorum),
      });
    }
  }

  /** [Q4][E1] One unit that cannot be settled fails its workload, with the reason, at once. */
  async failUnit(meta: WorkloadMeta, idx: number, reason: string): Promise<void> {
    await this.tx.updateUnit(meta.id, idx, { state: 'failed' });
    await this.tx.addUnitsFailed(meta.id, 1);
    await this.endWorkload(meta.id, 'failed', `unit ${idx}: ${reason}`);
  }

  /** Ends a workload: its replicas in flight stop counting against their tabs. */
  async endWorkload(id: string, status: 'failed' | 'cancelled', reason: string): Promise<void> {
    await this.tx.setWorkloadStatus(id, status, reason);
    this.ended.set(id, status);
    this.touched.add(id);
    for (const r of await this.tx.inFlight({ workloadId: id })) {
      await this.tx.updateReplica(r.id, {
        state: 'timed_out',
        error: `workload ${status}`,
        returnedAt: this.now,
      });
      const unit = await this.tx.unit(id, r.unitIdx);
      if (unit) await this.tx.updateUnit(id, r.unitIdx, { inFlight: 0 });
    }
  }
}
