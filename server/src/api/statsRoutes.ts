// Platform figures: GET /api/stats (JSON) and GET /healthz. GET /metrics serves the same figures
// as Prometheus gauges (ops/prometheus.ts).
import { Router } from 'express';
import type { Coordinator } from '../coordinator';
import type { OnlineView } from '../realtime/onlineVolunteers';

/** Throughput is measured over the last minute of validated units. */
export const THROUGHPUT_WINDOW_MS = 60_000;

/**
 * `online` is this process's connections, or the whole cluster's when coordinators share Redis
 * (it is also what coordinator.reads.online judges waiting units against).
 */
export async function platformStats(coordinator: Coordinator, online: OnlineView) {
  const counts = await coordinator.reads.counts(THROUGHPUT_WINDOW_MS);
  await online.refresh();
  let unitsWaiting = 0;
  for (const w of await coordinator.reads.listWorkloads()) {
    if (w.status === 'running') unitsWaiting += await coordinator.reads.unitsWaiting(w.id);
  }
  const seconds = counts.recent.windowMs / 1000;
  return {
    volunteersOnline: online.total(),
    volunteersByBackend: online.byBackend(),
    volunteersTotal: counts.volunteersTotal,
    unitsValidated: counts.unitsValidated,
    /** Units no volunteer online may take ([L2]): they wait for another volunteer. */
    unitsWaitingForVolunteers: unitsWaiting,
    throughput: {
      windowSeconds: seconds,
      unitsPerSecond: counts.recent.units / seconds,
      samplesPerSecond: counts.recent.work / seconds,
    },
    workloads: counts.workloadsByStatus,
    replicas: counts.replicasByState,
  };
}

export function statsRoutes(
  coordinator: Coordinator,
  online: OnlineView,
  startedAt: number,
): Router {
  const router = Router();

  router.get('/api/stats', async (_req, res) => {
    res.json(await platformStats(coordinator, online));
  });

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: (Date.now() - startedAt) / 1000 });
  });

  return router;
}
