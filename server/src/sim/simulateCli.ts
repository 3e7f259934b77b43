// The simulator's command line, apart from its entry point (simulate.ts) so it can be tested:
// flags to simulation options (one run, or one per seed and bad share listed), and the reports
// as text: one run in full, several as a table.
import { parseArgs } from 'node:util';
import type { SchedulerOptionsInput } from '../scheduler/schedulerOptions';
import { SIM_MODES, type SimulationOptionsInput, type SimulationReport } from './hostileSimulation';

export const USAGE = `usage: npm run simulate -- --mode ${SIM_MODES.join('|')} [options]

  --volunteers N        simulated volunteers, one socket.io connection each (200)
  --bad F[,F...]        share of them that behave as the mode says (0.2); a list runs each
  --mode M              random: random wrong results; colluding: the same wrong result;
                        flaky: tabs closed mid-unit; slow: answers near the deadline;
                        flood: bursts of duplicate, replayed, foreign and malformed events;
                        timed-colluders: lie only once an honest result for the unit is in,
                        and a second colluder takes the contested unit's next replica and
                        agrees; error-saboteur: report every leased unit as failed, as fast
                        as the rate limit allows
  --units N             pi units in all (10000), --workloads N to split them (1)
  --samples-per-unit N  pi samples per unit (1024: the kernel costs next to nothing)
  --seed S              seeds every choice of the run (1)
  --seeds S,S,...       one run per seed (and per --bad share), then a table of all runs
  --adaptive            redundancy.adaptive on every workload (server/SPEC.md R1-R5)
  --lie-rate F          random/colluding/timed-colluders: share of units lied on (1)
  --close-rate F        flaky: chance per unit of closing the tab (0.3)
  --flood-burst N       flood: hostile events after each unit (20)
  --hold-ms N           timed-colluders: wait for an honest result at most this long (2000)
  --max-replicas N      redundancy.maxReplicas of every workload (10, the platform default)
  --max-errors N        redundancy.maxErrors of every workload (8)
  --trust-after N, --spot-check-rate F, --established-after N, --offense-limit N,
  --suspension-ms N, --lease-ms N, --block-check-rate F, --no-block-checks
                        coordinator scheduler options (defaults: schedulerOptions.ts)
  --timeout-s N         give up on a run after this long (600)
  --keep                keep the coordinator's data folder (SQLite file) and print its path
  --json                print the report (several: an array of reports) as JSON
`;

