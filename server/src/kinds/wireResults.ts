// What kinds share about leases and results on the wire: a Lease for a replica of a unit, and a
// result that travels as bytes (gradient, inference) decoded and checked at the edge ([V2]).
import type { Lease } from '@tessera/shared';
import type { ParsedResult, WorkloadMeta } from '../engine/kind';
import type { UnitRow } from '../engine/repository';
import { ownBuffer } from './gradient/gradientPlan';

export interface ReplicaLease {
  id: number;
  deadline: number;
  leaseDurationMs: number;
}

/** The lease sent to a volunteer for a replica of `unit`. */
export function leaseOf(
  meta: WorkloadMeta,
  unit: UnitRow,
  replica: ReplicaLease,
  kind: Lease['kind'],
  task: unknown,
): Lease {
  return {
    replicaId: replica.id,
    workloadId: meta.id,
    workloadName: meta.name,
    kind,
    estimator: meta.estimator,
    unitIndex: unit.idx,
    task,
    deadline: replica.deadline,
    leaseDurationMs: replica.leaseDurationMs,
  };
}

/**
 * A result that must arrive as bytes: decoded (a decoding error is the problem), checked by
 * `problemOf`, and stored re-encoded (canonical bytes, whatever padding it came with).
 */
export function parseBinaryResult<T>(
  raw: unknown,
  codec: { name: string; decode(bytes: ArrayBuffer): T; encode(result: T): ArrayBuffer },
  problemOf: (result: T) => string | null,
): ParsedResult {
  if (!(raw instanceof Uint8Array) && !(raw instanceof ArrayBuffer)) {
    return { problem: `a ${codec.name} result travels as bytes, not JSON` };
  }
  let result: T;
  try {
    result = codec.decode(raw instanceof Uint8Array ? ownBuffer(raw) : raw);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  const problem = problemOf(result);
  if (problem !== null) return { problem };
  return { result, bytes: new Uint8Array(codec.encode(result)) };
}
