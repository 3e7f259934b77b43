// The units a transaction has read, for both repositories (sqliteUnits.ts, pgUnits.ts): a result
// changes its unit two or three times (flight count, votes, validation) and a batch touches each
// unit of its results, so a unit is read once, changed here and written once at flush.
import type { UnitPatch, UnitRow } from '../engine/repository';
import { applyUnitPatch, withCanonicalSource } from './rows';

/** One key per unit: the index first, so keys of one workload differ early. */
export const unitKey = (workloadId: string, idx: number) => `${idx}\u0000${workloadId}`;

export class UnitCache {
  private readonly rows = new Map<string, UnitRow>();
  /** Per changed unit, the fields changed since the last flush. */
  private readonly dirty = new Map<string, Set<keyof UnitPatch>>();

  /** A copy of the cached unit, or undefined when this transaction has not read it. */
  get(workloadId: string, idx: number): UnitRow | undefined {
    const row = this.rows.get(unitKey(workloadId, idx));
    return row ? { ...row } : undefined;
  }

  /** The unit as the store now holds it (read, or written by a statement behind the cache). */
  put(row: UnitRow): void {
    this.rows.set(unitKey(row.workloadId, row.idx), { ...row });
  }

  /** Rows a query just read, kept unless already cached (a cached row may hold changes). */
  seed(rows: UnitRow[]): UnitRow[] {
    for (const row of rows) {
      if (!this.rows.has(unitKey(row.workloadId, row.idx))) this.put(row);
    }
    return rows;
  }

  /** Changes a cached unit, to be written at the next flush. */
  patch(workloadId: string, idx: number, given: UnitPatch): void {
    const patch = withCanonicalSource(given);
    const k = unitKey(workloadId, idx);
    applyUnitPatch(this.rows.get(k)!, patch);
    let changed = this.dirty.get(k);
    if (!changed) {
      changed = new Set();
      this.dirty.set(k, changed);
    }
    for (const field of Object.keys(patch) as Array<keyof UnitPatch>) {
      if (patch[field] !== undefined) changed.add(field);
    }
  }

  /** The changed units, each once with the fields changed; they are clean after. */
  takeDirty(): Array<{ row: UnitRow; changed: ReadonlySet<keyof UnitPatch> }> {
    const taken = [...this.dirty].map(([k, changed]) => ({ row: this.rows.get(k)!, changed }));
    this.dirty.clear();
    return taken;
  }

  /** Forgets a workload's units after SQL changed them behind the cache (written first). */
  forget(workloadId: string): void {
    for (const [k, u] of this.rows) if (u.workloadId === workloadId) this.rows.delete(k);
  }
}
