// [L1]-[L12][R1][R2][E2][S1]-[S3] Leasing, in one transaction: refuse suspended volunteers, pick
// the workload by fair share among those the tab can run, take a batch of its leasable units (randomized among the lowest,
// preferring held partitions, straggler backups when nothing else is open), and lease a replica
// of each with deadlines staggered by the tab's throughput.
import { runsAlone, type TrustPolicy } from '../scheduler/trustPolicy';
import { unitsForSeconds } from '../scheduler/throughputMeter';
import { fairShareOrder } from './fairShare';
import type { KindPlugin, WorkloadMeta } from './kind';
import type { Tx, UnitRow, VolunteerRow } from './repository';
import type { ConnectionIdentity } from './views';

/** A unit computing this many times longer than its round's mean unit is a straggler... */
export const STRAGGLER_FACTOR = 3;
/** ...and never before this long (round-trip noise on fast rounds). */
export const STRAGGLER_FLOOR_MS = 250;
/** [E2] Errors a volunteer may report before its error rate is weighed at all. */
export const ERROR_THROTTLE_AFTER = 5;
/** [E2] Errors past which a volunteer far above the crowd's error rate is suspended. */
export const ERROR_SUSPEND_AFTER = 10;

export type LeaseIdentity = ConnectionIdentity;

export interface LeaseEnv {
  trust: TrustPolicy;
  leaseDurationMs: number;
  maxLeasesPerConnection: number;
  leaseWorkSeconds: number;
  /** The tab's measured throughput (work per second), or null with no record yet. */
  rate: number | null;
  /** [E2] The crowd's error rate (errors per judged result) over every volunteer. */
  crowdErrorRate: number;
  random(): number;
  meta(tx: Tx, workloadId: string): Promise<WorkloadMeta>;
  plugin(meta: WorkloadMeta): KindPlugin;
}

export interface LeasedUnit {
  meta: WorkloadMeta;
  unit: UnitRow;
  replicaId: number;
  deadline: number;
}

/** [E2] A volunteer whose error rate is far above the crowd's: throttled, then suspended. */
export function errorStanding(v: VolunteerRow, crowdRate: number): 'ok' | 'throttled' | 'suspend' {
  if (v.unitsErrored < ERROR_THROTTLE_AFTER) return 'ok';
  const rate = v.unitsErrored / (v.unitsErrored + v.unitsValid + v.unitsInvalid);
  if (rate <= Math.max(0.5, 4 * crowdRate)) return 'ok';
  return v.unitsErrored >= ERROR_SUSPEND_AFTER ? 'suspend' : 'throttled';
}

