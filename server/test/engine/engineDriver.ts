// Drives the engine (a Coordinator over one repository) call by call at chosen instants, with
// the scheduling draws a test chooses: what the contract suite (engineContract.ts) runs against
// every repository implementation.
import {
  DEFAULT_REDUNDANCY,
  TesseraError,
  estimatorFor,
  type ErrorCode,
  type Redundancy,
} from '@tessera/shared';
import type { WorkloadKind } from '@tessera/shared/workloadSpec';
import { Coordinator } from '../../src/coordinator';
import { creditOf } from '../../src/engine/credit';
import type { Repository } from '../../src/engine/repository';
import { schedulerOptionsSchema } from '../../src/scheduler/schedulerOptions';
import type { TrustPolicy } from '../../src/scheduler/trustPolicy';

export interface NewWorkload {
  id: string;
  name: string;
  kind: WorkloadKind;
  estimator: string;
  spec: unknown;
  redundancy: Redundancy;
  unitWork: number[];
  aggregate: unknown;
}

export interface LeaseRequest {
  volunteerId: string;
  connectionId: string;
  netGroup: string | null;
  now: number;
  leaseDurationMs: number;
  maxLeasesPerConnection: number;
  trust?: TrustPolicy;
  /** The run-alone draw ([R1]). */
  draw?: number;
  /** The draw that picks among the lowest leasable units ([L7]); without it, the lowest. */
  pickDraw?: number;
}

export type SubmitOutcome =
  | {
      kind: 'accepted';
      verdict: 'pending' | 'valid' | 'invalid';
      workloadEnded: 'completed' | 'failed' | null;
      /** [R4] Workloads a catch took validated units back out of. */
      reopened: string[];
      /** Volunteers whose credit changed. */
      credited: string[];
    }
  | { kind: 'refused'; code: ErrorCode; message: string };

export class EngineDriver {
  private readonly clock = {
    time: 0,
    now(): number {
      return this.time;
    },
    set(t: number): void {
      this.time = t;
    },
  };
  private readonly coordinators = new Map<string, Coordinator>();
  /** Draws the next scheduling decisions take, in order; 0 when none is queued. */
  private draws: number[] = [];

  constructor(
    readonly repository: Repository,
    private readonly options: { arbitration: boolean } = { arbitration: false },
  ) {}

  private coordinator(trust?: TrustPolicy, leaseDurationMs = 1_000, maxLeases = 4): Coordinator {
    const key = JSON.stringify([trust ?? null, leaseDurationMs, maxLeases]);
    let c = this.coordinators.get(key);
    if (!c) {
      c = new Coordinator(
        this.repository,
        this.clock,
        schedulerOptionsSchema.parse({
          leaseDurationMs,
          maxLeasesPerConnection: maxLeases,
          arbitration: this.options.arbitration,
          ...(trust ?? {}),
        }),
        () => this.draws.shift() ?? 0,
      );
      this.coordinators.set(key, c);
    }
    return c;
  }

  private at(now: number): Coordinator {
    this.clock.set(now);
    return this.coordinator();
  }

  /** The engine itself, for kinds planned by their plug-in (gradient) rather than inserted here. */
  engine(now: number): Coordinator {
    return this.at(now);
  }

  async createVolunteer(v: { id: string; secretHash: string; displayName: string; now: number }) {
    await this.repository.transaction(v.now, (tx) => tx.insertVolunteer(v));
  }

  async getVolunteer(id: string) {
    const row = await this.repository.transaction(this.clock.now(), (tx) => tx.volunteer(id));
    return row ? { ...row, credit: creditOf(row.creditMicro) } : null;
  }

  /** Units of a round not validated yet (Tx.unitsUnsettled). */
  unitsUnsettled(workloadId: string, round: number): Promise<number> {
    return this.repository.transaction(this.clock.now(), (tx) =>
      tx.unitsUnsettled(workloadId, round),
    );
  }

  /** A researcher token with its share ([S1]); returns its id, the owner of its workloads. */
  addOwner(name: string, share: number): Promise<string> {
    return this.repository.transaction(this.clock.now(), (tx) =>
      tx.addToken(name, `hash-of-${name}`, share),
    );
  }

  async createWorkload(
    w: NewWorkload,
    now: number,
    by: { owner: string | null; priority: number } = { owner: null, priority: 0 },
  ) {
    await this.repository.transaction(now, async (tx) => {
      await tx.insertWorkload({
        id: w.id,
        name: w.name,
        kind: w.kind,
        estimator: w.estimator,
        spec: w.spec,
        redundancy: w.redundancy,
        status: 'queued',
        unitsTotal: w.unitWork.length,
        unitsValidated: 0,
        unitsFailed: 0,
        aggregate: w.aggregate,
        failureReason: null,
        owner: by.owner,
        priority: by.priority,
        createdAt: now,
      });
      await tx.insertUnits(
        w.id,
        w.unitWork.map((work, idx) => ({ idx, work })),
        w.redundancy.quorum,
      );
    });
    return (await this.getWorkload(w.id))!;
  }

