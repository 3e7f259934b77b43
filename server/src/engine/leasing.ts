// [L1]-[L12][R1][R2][E2][S1]-[S3] Leasing, in one transaction: refuse suspended volunteers, pick
// the workload by fair share among those the tab can run, take a batch of its leasable units (randomized among the lowest,
// preferring held partitions, straggler backups when nothing else is open), and lease a replica
// of each with deadlines staggered by the tab's throughput.
import { runAloneBelow, type TrustPolicy } from '../scheduler/trustPolicy';
import { fairShareOrder } from './fairShare';
import type { KindPlugin, WorkloadMeta } from './kind';
import { claimUnits, type LeaseClaim } from './leaseClaim';
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
    const redundancy = meta.redundancy;
    const preferKeys = plugin.preferKeys(who.connectionId);
    // Every draw this lease may use is taken now, the same number whatever the units turn out
    // to be, so a repository that claims in one statement decides exactly as this one does.
    const draw = (n: number) => Array.from({ length: n }, () => env.random());
    const claim: LeaseClaim = {
      workloadId: meta.id,
      volunteerId: who.volunteerId,
      connectionId: who.connectionId,
      netGroup: who.netGroup,
      limit: wanted + plugin.leaseChoices - 1,
      preferKeys,
      choices: plugin.leaseChoices,
      pickDraws: draw(wanted),
      rate: plugin.batchLeases ? env.rate : null,
      leaseWorkSeconds: env.leaseWorkSeconds,
      localityKeys: plugin.localityOf ? preferKeys : null,
      // [R1][R2] Only a trusted volunteer of an adaptive workload may run a unit alone.
      runAlone:
        redundancy.adaptive && redundancy.quorum >= 2
          ? {
              draws: draw(wanted),
              below: runAloneBelow(volunteer.consecutiveValid, env.trust),
            }
          : null,
      leasedAt: tx.now,
      leaseDurationMs: env.leaseDurationMs,
    };
    let leased = await claimUnits(tx, claim);
    if (leased.length === 0 && plugin.stragglerBackups) {
      const straggler = await tx.stragglerUnit({
        workloadId: meta.id,
        volunteerId: who.volunteerId,
        netGroup: who.netGroup,
        limit: 1,
        preferKeys: [],
        now: tx.now,
        maxReplicas: redundancy.maxReplicas,
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
        leased = await claimUnits(tx, claim, [straggler]);
      }
    }
    if (leased.length === 0) continue;
    // [A3] The first lease pins what a unit is computed against, so its replicas agree. The
    // workload is read after its units: on PostgreSQL a round that opened meanwhile shows its
    // units only with the version that opened it.
    const pin = plugin.pinAtLease((await tx.peekWorkload(meta.id))!);
    if (pin !== null) {
      for (const l of leased) {
        if (l.unit.pin !== null) continue;
        l.unit = { ...l.unit, pin };
        await tx.updateUnit(meta.id, l.unit.idx, { pin });
      }
    }
    await tx.startWorkload(meta.id);
    return leased.map((l) => ({ meta, ...l }));
  }
  return [];
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
