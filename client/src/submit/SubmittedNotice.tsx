// What the page says once a workload is accepted: its name and size, and the way to its live view.
import type { WorkloadView } from '@tessera/shared';

export function SubmittedNotice({ view }: { view: WorkloadView }) {
  const href = `/workloads/${encodeURIComponent(view.id)}`;
  return (
    <section className="card submitted" role="status" data-testid="submitted">
      <h2>Submitted</h2>
      <p>
        “{view.name}” is queued: {view.progress.unitsTotal.toLocaleString('en-US')}{' '}
        {view.progress.unitsTotal === 1 ? 'unit' : 'units'}, id <code>{view.id}</code>.
      </p>
      <p>
        <a className="watch-link" href={href} data-testid="workload-link">
          Watch it live →
        </a>
      </p>
      <p className="fineprint">
        From a terminal: <code>npx tessera status {view.id}</code>, and{' '}
        <code>npx tessera result {view.id}</code> once units are validated.
      </p>
    </section>
  );
}
