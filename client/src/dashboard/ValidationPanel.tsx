// What redundancy has decided so far: replicas that agreed, were outvoted, wait for a partner,
// or were reissued because their tab went away or their kernel failed.
import type { ValidationFigures } from '@tessera/shared/protocol/dashboardProtocol';
import { percent, wholeNumber } from './formatting';

const ROWS: Array<{ key: keyof ValidationFigures; label: string; hint: string; tone?: string }> = [
  { key: 'agreed', label: 'Agreed', hint: 'matched the quorum', tone: 'good' },
  { key: 'disagreed', label: 'Disagreed', hint: 'outvoted by the quorum', tone: 'bad' },
  { key: 'pending', label: 'Awaiting quorum', hint: 'returned, waiting for a match' },
  { key: 'inFlight', label: 'In flight', hint: 'being computed now' },
  { key: 'timedOut', label: 'Timed out', hint: 'tab gone or too slow: reissued', tone: 'warn' },
  { key: 'errored', label: 'Errored', hint: 'kernel failed: reissued', tone: 'warn' },
  { key: 'refused', label: 'Refused', hint: 'not leased or late (since start)', tone: 'warn' },
];

export function ValidationPanel({ figures }: { figures: ValidationFigures }) {
  const judged = figures.agreed + figures.disagreed;
  return (
    <section className="panel" aria-label="Validation">
      <h2 className="panel-title">
        Validation{' '}
        <span className="panel-note">
          {judged === 0
            ? 'replicas, nothing judged yet'
            : `replicas, ${percent(figures.agreed / judged)} agreement`}
        </span>
      </h2>
      <dl className="figures">
        {ROWS.map((row) => (
          <div key={row.key} className={row.tone ? `figure tone-${row.tone}` : 'figure'}>
            <dt>{row.label}</dt>
            <dd data-testid={`validation-${row.key}`}>{wholeNumber(figures[row.key])}</dd>
            <dd className="figure-hint">{row.hint}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
