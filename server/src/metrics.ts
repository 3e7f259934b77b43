// The coordinator's own metrics, kept in a prom-client registry of its own (tests run many
// coordinators in one process, so never prom-client's global one): counters of the events this
// process saw, and timings of leasing and of store transactions. GET /metrics (ops/prometheus.ts)
// adds the gauges read from the store at scrape time and serves the lot.
import { Counter, Histogram, Registry } from 'prom-client';

/** HELP lines of the counters the coordinator keeps; any other name gets a generic one. */
const COUNTER_HELP: Record<string, string> = {
  tessera_workloads_submitted_total: 'Workloads submitted.',
  tessera_replicas_leased_total: 'Replicas leased to volunteers.',
  tessera_gradient_partition_leases_total:
    '[L9] Gradient units leased, by whether the tab already held their data partition (held) or had to fetch it.',
  tessera_results_accepted_total: 'Results taken into the vote.',
  tessera_results_refused_total: 'Results refused, by error code.',
  tessera_results_total:
    'Results returned by volunteers, by the verdict they were answered with (pending: the unit waits for more replicas; refused: not taken).',
  tessera_replicas_errored_total: 'Replicas a volunteer reported an error for.',
  tessera_replicas_released_total:
    'Replicas taken back from closed connections, or at start from the previous run.',
  tessera_replicas_timed_out_total: 'Replicas whose lease expired before a result came.',
  tessera_recheck_reopened_total: '[R4] Commits that reopened units settled by a caught volunteer.',
  tessera_units_arbitrated_total: '[Q6] Contested units the coordinator computed itself.',
  tessera_events_refused_total: 'Socket events refused, by error code.',
};

/**
 * Event counts by name and labels. Each name becomes a prom-client Counter in `registry` on its
 * first count, with the label names of that count (a name keeps the same label names).
 */
export class Counters {
  private readonly values = new Map<string, number>();
  private readonly counters = new Map<string, Counter>();

  constructor(readonly registry: Registry = new Registry()) {}

  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    const key = `${name}${formatLabels(labels)}`;
    this.values.set(key, (this.values.get(key) ?? 0) + by);
    let counter = this.counters.get(name);
    if (!counter) {
      counter = new Counter({
        name,
        help: COUNTER_HELP[name] ?? `Coordinator events: ${name}.`,
        labelNames: Object.keys(labels).sort(),
        registers: [this.registry],
      });
      this.counters.set(name, counter);
    }
    counter.inc(labels, by);
  }

  get(name: string, labels: Record<string, string> = {}): number {
    return this.values.get(`${name}${formatLabels(labels)}`) ?? 0;
  }

  /** Every count as [`name{labels}`, value], sorted (the dashboard and simulation reports). */
  entries(): Array<[string, number]> {
    return [...this.values.entries()].sort(([a], [b]) => a.localeCompare(b));
  }
}

export function formatLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  const body = keys
    .map(
      (k) =>
        `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
  return `{${body}}`;
}

/** The timed operations: a histogram of seconds each. */
export const TIMINGS = {
  tessera_lease_seconds:
    'Seconds of one lease batch (Coordinator.leaseBatch): the crowd error rate, the leasing transaction, the leases built.',
  tessera_transaction_seconds:
    'Seconds of one store transaction (Coordinator.transaction), the wait for the write lock included.',
} as const;
export type TimingName = keyof typeof TIMINGS;

/** From half a millisecond (a small SQLite transaction) to seconds (a store in trouble). */
export const SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export class Timings {
  private readonly histograms = new Map<TimingName, Histogram>();

  constructor(registry: Registry) {
    for (const [name, help] of Object.entries(TIMINGS)) {
      this.histograms.set(
        name as TimingName,
        new Histogram({ name, help, buckets: SECONDS_BUCKETS, registers: [registry] }),
      );
    }
  }

  /** Times one store transaction (tessera_transaction_seconds). */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.time('tessera_transaction_seconds', work);
  }

  /** Times one lease batch (tessera_lease_seconds). */
  lease<T>(work: () => Promise<T>): Promise<T> {
    return this.time('tessera_lease_seconds', work);
  }

  /** Runs `work`, recording how long it took whether it succeeded or threw. */
  async time<T>(name: TimingName, work: () => Promise<T>): Promise<T> {
    const stop = this.histograms.get(name)!.startTimer();
    try {
      return await work();
    } finally {
      stop();
    }
  }
}
