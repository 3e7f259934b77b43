// The hostile-volunteer simulator's judge: after a run, every unit's canonical result is compared
// with the TypeScript reference computed here, and the replicas the run used are counted. It
// reads the coordinator's SQLite file through its own read-only connection, so what it reports
// is what the store holds, not what any volunteer or the coordinator believes.
import Database from 'better-sqlite3';
import {
  parseWithBlocks,
  referenceWithBlocks,
  sameWithBlocks,
} from '@tessera/shared/kinds/blockResults';
import { estimatorFor } from '@tessera/shared';

export interface WorkloadAudit {
  id: string;
  status: string;
  unitsTotal: number;
  unitsValidated: number;
  unitsFailed: number;
  failureReason: string | null;
  /** Validated units whose canonical result differs from the reference. */
  wrongAccepted: number[];
  /** The workload's aggregate equals one process folding the reference of every unit. */
  aggregateExact: boolean;
}

export interface RunAudit {
  workloads: WorkloadAudit[];
  unitsTotal: number;
  unitsValidated: number;
  wrongAccepted: number;
  /** Replicas that came back with a result (judged valid or invalid, or still waiting). */
  resultBearing: number;
  replicasByState: Record<string, number>;
  /** Validated units settled by one lone result (adaptive replication). */
  loneUnits: number;
  /** The same figures over the second half of the units in lease order (after warm-up). */
  secondHalf: { units: number; resultBearing: number };
}

interface UnitRow {
  workload_id: string;
  idx: number;
  state: string;
  canonical: string | null;
  quorum: number;
}

interface WorkloadRow {
  id: string;
  estimator: string;
  spec: string;
  status: string;
  units_total: number;
  units_validated: number;
  units_failed: number;
  aggregate: string;
  failure_reason: string | null;
}

/**
 * Audits the given workloads, in the order they were submitted (which is the order their units
 * are leased, [L1]), so "second half" means the later half of the run's work.
 */
export function auditRun(databasePath: string, workloadIds: readonly string[]): RunAudit {
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    const workloads: WorkloadAudit[] = [];
    const unitsTotal = workloadIds.reduce(
      (n, id) =>
        n +
        (db.prepare('SELECT units_total FROM workloads WHERE id = ?').get(id) as WorkloadRow)
          .units_total,
      0,
    );
    const half = Math.floor(unitsTotal / 2);
    let ordinalBase = 0;
    let loneUnits = 0;
    let resultBearing = 0;
    const secondHalf = { units: 0, resultBearing: 0 };
    const replicasByState: Record<string, number> = {};
    for (const id of workloadIds) {
      const w = db.prepare('SELECT * FROM workloads WHERE id = ?').get(id) as WorkloadRow;
      const estimator = estimatorFor(w.estimator);
      const spec = estimator.specSchema.parse(JSON.parse(w.spec));
      const units = db
        .prepare(
          // A canonical result that is a replica's is stored on that replica (canonical_replica).
          `SELECT u.workload_id, u.idx, u.state, COALESCE(u.canonical, r.result) AS canonical,
             u.quorum FROM units u LEFT JOIN replicas r ON r.id = u.canonical_replica
           WHERE u.workload_id = ? ORDER BY u.idx`,
        )
        .all(id) as UnitRow[];
      const wrongAccepted: number[] = [];
      let reference = estimator.emptyAggregate();
      for (const unit of units) {
        const task = estimator.taskFor(spec, unit.idx);
        const truth = referenceWithBlocks(estimator, task);
        reference = estimator.fold(reference, truth);
        if (unit.state !== 'validated') continue;
        const canonical = parseWithBlocks(estimator, task, JSON.parse(unit.canonical!));
        if ('problem' in canonical) throw new Error(`unit ${unit.idx}: ${canonical.problem}`);
        if (!sameWithBlocks(estimator, canonical.result, truth)) wrongAccepted.push(unit.idx);
        if (unit.quorum === 1) loneUnits += 1;
        if (ordinalBase + unit.idx >= half) secondHalf.units += 1;
      }
      const replicas = db
        .prepare('SELECT unit_idx, state FROM replicas WHERE workload_id = ?')
        .all(id) as Array<{ unit_idx: number; state: string }>;
      for (const r of replicas) {
        replicasByState[r.state] = (replicasByState[r.state] ?? 0) + 1;
        if (r.state !== 'returned' && r.state !== 'valid' && r.state !== 'invalid') continue;
        resultBearing += 1;
        if (ordinalBase + r.unit_idx >= half) secondHalf.resultBearing += 1;
      }
      workloads.push({
        id,
        status: w.status,
        unitsTotal: w.units_total,
        unitsValidated: w.units_validated,
        unitsFailed: w.units_failed,
        failureReason: w.failure_reason,
        wrongAccepted,
        aggregateExact:
          JSON.stringify(estimator.aggregateSchema.parse(JSON.parse(w.aggregate))) ===
          JSON.stringify(estimator.aggregateSchema.parse(reference)),
      });
      ordinalBase += w.units_total;
    }
    return {
      workloads,
      unitsTotal,
      unitsValidated: workloads.reduce((n, w) => n + w.unitsValidated, 0),
      wrongAccepted: workloads.reduce((n, w) => n + w.wrongAccepted.length, 0),
      resultBearing,
      replicasByState,
      loneUnits,
      secondHalf,
    };
  } finally {
    db.close();
  }
}
