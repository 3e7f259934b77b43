// React's view of the dashboard feed: one DashboardFeed per mounted page, its state as React
// state. Pass a workload id to follow that workload's series and result as well.
import { useEffect, useState } from 'react';
import { DashboardFeed, INITIAL_FEED_STATE, type FeedState } from './dashboardFeed';

export function useDashboardFeed(options: { follow?: string | null } = {}): FeedState {
  const [feed, setFeed] = useState<DashboardFeed | null>(null);
  const [state, setState] = useState<FeedState>(INITIAL_FEED_STATE);
  const follow = options.follow ?? null;

  useEffect(() => {
    const created = new DashboardFeed();
    const unlisten = created.listen(setState);
    setState(created.getState());
    setFeed(created);
    return () => {
      unlisten();
      created.close();
    };
  }, []);

  useEffect(() => {
    feed?.follow(follow);
  }, [feed, follow]);

  return state;
}
