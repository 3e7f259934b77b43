// The workload page's live view of a Monte Carlo workload: its current answer with the 95%
// interval, and each charted quantity over time with its interval narrowing.
import type { Headline, SeriesMap } from '@tessera/shared/protocol/dashboardProtocol';
import type { WorkloadStatus } from '@tessera/shared/workloadSpec';
import { estimateWithInterval } from '../dashboard/formatting';
import { EstimateChart } from './EstimateChart';

export function RunningAnswerPanel(props: {
  status: WorkloadStatus;
  headline: Headline | null;
  series: SeriesMap;
  final: boolean;
}) {
  const seriesNames = Object.keys(props.series);
  return (
    <section className="panel wide" aria-label="Running answer">
      <h2 className="panel-title">
        Running answer{' '}
        <span className="panel-note">
          {props.final ? 'final' : 'updates as units are validated'}
        </span>
      </h2>
      {props.headline && (
        <p className="headline" data-testid="workload-headline">
          <span className="muted">{props.headline.series}</span>{' '}
          <span className="num">
            {estimateWithInterval(props.headline.value, props.headline.lo, props.headline.hi)}
          </span>
          {props.headline.lo !== null && <span className="muted"> (95% interval)</span>}
        </p>
      )}
      {seriesNames.length === 0 ? (
        <p className="empty" data-testid="estimate-empty">
          {props.status === 'queued'
            ? 'Waiting for volunteers — open / in a tab to contribute.'
            : 'No validated units yet: the chart starts with the first agreed result.'}
        </p>
      ) : (
        seriesNames.map((series) => (
          <div key={series} className="series-block">
            {seriesNames.length > 1 && <h3 className="series-name">{series}</h3>}
            <EstimateChart name={series} points={props.series[series]!} />
          </div>
        ))
      )}
    </section>
  );
}
