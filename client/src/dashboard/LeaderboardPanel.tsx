// Volunteers by validated credit (one credit per million validated samples): display names
// and a short public handle, never an identity's secret.
import type { LeaderboardEntry } from '@tessera/shared/protocol/dashboardProtocol';
import { compactNumber, wholeNumber } from './formatting';

export function LeaderboardPanel({ entries }: { entries: LeaderboardEntry[] }) {
  return (
    <section className="panel" aria-label="Leaderboard">
      <h2 className="panel-title">
        Leaderboard <span className="panel-note">validated credit</span>
      </h2>
      {entries.length === 0 ? (
        <p className="empty" data-testid="leaderboard-empty">
          No validated work yet — credit appears once volunteers agree on a unit.
        </p>
      ) : (
        <table className="leaderboard" data-testid="leaderboard">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Volunteer</th>
              <th scope="col" className="num">
                Credit
              </th>
              <th scope="col" className="num">
                Units
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={`${e.rank}-${e.handle}`}>
                <td className="rank">{e.rank}</td>
                <td>
                  <span className="lb-name">{e.displayName}</span>
                  {!e.displayName.includes(e.handle) && (
                    <span className="lb-handle"> #{e.handle}</span>
                  )}
                </td>
                <td className="num">{compactNumber(e.credit)}</td>
                <td className="num">{wholeNumber(e.unitsValidated)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
