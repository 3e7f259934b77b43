// A workload's public result as a readable list, whatever the estimator: numbers with their
// full precision, intervals as [lo, hi], nested quantities (mean, stderr) indented under
// their name; a WGSL kernel's outputs as a table (KernelOutputs.tsx). Bookkeeping fields are
// left to the progress panel.
import { Fragment } from 'react';
import { KernelOutputs, kernelOutputsOf } from './KernelOutputs';

const SHOWN_ELSEWHERE = new Set(['final', 'status', 'unitsValidated', 'unitsTotal']);

function valueWords(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '—';
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
    return `[${value.map((v) => valueWords(v)).join(', ')}]`;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function Entries({ record }: { record: Record<string, unknown> }) {
  return (
    <>
      {Object.entries(record).map(([key, value]) =>
        typeof value === 'object' && value !== null && !Array.isArray(value) ? (
          <Fragment key={key}>
            <dt className="result-group">{key}</dt>
            <dd>
              <dl className="result-values nested">
                <Entries record={value as Record<string, unknown>} />
              </dl>
            </dd>
          </Fragment>
        ) : (
          <Fragment key={key}>
            <dt>{key}</dt>
            <dd className="num" data-testid={`result-${key}`}>
              {valueWords(value)}
            </dd>
          </Fragment>
        ),
      )}
    </>
  );
}

export function ResultValues({ result }: { result: Record<string, unknown> }) {
  const outputs = kernelOutputsOf(result);
  const shown = Object.fromEntries(
    Object.entries(result).filter(
      ([key]) => !SHOWN_ELSEWHERE.has(key) && !(outputs && key === 'outputs'),
    ),
  );
  return (
    <>
      {outputs && <KernelOutputs rows={outputs} />}
      <dl className="result-values" data-testid="result-values">
        <Entries record={shown} />
      </dl>
    </>
  );
}