  getWorkload(id: string) {
    return this.coordinator().reads.workload(id);
  }

  async cancelWorkload(id: string, now: number) {
    try {
      return await this.at(now).cancelWorkload(id);
    } catch (error) {
      if (error instanceof TesseraError && error.code === 'CONFLICT') return this.getWorkload(id);
      if (error instanceof TesseraError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  async leaseReplica(r: LeaseRequest) {
    this.clock.set(r.now);
    this.draws = [r.pickDraw ?? 0, r.draw ?? 0.999_999];
    const lease = await this.coordinator(
      r.trust,
      r.leaseDurationMs,
      r.maxLeasesPerConnection,
    ).lease({ volunteerId: r.volunteerId, connectionId: r.connectionId, netGroup: r.netGroup });
    this.draws = [];
    return lease
      ? {
          replicaId: lease.replicaId,
          workloadId: lease.workloadId,
          unitIndex: lease.unitIndex,
          deadline: lease.deadline,
          estimator: lease.estimator,
        }
      : null;
  }

  async submitResult(s: {
    replicaId: number;
    volunteerId: string;
    result: unknown;
    elapsedMs: number;
    now: number;
    trust?: TrustPolicy;
  }): Promise<SubmitOutcome> {
    this.clock.set(s.now);
    const replica = await this.repository.transaction(s.now, (tx) => tx.replica(s.replicaId));
    const before = replica ? await this.getWorkload(replica.workloadId) : null;
    const all = await this.coordinator().reads.listWorkloads();
    const coordinator = this.coordinator(s.trust);
    const credited = new Set<string>();
    const onCredit = (ids: string[]) => ids.forEach((id) => credited.add(id));
    coordinator.on('credited', onCredit);
    try {
      const reply = await coordinator.submitResult(
        s.volunteerId,
        s.replicaId,
        s.result,
        s.elapsedMs,
      );
      const after = before ? await this.getWorkload(before.id) : null;
      const ended =
        after &&
        after.status !== before!.status &&
        (after.status === 'completed' || after.status === 'failed')
          ? after.status
          : null;
      const reopened: string[] = [];
      for (const w of await this.coordinator().reads.listWorkloads()) {
        const was = all.find((b) => b.id === w.id);
        if (was && w.unitsValidated < was.unitsValidated) reopened.push(w.id);
      }
      return {
        kind: 'accepted',
        verdict: reply.verdict,
        workloadEnded: ended,
        reopened,
        credited: [...credited],
      };
    } catch (error) {
      if (error instanceof TesseraError)
        return { kind: 'refused', code: error.code, message: error.message };
      throw error;
    } finally {
      coordinator.off('credited', onCredit);
    }
  }

  async renewReplica(replicaId: number, volunteerId: string, now: number, _duration: number) {
    try {
      return await this.at(now).renew(volunteerId, replicaId);
    } catch (error) {
      if (error instanceof TesseraError) return null;
      throw error;
    }
  }

  releaseConnection(connectionId: string, now: number) {
    return this.at(now).releaseConnection(connectionId);
  }

  async releaseAllConnections(now: number) {
    return { released: await this.at(now).releaseOrphanedLeases() };
  }

  async expireLeases(now: number) {
    return { released: await this.at(now).expireLeases() };
  }

  async reportError(replicaId: number, volunteerId: string, message: string, now: number) {
    await this.at(now).reportError(volunteerId, replicaId, message);
  }

  counts(now: number, windowMs: number) {
    return this.at(now).reads.counts(windowMs);
  }

  leaderboard(limit: number) {
    return this.coordinator().reads.leaderboard(limit);
  }

  /** [R9] Waits for every queued sub-range spot check to have run. */
  async drainSpotChecks(): Promise<void> {
    for (const c of this.coordinators.values()) await c.spotChecks.drain();
  }

  async close(): Promise<void> {
    await this.drainSpotChecks();
    await this.repository.close();
  }
}

let workloadIds = 0;

/** A pi workload to insert with createWorkload: `samples` in units of `perUnit`. */
export function piWorkload(
  samples: number,
  perUnit: number,
  redundancy: Partial<Redundancy> = {},
  seed = 11,
): NewWorkload {
  const pi = estimatorFor('pi');
  const spec = pi.specSchema.parse({ estimator: 'pi', samples, seed, samplesPerUnit: perUnit });
  workloadIds += 1;
  return {
    id: `wl-engine-${workloadIds}`,
    name: `engine test ${workloadIds}`,
    kind: 'montecarlo',
    estimator: 'pi',
    spec,
    redundancy: { ...DEFAULT_REDUNDANCY, ...redundancy },
    unitWork: Array.from({ length: pi.unitCount(spec) }, (_, i) => pi.workOf(pi.taskFor(spec, i))),
    aggregate: pi.emptyAggregate(),
  };
}
