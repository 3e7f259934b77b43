// [V1][V2][L4][Q5][R9] A returned result, inside the batch's transaction: refused unless its
// volunteer holds the replica in flight and within its deadline; parsed and checked by the
// kind; then a vote on its unit (quorum), or judged against the canonical result when the unit
// was already settled.
import type { ErrorCode } from '@tessera/shared';
import type { Ledger } from './ledger';
import type { KindPlugin, WorkloadMeta } from './kind';
import { sameBytes } from './quorum';

export interface ResultItem {
  replicaId: number;
  result: unknown;
  elapsedMs: number;
}

export type ItemOutcome =
  | {
      ok: true;
      verdict: 'pending' | 'valid' | 'invalid';
      workloadId: string;
      connectionWork: number;
    }
  | { ok: false; code: ErrorCode; message: string };

export interface ResultEnv {
  meta(workloadId: string): Promise<WorkloadMeta>;
  plugin(meta: WorkloadMeta): KindPlugin;
  /** [R9] Whether this result gets a sub-range spot check (every lone one, a share of the rest). */
  spotCheck(meta: WorkloadMeta, lone: boolean): boolean;
}

function refused(code: ErrorCode, message: string): ItemOutcome {
  return { ok: false, code, message };
}

export async function takeResult(
  ledger: Ledger,
  env: ResultEnv,
  volunteerId: string,
  item: ResultItem,
): Promise<ItemOutcome> {
  const tx = ledger.tx;
  const replica = await tx.replica(item.replicaId);
  // [V1] a result is only taken from the volunteer that holds the replica, once.
  if (!replica || replica.volunteerId !== volunteerId) {
    return refused('NOT_LEASED', 'this unit is not leased to you');
  }
  const meta = await env.meta(replica.workloadId);
  const plugin = env.plugin(meta);
  const workload = (await tx.workload(meta.id))!;
  const unit = await tx.unit(meta.id, replica.unitIdx);
  const stale = unit && plugin.refuseStale ? plugin.refuseStale(workload, unit) : null;
  if (stale !== null) {
    if (replica.state === 'in_flight') {
      await ledger.closeReplica(replica, {
        state: 'timed_out',
        message: 'round closed',
        fault: null,
      });
    }
    return refused('LEASE_EXPIRED', stale);
  }
  if (replica.state !== 'in_flight') {
    return replica.state === 'timed_out' || replica.state === 'errored'
      ? refused('LEASE_EXPIRED', 'the lease on this unit expired')
      : refused('NOT_LEASED', 'a result for this lease was already returned');
  }
  if (replica.deadline < tx.now) {
    // [L4] past its deadline is expired, whether or not the sweep has run yet.
    await ledger.closeReplica(replica, {
      state: 'timed_out',
      message: 'lease expired',
      fault: 'volunteer',
    });
    return refused('LEASE_EXPIRED', 'the lease on this unit expired');
  }
  if (workload.status === 'cancelled' || workload.status === 'failed' || !unit) {
    await ledger.closeReplica(replica, {
      state: 'timed_out',
      message: `workload ${workload.status}`,
      fault: null,
    });
    return refused('LEASE_EXPIRED', `the workload was ${workload.status}`);
  }
  const parsed = plugin.parseResult(meta, unit, item.result);
  const returnedUnit = { inFlight: Math.max(0, unit.inFlight - 1), returned: unit.returned + 1 };
  if ('problem' in parsed) {
    // [V2] malformed or impossible: judged invalid at once, counts against the volunteer.
    await tx.updateReplica(replica.id, {
      state: 'invalid',
      returnedAt: tx.now,
      elapsedMs: item.elapsedMs,
      error: parsed.problem,
      offense: true,
    });
    await tx.updateUnit(meta.id, unit.idx, returnedUnit);
    ledger.touched.add(meta.id);
    if (unit.state === 'open') {
      await ledger.endLoneRun(meta, { ...unit, ...returnedUnit });
      await ledger.reconsider(meta, unit.idx);
    }
    await ledger.catchVolunteer(volunteerId, replica.id);
    return refused('INVALID_RESULT', `result refused: ${parsed.problem}`);
  }
  await tx.updateReplica(replica.id, {
    state: 'returned',
    returnedAt: tx.now,
    elapsedMs: item.elapsedMs,
    result: parsed.bytes,
  });
  await tx.updateUnit(meta.id, unit.idx, returnedUnit);
  ledger.touched.add(meta.id);
  if (plugin.spotCheck && env.spotCheck(meta, unit.quorum === 1)) {
    ledger.spotChecks.push({
      replicaId: replica.id,
      meta,
      idx: unit.idx,
      result: parsed.result,
    });
  }
  if (unit.state === 'validated' && unit.canonical !== null) {
    // [Q5] a late replica of a settled unit is judged against the canonical result.
    const agrees =
      sameBytes(parsed.bytes, unit.canonical) ||
      plugin.same(meta, parsed.result, plugin.decode(meta, unit.canonical));
    await ledger.judge({ ...replica, state: 'returned' }, agrees, unit.work);
    return {
      ok: true,
      verdict: agrees ? 'valid' : 'invalid',
      workloadId: meta.id,
      connectionWork: unit.work,
    };
  }
  await ledger.reconsider(meta, unit.idx, {
    ...replica,
    state: 'returned',
    returnedAt: tx.now,
    elapsedMs: item.elapsedMs,
    result: parsed.bytes,
  });
  const after = { state: ledger.verdicts.get(replica.id) ?? 'returned' };
  const verdict =
    after.state === 'valid' ? 'valid' : after.state === 'invalid' ? 'invalid' : 'pending';
  return { ok: true, verdict, workloadId: meta.id, connectionWork: unit.work };
}