const OPTIONS = {
  volunteers: { type: 'string' },
  bad: { type: 'string' },
  mode: { type: 'string' },
  units: { type: 'string' },
  workloads: { type: 'string' },
  'samples-per-unit': { type: 'string' },
  seed: { type: 'string' },
  seeds: { type: 'string' },
  adaptive: { type: 'boolean' },
  'lie-rate': { type: 'string' },
  'close-rate': { type: 'string' },
  'flood-burst': { type: 'string' },
  'hold-ms': { type: 'string' },
  'max-replicas': { type: 'string' },
  'max-errors': { type: 'string' },
  'trust-after': { type: 'string' },
  'spot-check-rate': { type: 'string' },
  'block-check-rate': { type: 'string' },
  'no-block-checks': { type: 'boolean' },
  'established-after': { type: 'string' },
  'offense-limit': { type: 'string' },
  'suspension-ms': { type: 'string' },
  'lease-ms': { type: 'string' },
  'timeout-s': { type: 'string' },
  keep: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

function toNumber(name: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number`);
  return n;
}

/** A numeric flag, or undefined when absent; the schemas check ranges. */
function num(values: Values, name: keyof typeof OPTIONS): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  return toNumber(name, raw);
}

/** A comma-separated list of numbers, or undefined when absent. */
function numList(values: Values, name: keyof typeof OPTIONS): number[] | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  return raw.split(',').map((item) => toNumber(name, item));
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface SimulateCommand {
  /** One run per (bad share, seed), bad shares outermost, in the order given. */
  runs: SimulationOptionsInput[];
  json: boolean;
  help: boolean;
}

export function commandFromArgs(argv: string[]): SimulateCommand {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  if (values.seed !== undefined && values.seeds !== undefined) {
    throw new Error('--seed and --seeds: give one of them');
  }
  const timeout = num(values, 'timeout-s');
  const scheduler: SchedulerOptionsInput = defined({
    trustAfter: num(values, 'trust-after'),
    spotCheckRate: num(values, 'spot-check-rate'),
    blockCheckRate: num(values, 'block-check-rate'),
    blockChecks: values['no-block-checks'] ? false : undefined,
    establishedAfter: num(values, 'established-after'),
    offenseLimit: num(values, 'offense-limit'),
    suspensionMs: num(values, 'suspension-ms'),
    leaseDurationMs: num(values, 'lease-ms'),
  });
  const shared = defined({
    volunteers: num(values, 'volunteers'),
    mode: values.mode as SimulationOptionsInput['mode'],
    units: num(values, 'units'),
    workloads: num(values, 'workloads'),
    samplesPerUnit: num(values, 'samples-per-unit'),
    adaptive: values.adaptive,
    lieRate: num(values, 'lie-rate'),
    closeRate: num(values, 'close-rate'),
    floodBurst: num(values, 'flood-burst'),
    holdMs: num(values, 'hold-ms'),
    maxReplicas: num(values, 'max-replicas'),
    maxErrors: num(values, 'max-errors'),
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    keepData: values.keep,
    scheduler,
  });
  const bads: Array<number | undefined> = numList(values, 'bad') ?? [undefined];
  const seeds: Array<number | undefined> = numList(values, 'seeds') ?? [num(values, 'seed')];
  const runs = bads.flatMap((bad) =>
    seeds.map((seed) => ({ ...shared, ...defined({ bad, seed }) }) as SimulationOptionsInput),
  );
  return { runs, json: values.json ?? false, help: values.help ?? false };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const list = (counts: Record<string, number>) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${int(n)}`)
    .join(', ') || 'none';

export function formatReport(r: SimulationReport): string {
  const o = r.options;
  const a = r.audit;
  const h = r.hostile;
  const failures = a.workloads.filter((w) => w.failureReason).map((w) => w.failureReason);
  const exact = a.workloads.every((w) => w.aggregateExact);
  const lies = o.mode === 'random' || o.mode === 'colluding' || o.mode === 'timed-colluders';
  const lines = [
    `Tessera hostile-volunteer simulation: mode ${o.mode}, seed ${o.seed}`,
    `  ${int(o.volunteers)} volunteers, ${int(h.total)} of them ${h.behavior}` +
      (lies ? ` (lie rate ${o.lieRate})` : '') +
      (o.mode === 'flaky' ? ` (close rate ${o.closeRate})` : '') +
      (o.mode === 'timed-colluders' ? ` (hold ${int(o.holdMs)} ms)` : ''),
    `  ${int(o.units)} pi units of ${int(o.samplesPerUnit)} samples in ${o.workloads} workload(s), adaptive ${o.adaptive ? 'on' : 'off'}, maxReplicas ${o.maxReplicas}, maxErrors ${o.maxErrors}`,
    `  scheduler ${JSON.stringify(r.scheduler)}`,
    '',
    `units validated         ${int(a.unitsValidated)} / ${int(a.unitsTotal)}; failed ${int(r.unitsFailed)}, left open ${int(r.unitsOpen)}; workloads ${list(r.workloadsByStatus)}${r.timedOut ? ' (TIMED OUT)' : ''}`,
    ...failures.map((f) => `  failed: ${f}`),
    `wrong results accepted  ${int(a.wrongAccepted)} (${((1000 * a.wrongAccepted) / Math.max(1, a.unitsValidated)).toFixed(2)} per 1,000 units)`,
    `answer exact            ${exact ? 'yes' : 'NO'} (aggregate equals one process computing every unit)`,
    `efficiency              ${r.efficiency.toFixed(3)} (units / result-bearing replicas: ${int(a.unitsValidated)} / ${int(a.resultBearing)})`,
    `  after warm-up         ${r.efficiencyAfterWarmup.toFixed(3)} (second half of the units: ${int(a.secondHalf.units)} / ${int(a.secondHalf.resultBearing)})`,
    `units run alone         ${int(a.loneUnits)}`,
    `throughput              ${r.unitsPerSecond.toFixed(1)} units/s`,
    `time to completion      ${r.seconds.toFixed(1)} s`,
    `replicas by state       ${list(a.replicasByState)}`,
    `refused events          ${list(r.refused)}`,
    `spot checks (R9)        ${list(r.spotChecks)}`,
    `crowd                   leases ${int(r.crowd.leases)}, results ${int(r.crowd.results)}, errors reported ${int(r.crowd.errorsReported)}, tabs closed ${int(r.crowd.closed)}, dropped by coordinator ${int(r.crowd.dropped)}, flood events ${int(r.crowd.flooded)}`,
    ...(r.crowd.flooded > 0 ? [`flood answered with     ${list(r.crowd.floodAnswers)}`] : []),
    ...(r.ring
      ? [
          `colluder ring           ${int(r.ring.lies)} lies after an honest result, ${int(r.ring.agreements)} agreements, ${int(r.ring.handedBack)} replicas handed back, ${int(r.ring.snipes)} snipe requests`,
        ]
      : []),
    `hostile volunteers      ${int(h.detected)} / ${int(h.total)} detected${h.total > 0 && h.detected === h.total ? ' (every one)' : ''}, ${int(h.suspended)} suspended`,
    `honest volunteers       ${int(h.honestPenalized)} with an invalid verdict, ${int(h.honestSuspended)} wrongly suspended`,
  ];
  if (o.keepData) lines.push(`data kept in            ${r.dataDir}`);
  return lines.join('\n');
}

/** Several runs, one row each: the figures that tell an attack's outcome apart. */
export function formatTable(reports: SimulationReport[]): string {
  const first = reports[0]?.options;
  const header = [
    'bad',
    'seed',
    'workloads',
    'failed units',
    'open units',
    'wrong accepted',
    'honest suspended',
    'hostile caught',
    'hostile suspended',
    'efficiency (after warm-up)',
    'time',
  ];
  const rows = reports.map((r) => [
    String(r.options.bad),
    String(r.options.seed),
    list(r.workloadsByStatus) + (r.timedOut ? ' TIMED OUT' : ''),
    int(r.unitsFailed),
    int(r.unitsOpen),
    int(r.audit.wrongAccepted),
    int(r.hostile.honestSuspended),
    `${int(r.hostile.detected)} / ${int(r.hostile.total)}`,
    int(r.hostile.suspended),
    `${r.efficiency.toFixed(3)} (${r.efficiencyAfterWarmup.toFixed(3)})`,
    `${r.seconds.toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    first
      ? `Tessera hostile-volunteer simulation: mode ${first.mode}, ${int(first.volunteers)} volunteers, ${int(first.units)} pi units of ${int(first.samplesPerUnit)} samples, adaptive ${first.adaptive ? 'on' : 'off'}, ${reports.length} runs`
      : 'no runs',
    'efficiency: units validated / result-bearing replicas; after warm-up: the second half of the units',
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}
