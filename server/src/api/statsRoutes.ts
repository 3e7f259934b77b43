// Platform figures: GET /api/stats (JSON), GET /healthz, GET /metrics (Prometheus text).
import { Router } from 'express';
import { WORKLOAD_STATUSES } from '@tessera/shared';
import type { Coordinator } from '../coordinator';
import { formatLabels } from '../metrics';
import { REPLICA_STATES } from '../engine/repository';
import type { OnlineVolunteers } from '../realtime/onlineVolunteers';

/** Throughput is measured over the last minute of validated units. */
export const THROUGHPUT_WINDOW_MS = 60_000;

export async function platformStats(coordinator: Coordinator, online: OnlineVolunteers) {
  const counts = await coordinator.reads.counts(THROUGHPUT_WINDOW_MS);
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
  online: OnlineVolunteers,
  startedAt: number,
): Router {
  const router = Router();

  router.get('/api/stats', async (_req, res) => {
    res.json(await platformStats(coordinator, online));
  });

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: (Date.now() - startedAt) / 1000 });
  });

  router.get('/metrics', async (_req, res) => {
    const stats = await platformStats(coordinator, online);
    const lines: string[] = [];
    const gauge = (name: string, help: string, values: Array<[Record<string, string>, number]>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const [labels, value] of values) lines.push(`${name}${formatLabels(labels)} ${value}`);
    };
    gauge('tessera_volunteers_online', 'Volunteer connections that said hello, by backend.', [
      [{ backend: 'webgpu' }, stats.volunteersByBackend.webgpu],
      [{ backend: 'cpu' }, stats.volunteersByBackend.cpu],
    ]);
    gauge('tessera_units_validated', 'Units with a canonical result.', [
      [{}, stats.unitsValidated],
    ]);
    gauge(
      'tessera_workloads',
      'Workloads by status.',
      WORKLOAD_STATUSES.map((s) => [{ status: s }, stats.workloads[s]]),
    );
    gauge(
      'tessera_replicas',
      'Replicas by state.',
      REPLICA_STATES.map((s) => [{ state: s }, stats.replicas[s]]),
    );
    gauge('tessera_samples_per_second', 'Validated work per second over the last minute.', [
      [{}, stats.throughput.samplesPerSecond],
    ]);
    const counterNames = new Set<string>();
    for (const [key, value] of coordinator.counters.entries()) {
      const name = key.replace(/\{.*$/, '');
      if (!counterNames.has(name)) {
        counterNames.add(name);
        lines.push(`# TYPE ${name} counter`);
      }
      lines.push(`${key} ${value}`);
    }
    res.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
  });

  return router;
}
