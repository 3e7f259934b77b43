// A workload's status as a small coloured word; the colour only repeats what the word says.
import type { WorkloadStatus } from '@tessera/shared/workloadSpec';

export function StatusBadge({ status }: { status: WorkloadStatus }) {
  return (
    <span className={`badge badge-${status}`} data-testid="workload-status">
      {status}
    </span>
  );
}
