// The public live dashboard ('/dashboard'): everything pushed over the /dashboard socket.io
// namespace, nothing polled. Stat tiles on top, throughput over time, the workloads, then
// validation figures and the leaderboard.
import { useEffect } from 'react';
import { ConnectionBadge } from './ConnectionBadge';
import { compactNumber, wholeNumber } from './formatting';
import { LeaderboardPanel } from './LeaderboardPanel';
import { SiteNav } from './SiteNav';
import { StatTile } from './StatTile';
import { ThroughputPanel } from './ThroughputPanel';
import { useDashboardFeed } from './useDashboardFeed';
import { ValidationPanel } from './ValidationPanel';
import { VolunteersTile } from './VolunteersTile';
import { WorkloadsPanel } from './WorkloadsPanel';

export function DashboardPage() {
  const feed = useDashboardFeed();
  useEffect(() => {
    document.title = 'Tessera — live dashboard';
  }, []);
  const s = feed.snapshot;
  const byStatus = s?.workloadsByStatus;
  const totalWorkloads = byStatus ? Object.values(byStatus).reduce((a, b) => a + b, 0) : 0;

  return (
    <main className="dash">
      <header className="dash-head">
        <div className="dash-title">
          <h1>Tessera</h1>
          <p className="tagline">Live dashboard</p>
        </div>
        <SiteNav current="/dashboard" />
        <ConnectionBadge connection={feed.connection} />
      </header>

      {feed.problem && (
        <p className="error" role="alert">
          {feed.problem}
        </p>
      )}

      {!s ? (
        <p className="empty loading">Waiting for the coordinator’s first update…</p>
      ) : (
        <div className="dash-grid">
          <VolunteersTile volunteers={s.volunteers} />
          <StatTile
            title="Throughput"
            value={
              <>
                {compactNumber(s.throughput.workPerSecond)}
                <span className="stat-unit"> samples/s</span>
              </>
            }
            testId="throughput-now"
            caption={`${s.throughput.unitsPerSecond.toFixed(2)} units/s over the last ${s.throughput.windowSeconds} s`}
          />
          <StatTile
            title="Units validated"
            value={compactNumber(s.throughput.unitsValidated)}
            testId="units-validated"
            caption="agreed by quorum, in all workloads"
          />
          <StatTile
            title="Workloads"
            value={wholeNumber(byStatus?.running ?? 0)}
            testId="workloads-running"
            caption={`running · ${byStatus?.queued ?? 0} queued · ${byStatus?.completed ?? 0} completed`}
          />
          <ThroughputPanel
            points={feed.throughput}
            current={{
              t: s.at,
              workPerSecond: s.throughput.workPerSecond,
              unitsPerSecond: s.throughput.unitsPerSecond,
            }}
            windowSeconds={s.throughput.windowSeconds}
          />
          <WorkloadsPanel workloads={s.workloads} total={totalWorkloads} />
          <ValidationPanel figures={s.validation} />
          <LeaderboardPanel entries={s.leaderboard} />
        </div>
      )}
    </main>
  );
}
