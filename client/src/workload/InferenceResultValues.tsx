// An inference workload's result: the model it ran (its training workload, the parameter version
// and the hash that pins it), the dataset, the figures, and the downloads: every predicted row
// with its class probabilities as CSV (the rows so far while it runs) and, once complete, all
// of them as bytes (shared/src/kinds/inference/inferenceResult.ts).
import type { ReactNode } from 'react';
import { accuracyWords, wholeNumber } from '../dashboard/formatting';
import { DatasetName } from './DatasetName';
import { hashPrefix, inferenceDownloads, type InferenceResult } from './inferenceView';
import type { DatasetLookup } from './useDatasetInfo';

export function InferenceResultValues(props: {
  id: string;
  result: InferenceResult;
  dataset: DatasetLookup;
}) {
  const { id, result } = props;
  const downloads = inferenceDownloads(id);
  const model = result.model;
  return (
    <>
      <dl className="result-values" data-testid="result-values">
        <dt>rows predicted</dt>
        <dd className="num" data-testid="result-rows">
          {wholeNumber(result.rowsPredicted)} / {wholeNumber(result.rows)}
        </dd>
        {result.labeled && (
          <>
            <dt>accuracy</dt>
            <dd className="num" data-testid="result-accuracy">
              {accuracyWords(result.accuracy ?? null)}
            </dd>
          </>
        )}
        <dt>classes</dt>
        <dd className="num">{result.classes}</dd>
        <dt>model</dt>
        <dd data-testid="result-model">
          <a href={`/workloads/${encodeURIComponent(model.workload)}`} data-testid="model-link">
            {model.workload}
          </a>{' '}
          <span className="muted">
            version {wholeNumber(model.version)}, hash{' '}
            <code title={model.hash} data-testid="model-hash">
              {hashPrefix(model.hash)}
            </code>
          </span>
        </dd>
        <dt>dataset</dt>
        <dd data-testid="result-dataset">
          <DatasetName id={result.dataset} lookup={props.dataset} brief />
        </dd>
      </dl>
      <p className="download-links">
        <DownloadLink
          ready={result.rowsPredicted > 0}
          className="button-link"
          href={downloads.csv}
          download={`tessera-${id}-predictions.csv`}
          testId="download-csv"
        >
          Download CSV
        </DownloadLink>
        <DownloadLink
          ready={result.final}
          className="button-link secondary"
          href={downloads.bin}
          download={`tessera-${id}-predictions.bin`}
          testId="download-bin"
        >
          Download binary
        </DownloadLink>
      </p>
      <p className="download-note">
        CSV: <code>row,class,p0,p1,…</code>, one line per predicted row
        {result.final ? '' : ' (the rows so far)'}. Binary: every row’s class and probabilities
        {result.final ? '' : ', once all rows are predicted'}.
      </p>
    </>
  );
}

/** A download's button: a link once there is something to download, a greyed label until then. */
function DownloadLink(props: {
  ready: boolean;
  className: string;
  href: string;
  download: string;
  testId: string;
  children: ReactNode;
}) {
  if (!props.ready) {
    return (
      <span className={`${props.className} disabled`} aria-disabled="true">
        {props.children}
      </span>
    );
  }
  return (
    <a
      className={props.className}
      href={props.href}
      download={props.download}
      data-testid={props.testId}
    >
      {props.children}
    </a>
  );
}
