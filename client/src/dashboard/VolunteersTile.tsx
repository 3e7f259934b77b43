// Volunteers online, split by backend (WebGPU / CPU fallback), or what to do when there are none.
import type { DashboardSnapshot } from '@tessera/shared/protocol/dashboardProtocol';
import { StatTile } from './StatTile';

export function VolunteersTile({ volunteers }: { volunteers: DashboardSnapshot['volunteers'] }) {
  const { online, byBackend, known } = volunteers;
  return (
    <StatTile
      title="Volunteers online"
      value={online}
      testId="volunteers-online"
      caption={
        online === 0 ? (
          <span data-testid="volunteers-empty">
            No volunteers yet — open{' '}
            <a href="/" className="strong-link">
              /
            </a>{' '}
            in a tab to contribute
          </span>
        ) : (
          <span data-testid="volunteers-split">
            <span className="nowrap">
              <span className="swatch swatch-webgpu" aria-hidden="true" /> WebGPU {byBackend.webgpu}
            </span>
            <span className="sep" aria-hidden="true">
              ·
            </span>
            <span className="nowrap">
              <span className="swatch swatch-cpu" aria-hidden="true" /> CPU {byBackend.cpu}
            </span>
          </span>
        )
      }
    >
      {online > 0 && (
        <div className="split" aria-hidden="true">
          <span className="split-webgpu" style={{ flexGrow: byBackend.webgpu }} />
          <span className="split-cpu" style={{ flexGrow: byBackend.cpu }} />
        </div>
      )}
      <p className="stat-foot">{known} known in all</p>
    </StatTile>
  );
}
