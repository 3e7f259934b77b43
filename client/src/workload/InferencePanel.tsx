// The workload page's live view of an inference workload: rows predicted of the dataset's rows,
// the accuracy so far where the dataset has labels, and how the predictions so far spread over
// the classes (the tally's per-class counts), as a small histogram that fills in as units are
// validated.
import type { WorkloadStatus } from '@tessera/shared/workloadSpec';
import { accuracyWords, percent, wholeNumber } from '../dashboard/formatting';
import { ProgressBar } from '../dashboard/ProgressBar';
import { classCounts, type InferenceResult } from './inferenceView';
import './inference.css';

/** Classes drawn at most; beyond that the most predicted ones, and a note of the rest. */
const MAX_BARS = 24;

export function InferencePanel(props: {
  id: string;
  status: WorkloadStatus;
  result: InferenceResult | null;
}) {
  const r = props.result;
  const counts = r?.classCounts ?? (r?.predictions ? classCounts(r.predictions, r.classes) : null);
  return (
    <section className="panel wide" aria-label="Predictions">
      <h2 className="panel-title">
        Predictions{' '}
        <span className="panel-note">
          {r?.final ? 'final' : 'updates as each slice of rows is validated'}
        </span>
      </h2>
      {r === null ? (
        <p className="empty" data-testid="inference-empty">
          {props.status === 'queued'
            ? 'Waiting for volunteers — open / in a tab to contribute.'
            : 'No rows predicted yet: predictions appear when the first slice’s results agree.'}
        </p>
      ) : (
        <>
          <p className="headline inference-figures">
            <span>
              <span className="num" data-testid="inference-rows">
                {wholeNumber(r.rowsPredicted)} / {wholeNumber(r.rows)}
              </span>{' '}
              <span className="muted">rows predicted</span>
            </span>
            {r.labeled ? (
              <span>
                <span className="muted">accuracy </span>
                <span className="num" data-testid="inference-accuracy">
                  {accuracyWords(r.accuracy ?? null)}
                </span>
                {r.correct !== undefined && r.rowsPredicted > 0 && (
                  <span className="muted">
                    {' '}
                    ({wholeNumber(r.correct)} of {wholeNumber(r.rowsPredicted)} right)
                  </span>
                )}
              </span>
            ) : (
              <span className="muted" data-testid="inference-unlabeled">
                no labels in this dataset: no accuracy
              </span>
            )}
          </p>
          <ProgressBar
            fraction={r.rows > 0 ? r.rowsPredicted / r.rows : 0}
            status={props.status}
            label={`${percent(r.rows > 0 ? r.rowsPredicted / r.rows : 0)} of rows predicted`}
          />
          {counts && <ClassHistogram counts={counts} classes={r.classes} final={r.final} />}
        </>
      )}
    </section>
  );
}

function ClassHistogram({
  counts,
  classes,
  final,
}: {
  counts: readonly number[];
  classes: number;
  final: boolean;
}) {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const order = counts.map((n, c) => ({ c, n }));
  const shown =
    classes <= MAX_BARS ? order : [...order].sort((a, b) => b.n - a.n).slice(0, MAX_BARS);
  const most = Math.max(...counts);
  return (
    <figure className="class-histogram" data-testid="class-histogram">
      <figcaption className="muted">
        {final ? 'Predicted class of every row' : 'Predicted class of the rows so far'}
      </figcaption>
      <ol>
        {shown.map(({ c, n }) => (
          <li key={c} data-testid="class-bar" data-class={c} data-count={n}>
            <span className="class-name">class {c}</span>
            <span className="class-track" aria-hidden="true">
              <span className="class-fill" style={{ width: `${(n / most) * 100}%` }} />
            </span>
            <span className="num class-count">
              {wholeNumber(n)} <span className="muted">({percent(n / total)})</span>
            </span>
          </li>
        ))}
      </ol>
      {shown.length < classes && (
        <p className="panel-note">
          The {MAX_BARS} most predicted of {classes} classes.
        </p>
      )}
    </figure>
  );
}