export async function leaseUnits(
  tx: Tx,
  env: LeaseEnv,
  who: LeaseIdentity,
  maxUnits: number,
): Promise<LeasedUnit[] | { suspendedUntil: number }> {
  const volunteer = await tx.volunteer(who.volunteerId);
  if (!volunteer) return [];
  let until = volunteer.suspendedUntil;
  const standing = errorStanding(volunteer, env.crowdErrorRate);
  if (standing === 'suspend' && !(until && until > tx.now)) {
    until = tx.now + env.trust.suspensionMs;
    await tx.updateVolunteer(volunteer.id, { suspendedUntil: until, unitsErrored: 0 });
  }
  // [R5][E2] a repeat offender is told why it gets no work, and until when (after the commit).
  if (until && until > tx.now) return { suspendedUntil: until };
  const held = await tx.countInFlight(who.connectionId);
  const limit = standing === 'throttled' ? 1 : env.maxLeasesPerConnection;
  const room = Math.min(limit - held, standing === 'throttled' ? 1 : maxUnits);
  if (room <= 0) return [];
  for (const active of fairShareOrder(await tx.activeWorkloads())) {
    const meta = await env.meta(tx, active.id);
    const plugin = env.plugin(meta);
    // [L12] capability routing: a CPU-only tab is never sent a unit only WebGPU can run.
    if (who.backend && plugin.runsOn && !plugin.runsOn(meta, who.backend)) continue;
    const wanted = plugin.batchLeases ? room : 1;
    const candidates = await tx.leasableUnits({
      workloadId: meta.id,
      volunteerId: who.volunteerId,
      netGroup: who.netGroup,
      limit: wanted + plugin.leaseChoices - 1,
      preferKeys: plugin.preferKeys(who.connectionId),
    });
    let picked = pick(candidates, plugin.leaseChoices, wanted, env);
    if (picked.length === 0 && plugin.stragglerBackups) {
      const straggler = await tx.stragglerUnit({
        workloadId: meta.id,
        volunteerId: who.volunteerId,
        netGroup: who.netGroup,
        limit: 1,
        preferKeys: [],
        now: tx.now,
        maxReplicas: meta.redundancy.maxReplicas,
        floorMs: STRAGGLER_FLOOR_MS,
        factor: STRAGGLER_FACTOR,
      });
      if (straggler) {
        straggler.wanted += 1;
        straggler.backups += 1;
        await tx.updateUnit(meta.id, straggler.idx, {
          wanted: straggler.wanted,
          backups: straggler.backups,
        });
        picked = [straggler];
      }
    }
    if (picked.length === 0) continue;
    const first = picked[0]!;
    const count = plugin.batchLeases
      ? unitsForSeconds(env.rate, first.work, env.leaseWorkSeconds, picked.length)
      : 1;
    const unitMs = env.rate ? (first.work / env.rate) * 1000 : 0;
    const workload = (await tx.peekWorkload(meta.id))!;
    let batch = picked.slice(0, count);
    if (batch.length > 1 && plugin.localityOf) {
      // [L6][L9] Locality before fewer round trips: a batch takes only units whose data the tab
      // already holds (they come first), or the one unit it will fetch.
      const held = batch.filter((u) => plugin.localityOf!(who.connectionId, u) === 'held');
      batch = held.length > 0 ? held : batch.slice(0, 1);
    }
    for (const unit of batch) await maybeRunAlone(tx, env, meta, unit, volunteer);
    const deadlines = batch.map((_, i) => tx.now + env.leaseDurationMs + Math.ceil(i * unitMs));
    const replicaIds = await tx.insertReplicas(
      batch.map((unit, i) => ({
        workloadId: meta.id,
        unitIdx: unit.idx,
        volunteerId: who.volunteerId,
        connectionId: who.connectionId,
        netGroup: who.netGroup,
        leasedAt: tx.now,
        deadline: deadlines[i]!,
      })),
    );
    const leased: LeasedUnit[] = [];
    for (const [i, unit] of batch.entries()) {
      // [A3] The first lease pins what the unit is computed against, so its replicas agree.
      const pin = unit.pin ?? plugin.pinAtLease(workload);
      await tx.updateUnit(meta.id, unit.idx, { inFlight: unit.inFlight + 1, pin });
      leased.push({
        meta,
        unit: { ...unit, pin },
        replicaId: replicaIds[i]!,
        deadline: deadlines[i]!,
      });
    }
    await tx.startWorkload(meta.id);
    return leased;
  }
  return [];
}

/**
 * [L7] `count` units from the candidates: each a random one of the lowest `choices` still
 * untaken, so volunteers asking at once cannot arrange to share a unit.
 */
function pick(candidates: UnitRow[], choices: number, count: number, env: LeaseEnv): UnitRow[] {
  const left = [...candidates];
  const out: UnitRow[] = [];
  while (out.length < count && left.length > 0) {
    const window = Math.min(choices, left.length);
    // A draw is taken even from a window of one, so each decision consumes the same draws.
    const i = Math.min(window - 1, Math.floor(env.random() * window));
    out.push(left.splice(i, 1)[0]!);
  }
  return out;
}

/**
 * [R1][R2] A unit nobody holds or has answered, leased to a trusted volunteer of an adaptive
 * workload, may be run by that volunteer alone: its quorum drops to 1 and nobody else is sent it.
 */
async function maybeRunAlone(
  tx: Tx,
  env: LeaseEnv,
  meta: WorkloadMeta,
  unit: UnitRow,
  volunteer: VolunteerRow,
): Promise<void> {
  const redundancy = meta.redundancy;
  if (!redundancy.adaptive || redundancy.quorum < 2) return;
  if (unit.inFlight !== 0 || unit.returned !== 0) return;
  if (!runsAlone(volunteer.consecutiveValid, env.trust, env.random())) return;
  unit.quorum = 1;
  unit.wanted = 1;
  await tx.updateUnit(meta.id, unit.idx, { quorum: 1, wanted: 1 });
}

/** [L4] Pushes a lease's deadline out, when its volunteer still holds it in flight. */
export async function renewLease(
  tx: Tx,
  volunteerId: string,
  replicaId: number,
  deadline: number,
): Promise<boolean> {
  const r = await tx.replica(replicaId);
  if (!r || r.volunteerId !== volunteerId || r.state !== 'in_flight' || r.deadline < tx.now) {
    return false;
  }
  await tx.updateReplica(replicaId, { deadline });
  return true;
}
