// The platform counts both repositories keep as rows change (SQLite migration 12, PostgreSQL
// migration 4) instead of counting whole tables: replicas by state (the dashboard), volunteers,
// and each workload's replicas in flight (fair share, at every lease).
import type { ReplicaState } from '../engine/repository';

/** Adds `by` to the count `name`. */
export type Count = (name: string, by: number) => void;

/** A replica of `workloadId` moved from state `was` to `state`: the counts that change. */
export function replicaMoved(
  count: Count,
  workloadId: string,
  was: ReplicaState,
  state: ReplicaState,
): void {
  if (was === state) return;
  count(`replicas:${was}`, -1);
  count(`replicas:${state}`, 1);
  if (was === 'in_flight') count(`in_flight:${workloadId}`, -1);
  if (state === 'in_flight') count(`in_flight:${workloadId}`, 1);
}

/** The count changes one transaction makes, kept until its flush writes them. */
export class CountChanges {
  private readonly changes = new Map<string, number>();

  /** Adds `by` to `name`: `replicas:<state>`, `volunteers`, `in_flight:<workload id>`. */
  readonly add: Count = (name, by) => {
    this.changes.set(name, (this.changes.get(name) ?? 0) + by);
  };

  /** The changes made since the last take, those that cancelled out left out. */
  take(): Array<[name: string, by: number]> {
    const changed = [...this.changes].filter(([, by]) => by !== 0);
    this.changes.clear();
    return changed;
  }
}
