// How the engine's records read to the outside: the REST workload view, the volunteer summary,
// ids and scheduling randomness.
import { randomBytes } from 'node:crypto';
import type {
  Backend,
  VolunteerSummary,
  WorkloadView as PublicWorkloadView,
} from '@tessera/shared';
import { creditOf } from './credit';
import type { VolunteerRow, WorkloadView } from './repository';

/** A workload with its units in flight, as the coordinator reads it. */
export type WorkloadRecord = WorkloadView;

export interface ConnectionIdentity {
  volunteerId: string;
  connectionId: string;
  netGroup: string | null;
  /**
   * [L12] What the tab computes with, from its hello. Absent only for callers inside the
   * process (tests, benchmarks), which can run anything.
   */
  backend?: Backend;
}

/** A random id; never starting with '-' or '_', so a command line never reads it as an option. */
export function newId(bytes = 9): string {
  const id = randomBytes(bytes).toString('base64url');
  return /^[-_]/.test(id) ? `x${id.slice(1)}` : id;
}

/** Uniform draws in [0, 1) for scheduling decisions; seeded in tests and the simulator. */
export type RandomSource = () => number;

/** OS randomness drawn 4 KiB at a time: one system call per 682 scheduling draws. */
const pool = { bytes: Buffer.alloc(0), at: 0 };

/** Scheduling randomness from the OS: unpredictable to volunteers, never used for results. */
export function cryptoRandom(): number {
  if (pool.at + 6 > pool.bytes.length) {
    pool.bytes = randomBytes(4096);
    pool.at = 0;
  }
  const draw = pool.bytes.readUIntBE(pool.at, 6) / 2 ** 48;
  pool.at += 6;
  return draw;
}

export function toWorkloadView(record: WorkloadRecord): PublicWorkloadView {
  return {
    id: record.id,
    name: record.name,
    kind: record.kind,
    status: record.status,
    progress: {
      unitsTotal: record.unitsTotal,
      unitsValidated: record.unitsValidated,
      unitsInFlight: record.unitsInFlight,
      unitsFailed: record.unitsFailed,
      fraction: record.unitsTotal === 0 ? 0 : record.unitsValidated / record.unitsTotal,
    },
    spec: record.spec as PublicWorkloadView['spec'],
    redundancy: record.redundancy,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    completedAt: record.completedAt === null ? null : new Date(record.completedAt).toISOString(),
    failureReason: record.failureReason,
  };
}

export function toVolunteerSummary(v: VolunteerRow): VolunteerSummary {
  return {
    volunteerId: v.id,
    displayName: v.displayName,
    credit: creditOf(v.creditMicro),
    unitsValidated: v.unitsValid,
  };
}
