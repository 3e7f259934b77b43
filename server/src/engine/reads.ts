// Reads for views (REST, the dashboard, /api/stats): each one short transaction.
import { creditOf } from './credit';
import type { PlatformCounts, Repository, Tx } from './repository';
import type { WorkloadRecord } from './views';

/** A volunteer's place on the public leaderboard (validated credit only). */
export interface VolunteerStanding {
  volunteerId: string;
  displayName: string;
  credit: number;
  unitsValidated: number;
}

export class CoordinatorReads {
  constructor(
    private readonly source: {
      repository: Repository;
      clock: { now(): number };
    },
  ) {}

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
