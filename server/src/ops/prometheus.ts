// GET /metrics from prom-client: the node's registry (the coordinator's counters and timings,
// metrics.ts, and the platform gauges below, read from the store at each scrape) together with
// the Node.js process's own metrics (event-loop lag, heap, GC: tessera_node_*), every series
// labelled with the node's `instance` id so the nodes of one deployment can be told apart.
import { Router } from 'express';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BACKENDS, WORKLOAD_STATUSES } from '@tessera/shared';
import type { platformStats } from '../api/statsRoutes';
import { REPLICA_STATES } from '../engine/repository';

export type PlatformStats = Awaited<ReturnType<typeof platformStats>>;

export interface MetricsSources {
  /** The coordinator's registry (Counters.registry): the platform gauges join it. */
  registry: Registry;
  /** This node's id, the `instance` label of every series. */
  instance: string;
  /** The platform figures, as GET /api/stats gives them. */
  stats: () => Promise<PlatformStats>;
  /** Volunteer sockets connected to this node (identified or not). */
  volunteerConnections: () => number;
}

let processRegistry: Registry | undefined;

/**
 * The process's metrics are collected once per process whatever the number of coordinators in
 * it (tests run many), and merged into each scrape: prom-client's collector starts an
 * event-loop monitor and a GC observer per call, and nothing stops them.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'tessera_node_' });
  }
  return processRegistry;
}

/** The gauges of the platform figures, in `registry`; set from one read of the store per scrape. */
function platformGauges(registry: Registry) {
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  return {
    online: gauge(
      'tessera_volunteers_online',
      'Volunteer connections that said hello, by backend.',
      ['backend'],
    ),
    connections: gauge(
      'tessera_volunteer_connections',
      'Volunteer sockets connected to this node, identified or not.',
    ),
    known: gauge('tessera_volunteers_known', 'Volunteers the store has a record of.'),
    validated: gauge('tessera_units_validated', 'Units with a canonical result.'),
    waiting: gauge(
      'tessera_units_waiting_for_volunteers',
      '[L2] Units of running workloads that no volunteer online may take.',
    ),
    workloads: gauge('tessera_workloads', 'Workloads by status.', ['status']),
    replicas: gauge('tessera_replicas', 'Replicas by state.', ['state']),
    samples: gauge('tessera_samples_per_second', 'Validated work per second over the last minute.'),
    units: gauge('tessera_units_per_second', 'Units validated per second over the last minute.'),
  };
}

export function metricsRoutes(sources: MetricsSources): Router {
  const { registry, instance } = sources;
  registry.setDefaultLabels({ instance });
  const g = platformGauges(registry);
  const router = Router();

  router.get('/metrics', async (_req, res) => {
    const stats = await sources.stats();
    for (const backend of BACKENDS) g.online.set({ backend }, stats.volunteersByBackend[backend]);
    g.connections.set(sources.volunteerConnections());
    g.known.set(stats.volunteersTotal);
    g.validated.set(stats.unitsValidated);
    g.waiting.set(stats.unitsWaitingForVolunteers);
    for (const status of WORKLOAD_STATUSES) g.workloads.set({ status }, stats.workloads[status]);
    for (const state of REPLICA_STATES) g.replicas.set({ state }, stats.replicas[state]);
    g.samples.set(stats.throughput.samplesPerSecond);
    g.units.set(stats.throughput.unitsPerSecond);

    const scrape = Registry.merge([registry, processMetrics()]);
    scrape.setDefaultLabels({ instance });
    res.type(scrape.contentType).send(await scrape.metrics());
  });

  return router;
}
