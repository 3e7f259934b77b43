// The workload page's live view of a gradient workload: its latest loss and held-out accuracy
// (the step count is in the progress panel) and its curve by step, extended as rounds close.
import type { StepPoint } from '@tessera/shared/protocol/dashboardProtocol';
import type { WorkloadStatus } from '@tessera/shared/workloadSpec';
import { accuracyWords, lossWords } from '../dashboard/formatting';
import { TrainingChart } from './TrainingChart';
import type { TrainingNow } from './trainingView';

export function TrainingPanel(props: {
  status: WorkloadStatus;
  training: TrainingNow | null;
  steps: StepPoint[];
  final: boolean;
}) {
  const t = props.training;
  return (
    <section className="panel wide" aria-label="Training">
      <h2 className="panel-title">
        Training{' '}
        <span className="panel-note">
          {props.final ? 'final' : 'updates as each step’s shards are validated'}
        </span>
      </h2>
      {t && (
        <p className="headline training-figures">
          <span>
            <span className="muted">loss </span>
            <span className="num" data-testid="training-loss">
              {lossWords(t.loss)}
            </span>
          </span>
          <span>
            <span className="muted">held-out accuracy </span>
            <span className="num" data-testid="training-accuracy">
              {accuracyWords(t.accuracy)}
            </span>
          </span>
        </p>
      )}
      {props.steps.length === 0 ? (
        <p className="empty" data-testid="training-empty">
          {props.status === 'queued'
            ? 'Waiting for volunteers — open / in a tab to contribute.'
            : 'No step completed yet: the chart starts when the first step’s shards agree.'}
        </p>
      ) : (
        <TrainingChart steps={props.steps} />
      )}
    </section>
  );
}
