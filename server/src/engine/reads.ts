// Reads for views (REST, the dashboard, /api/stats): each one short transaction.
import { creditOf } from './credit';
import type { PlatformCounts, Repository, Tx } from './repository';
import type { VolunteerSummary } from '@tessera/shared';
import { toVolunteerSummary, type WorkloadRecord } from './views';

/** A volunteer's place on the public leaderboard (validated credit only). */
export interface VolunteerStanding {
  volunteerId: string;
  displayName: string;
  credit: number;
  unitsValidated: number;
}

export class CoordinatorReads {
  /** Who is connected now (set by the server): what "no eligible volunteer" is judged against. */
  online: { volunteerIds(): Set<string> } | null = null;

  constructor(
    private readonly source: {
      repository: Repository;
      clock: { now(): number };
    },
  ) {}

  async volunteerSummary(volunteerId: string): Promise<VolunteerSummary | null> {
    const v = await this.read((tx) => tx.volunteer(volunteerId));
    return v ? toVolunteerSummary(v) : null;
  }

  /**
   * Units of a workload that want a replica, have none in flight, and that no volunteer online
   * may take (each holds a live replica of it, [L2]): they wait for a new volunteer. Zero when
   * nobody is online (then every unit waits, and the page says no volunteers are connected).
   */
  async unitsWaiting(workloadId: string): Promise<number> {
    const online = this.online?.volunteerIds();
    if (!online || online.size === 0) return 0;
    const units = await this.read((tx) => tx.waitingUnits(workloadId));
    return units.filter((u) => [...online].every((id) => u.barred.includes(id))).length;
  }

  private read<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.source.repository.transaction(this.source.clock.now(), work);
  }

  async workload(id: string): Promise<WorkloadRecord | null> {
    return (await this.read((tx) => tx.workloadViews(id)))[0] ?? null;
  }

  listWorkloads(): Promise<WorkloadRecord[]> {
    return this.read((tx) => tx.workloadViews());
  }

  counts(windowMs: number): Promise<PlatformCounts> {
    return this.read((tx) => tx.counts(windowMs));
  }

  /** [C2] Volunteers with validated units and credit, most first. */
  async leaderboard(limit: number): Promise<VolunteerStanding[]> {
    const rows = await this.read((tx) => tx.leaderboard(limit));
    return rows.map((r) => ({
      volunteerId: r.volunteerId,
      displayName: r.displayName,
      credit: creditOf(r.creditMicro),
      unitsValidated: r.unitsValidated,
    }));
  }
}
