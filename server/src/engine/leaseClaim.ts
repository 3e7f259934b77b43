// [L6][L7][L9][R1] What one lease takes from a workload, decided by numbers fixed before any
// unit is read: the draws of L7's picks and R1's run-alone choices, the tab's throughput, the
// partitions it holds, the deadline rule. `planClaim` applies them to the leasable units
// in lease order; `claimUnits` reads those units and writes the lease. A repository may claim in
// one statement instead (Tx.claimUnits: PostgreSQL's `FOR NO KEY UPDATE SKIP LOCKED` + INSERT +
// UPDATE ... RETURNING), to the same plan: the engine contract suite holds both to the same
// answers.
import { unitsForSeconds } from '../scheduler/throughputMeter';
import type { ClaimedUnit, LeaseClaim, Tx, UnitRow } from './repository';

export type { ClaimedUnit, LeaseClaim } from './repository';

export interface PlannedUnit {
  unit: UnitRow;
  /** [L6] The lease's deadline: later for each unit queued before it in the batch. */
  deadline: number;
  /** [R1] Run by this volunteer alone. */
  alone: boolean;
}

/** [L7] `draws.length` picks at most, each a random one of the lowest `choices` untaken. */
function pick(candidates: readonly UnitRow[], choices: number, draws: readonly number[]) {
  const left = [...candidates];
  const out: UnitRow[] = [];
  for (const draw of draws) {
    if (left.length === 0) break;
    const window = Math.min(choices, left.length);
    out.push(left.splice(Math.min(window - 1, Math.floor(draw * window)), 1)[0]!);
  }
  return out;
}

/** The units a claim takes from `candidates` (leasable units of one round, in lease order). */
export function planClaim(candidates: readonly UnitRow[], claim: LeaseClaim): PlannedUnit[] {
  const picked = pick(candidates, claim.choices, claim.pickDraws);
  const first = picked[0];
  if (!first) return [];
  const count = unitsForSeconds(claim.rate, first.work, claim.leaseWorkSeconds, picked.length);
  let batch = picked.slice(0, count);
  const keys = claim.localityKeys;
  if (batch.length > 1 && keys) {
    // [L6][L9] Locality before fewer round trips: only units whose data the tab holds (they
    // come first), or the one unit it will fetch.
    const held = batch.filter((u) => u.leaseKey !== null && keys.includes(u.leaseKey));
    batch = held.length > 0 ? held : batch.slice(0, 1);
  }
  const unitMs = claim.rate ? (first.work / claim.rate) * 1000 : 0;
  let eligible = 0;
  return batch.map((unit, i) => {
    let alone = false;
    if (claim.runAlone && unit.inFlight === 0 && unit.returned === 0) {
      alone = claim.runAlone.draws[eligible++]! < claim.runAlone.below;
    }
    const deadline = claim.leasedAt + claim.leaseDurationMs + Math.ceil(i * unitMs);
    return { unit, deadline, alone };
  });
}

/**
 * Leases what the claim takes: from `candidates` when given (a straggler backup), else from the
 * workload's leasable units, through the repository's own claim when it has one.
 */
export async function claimUnits(
  tx: Tx,
  claim: LeaseClaim,
  candidates?: readonly UnitRow[],
): Promise<ClaimedUnit[]> {
  if (!candidates && tx.claimUnits) return tx.claimUnits(claim);
  const from =
    candidates ??
    (await tx.leasableUnits({
      workloadId: claim.workloadId,
      volunteerId: claim.volunteerId,
      netGroup: claim.netGroup,
      limit: claim.limit,
      preferKeys: claim.preferKeys,
    }));
  const plan = planClaim(from, claim);
  const replicaIds = await tx.insertReplicas(
    plan.map((p) => ({
      workloadId: claim.workloadId,
      unitIdx: p.unit.idx,
      volunteerId: claim.volunteerId,
      connectionId: claim.connectionId,
      netGroup: claim.netGroup,
      leasedAt: claim.leasedAt,
      deadline: p.deadline,
    })),
  );
  const claimed: ClaimedUnit[] = [];
  for (const [i, p] of plan.entries()) {
    const unit: UnitRow = {
      ...p.unit,
      inFlight: p.unit.inFlight + 1,
      ...(p.alone ? { quorum: 1, wanted: 1 } : {}),
    };
    await tx.updateUnit(claim.workloadId, unit.idx, {
      inFlight: unit.inFlight,
      ...(p.alone ? { quorum: 1, wanted: 1 } : {}),
    });
    claimed.push({ unit, replicaId: replicaIds[i]!, deadline: p.deadline });
  }
  return claimed;
}
