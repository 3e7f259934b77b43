// What the coordinator announces, and its reply to each result of a batch: types its callers
// and the ops layer (logs, metrics) share without importing the coordinator itself.
import type { ErrorBody, ResultReply, WorkloadStatus } from '@tessera/shared';

export interface CoordinatorEvents {
  /** A workload changed state or progress. */
  workload: [workloadId: string];
  /** A workload reached a final status. */
  workloadEnded: [workloadId: string, status: WorkloadStatus];
  /** Volunteers whose validated credit changed. */
  credited: [volunteerIds: string[]];
  /** New units can be leased (a workload submitted, a round opened, leases released). */
  workAvailable: [];
}

export type BatchReply =
  { ok: true; verdict: ResultReply['verdict'] } | { ok: false; error: ErrorBody };
