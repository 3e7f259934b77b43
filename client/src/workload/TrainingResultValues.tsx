// A gradient workload's result: how far it trained, its latest figures, and the downloads: the
// parameters as float32 bytes (GET /api/workloads/:id/result?format=bin, the layout of
// shared/src/kinds/gradient/gradientModel.ts) and the metrics as JSON; once it completes, the
// way to run its model over a dataset (the submit page's inference form).
import { accuracyWords, lossWords, stepsWords, wholeNumber } from '../dashboard/formatting';
import { parameterBytesWords, type TrainingResult } from './trainingView';

export function TrainingResultValues({ id, result }: { id: string; result: TrainingResult }) {
  const base = `/api/workloads/${encodeURIComponent(id)}/result`;
  return (
    <>
      <dl className="result-values" data-testid="result-values">
        <dt>steps</dt>
        <dd className="num" data-testid="result-steps">
          {stepsWords(result.version, result.stepsTotal)}
        </dd>
        <dt>training loss</dt>
        <dd className="num" data-testid="result-loss">
          {lossWords(result.loss)}
        </dd>
        <dt>held-out accuracy</dt>
        <dd className="num" data-testid="result-accuracy">
          {accuracyWords(result.accuracy)}
        </dd>
        <dt>parameters</dt>
        <dd className="num" data-testid="result-parameters">
          {wholeNumber(result.parameterCount)} float32
        </dd>
      </dl>
      <p className="download-links">
        <a
          className="button-link"
          href={`${base}?format=bin`}
          download={`tessera-${id}-params.f32`}
          data-testid="download-params"
        >
          Download parameters ({parameterBytesWords(result.parameterCount)})
        </a>
        <a
          className="button-link secondary"
          href={base}
          download={`tessera-${id}-result.json`}
          data-testid="download-result"
        >
          Metrics (JSON)
        </a>
      </p>
      {result.final && (
        <p>
          <a
            href={`/submit?type=inference/predict&workload=${encodeURIComponent(id)}`}
            data-testid="predict-link"
          >
            Predict with this model →
          </a>
        </p>
      )}
      {!result.final && (
        <p className="panel-note">
          The parameters so far, at step {wholeNumber(result.version)}; the final ones once training
          completes.
        </p>
      )}
    </>
  );
}
