// `npm run simulate -- --volunteers 200 --bad 0.2 --mode random|colluding|flaky|slow|flood ...`:
// runs the hostile-volunteer simulator (hostileSimulation.ts) once and prints its figures.
// Exit status: 0 when the run finished, 1 when it timed out, 2 for a usage error.
import { parseArgs } from 'node:util';
import type { SchedulerOptionsInput } from '../scheduler/schedulerOptions';
import {
  SIM_MODES,
  runSimulation,
  simulationOptionsSchema,
  type SimulationOptionsInput,
  type SimulationReport,
} from './hostileSimulation';

const USAGE = `usage: npm run simulate -- --mode ${SIM_MODES.join('|')} [options]

  --volunteers N        simulated volunteers, one socket.io connection each (200)
  --bad F               share of them that behave as the mode says (0.2)
  --mode M              random: random wrong results; colluding: the same wrong result;
                        flaky: tabs closed mid-unit; slow: answers near the deadline;
                        flood: bursts of duplicate, replayed, foreign and malformed events
  --units N             pi units in all (10000), --workloads N to split them (1)
  --samples-per-unit N  pi samples per unit (1024: the kernel costs next to nothing)
  --seed S              seeds every choice of the run (1)
  --adaptive            redundancy.adaptive on every workload (server/SPEC.md R1-R5)
  --lie-rate F          random/colluding: share of units lied on (1)
  --close-rate F        flaky: chance per unit of closing the tab (0.3)
  --flood-burst N       flood: hostile events after each unit (20)
  --max-replicas N      redundancy.maxReplicas of every workload (10, the platform default)
  --max-errors N        redundancy.maxErrors of every workload (8)
  --trust-after N, --spot-check-rate F, --established-after N, --offense-limit N,
  --suspension-ms N, --lease-ms N
                        coordinator scheduler options (defaults: schedulerOptions.ts)
  --timeout-s N         give up after this long (600)
  --keep                keep the coordinator's data folder (SQLite file) and print its path
  --json                print the report as JSON
`;

const OPTIONS = {
  volunteers: { type: 'string' },
  bad: { type: 'string' },
  mode: { type: 'string' },
  units: { type: 'string' },
  workloads: { type: 'string' },
  'samples-per-unit': { type: 'string' },
  seed: { type: 'string' },
  adaptive: { type: 'boolean' },
  'lie-rate': { type: 'string' },
  'close-rate': { type: 'string' },
  'flood-burst': { type: 'string' },
  'max-replicas': { type: 'string' },
  'max-errors': { type: 'string' },
  'trust-after': { type: 'string' },
  'spot-check-rate': { type: 'string' },
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

/** A numeric flag, or undefined when absent; the schemas check ranges. */
function num(values: Values, name: keyof typeof OPTIONS): number | undefined {
  const raw = values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number`);
  return n;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function optionsFromArgs(argv: string[]): {
  options: SimulationOptionsInput;
  json: boolean;
  help: boolean;
} {
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true });
  const timeout = num(values, 'timeout-s');
  const scheduler: SchedulerOptionsInput = defined({
    trustAfter: num(values, 'trust-after'),
    spotCheckRate: num(values, 'spot-check-rate'),
    establishedAfter: num(values, 'established-after'),
    offenseLimit: num(values, 'offense-limit'),
    suspensionMs: num(values, 'suspension-ms'),
    leaseDurationMs: num(values, 'lease-ms'),
  });
  const options = defined({
    volunteers: num(values, 'volunteers'),
    bad: num(values, 'bad'),
    mode: values.mode as SimulationOptionsInput['mode'],
    units: num(values, 'units'),
    workloads: num(values, 'workloads'),
    samplesPerUnit: num(values, 'samples-per-unit'),
    seed: num(values, 'seed'),
    adaptive: values.adaptive,
    lieRate: num(values, 'lie-rate'),
    closeRate: num(values, 'close-rate'),
    floodBurst: num(values, 'flood-burst'),
    maxReplicas: num(values, 'max-replicas'),
    maxErrors: num(values, 'max-errors'),
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
    keepData: values.keep,
    scheduler,
  }) as SimulationOptionsInput;
  return { options, json: values.json ?? false, help: values.help ?? false };
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
  const statuses: Record<string, number> = {};
  for (const w of a.workloads) statuses[w.status] = (statuses[w.status] ?? 0) + 1;
  const failures = a.workloads.filter((w) => w.failureReason).map((w) => w.failureReason);
  const exact = a.workloads.every((w) => w.aggregateExact);
  const lines = [
    `Tessera hostile-volunteer simulation: mode ${o.mode}, seed ${o.seed}`,
    `  ${int(o.volunteers)} volunteers, ${int(h.total)} of them ${h.behavior}` +
      (o.mode === 'random' || o.mode === 'colluding' ? ` (lie rate ${o.lieRate})` : '') +
      (o.mode === 'flaky' ? ` (close rate ${o.closeRate})` : ''),
    `  ${int(o.units)} pi units of ${int(o.samplesPerUnit)} samples in ${o.workloads} workload(s), adaptive ${o.adaptive ? 'on' : 'off'}, maxReplicas ${o.maxReplicas}, maxErrors ${o.maxErrors}`,
    `  scheduler ${JSON.stringify(r.scheduler)}`,
    '',
    `units validated         ${int(a.unitsValidated)} / ${int(a.unitsTotal)}; workloads ${list(statuses)}${r.timedOut ? ' (TIMED OUT)' : ''}`,
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
    `crowd                   leases ${int(r.crowd.leases)}, results ${int(r.crowd.results)}, tabs closed ${int(r.crowd.closed)}, dropped by coordinator ${int(r.crowd.dropped)}, flood events ${int(r.crowd.flooded)}`,
    ...(r.crowd.flooded > 0 ? [`flood answered with     ${list(r.crowd.floodAnswers)}`] : []),
    `hostile volunteers      ${int(h.detected)} / ${int(h.total)} detected${h.total > 0 && h.detected === h.total ? ' (every one)' : ''}, ${int(h.suspended)} suspended; honest volunteers with an invalid verdict ${int(h.honestPenalized)}`,
  ];
  if (o.keepData) lines.push(`data kept in            ${r.dataDir}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof optionsFromArgs>;
  try {
    parsed = optionsFromArgs(process.argv.slice(2));
    if (parsed.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    simulationOptionsSchema.parse(parsed.options);
  } catch (error) {
    const message =
      error instanceof Error && 'issues' in error
        ? (error as { issues: Array<{ path: unknown[]; message: string }> }).issues
            .map((i) => `${i.path.join('.') || 'options'}: ${i.message}`)
            .join('; ')
        : String((error as Error)?.message ?? error);
    process.stderr.write(`${message}\n\n${USAGE}`);
    return 2;
  }
  const report = await runSimulation(parsed.options, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(
    parsed.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`,
  );
  return report.timedOut ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`simulation failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
