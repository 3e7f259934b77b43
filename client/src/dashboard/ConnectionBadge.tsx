// Whether the page is receiving live updates, in words (and a dot that repeats them).
import type { FeedConnection } from './dashboardFeed';

const WORDS: Record<FeedConnection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  incompatible: 'Out of date: reload the page',
};

export function ConnectionBadge({ connection }: { connection: FeedConnection }) {
  return (
    <span className={`live live-${connection}`} data-testid="feed-connection" role="status">
      <span className="live-dot" aria-hidden="true" />
      {WORDS[connection]}
    </span>
  );
}
