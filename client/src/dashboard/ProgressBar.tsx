// A workload's progress: validated units as a filled bar, units in flight as a lighter band
// after it, so a glance shows both what is done and what is being computed now.
export function ProgressBar(props: {
  fraction: number;
  inFlightFraction?: number;
  status: string;
  label: string;
}) {
  const done = Math.min(1, Math.max(0, props.fraction));
  const flying = Math.min(1 - done, Math.max(0, props.inFlightFraction ?? 0));
  return (
    <div
      className={`progress progress-${props.status}`}
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(done * 1000) / 10}
      data-fraction={done}
    >
      <span className="progress-done" style={{ width: `${done * 100}%` }} />
      <span className="progress-flying" style={{ width: `${flying * 100}%` }} />
    </div>
  );
}
