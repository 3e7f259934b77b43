// What the coordinator logs and counts of a commit of results: the replicas judged invalid in
// it (their volunteers were caught, [R4]) with the ids an operator looks them up by, whether by
// the vote or by arbitration after the commit ([Q6]), and the verdict label of each reply for
// tessera_results_total.
import type { BatchReply } from '../coordinatorTypes';
import type { Ledger } from '../engine/ledger';
import type { Counters } from '../metrics';
import type { ReplicaRow, Tx } from '../engine/repository';
import type { Logger } from './logger';

export interface CaughtReplica {
  workloadId: string;
  unitIdx: number;
  replicaId: number;
  volunteerId: string;
}

const caughtReplica = (r: ReplicaRow): CaughtReplica => ({
  workloadId: r.workloadId,
  unitIdx: r.unitIdx,
  replicaId: r.id,
  volunteerId: r.volunteerId,
});

/** The replicas `ledger` judged invalid, read in its transaction (rare: no reads when none). */
export async function invalidReplicas(tx: Tx, ledger: Ledger): Promise<CaughtReplica[]> {
  const caught: CaughtReplica[] = [];
  for (const [replicaId, verdict] of ledger.verdicts) {
    if (verdict !== 'invalid') continue;
    const r = await tx.replica(replicaId);
    if (r) caught.push(caughtReplica(r));
  }
  return caught;
}

/** The replicas the arbitration of `ledger`'s contested units found wrong (after it ran). */
export async function arbitratedInvalid(tx: Tx, ledger: Ledger): Promise<CaughtReplica[]> {
  const caught: CaughtReplica[] = [];
  for (const { workloadId, idx } of ledger.arbitrate) {
    for (const r of await tx.replicasOfUnit(workloadId, idx)) {
      // Withdrawn replicas were caught before, by another unit.
      if (r.state === 'invalid' && !r.withdrawn) caught.push(caughtReplica(r));
    }
  }
  return caught;
}

/**
 * Logs each caught volunteer, and counts each reply in tessera_results_total by its verdict:
 * pending, valid or invalid as answered; refused when the result was not taken.
 */
export function reportVerdicts(
  logger: Logger,
  counters: Counters,
  caught: readonly CaughtReplica[],
  replies: readonly BatchReply[],
): void {
  for (const r of caught) logger.warn(r, 'volunteer caught with a wrong result');
  for (const reply of replies) {
    counters.inc('tessera_results_total', { verdict: reply.ok ? reply.verdict : 'refused' });
  }
}
