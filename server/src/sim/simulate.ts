// `npm run simulate -- --volunteers 200 --bad 0.2 --mode random|colluding|...|error-saboteur ...`:
// runs the hostile-volunteer simulator (hostileSimulation.ts) once, or once per seed and bad share
// listed (`--seeds 1,2,3 --bad 0.1,0.2`), and prints its figures (simulateCli.ts).
// Exit status: 0 when every run finished, 1 when one timed out, 2 for a usage error.
import { runSimulation, simulationOptionsSchema, type SimulationReport } from './hostileSimulation';
import { USAGE, commandFromArgs, formatReport, formatTable } from './simulateCli';

async function main(): Promise<number> {
  let parsed: ReturnType<typeof commandFromArgs>;
  try {
    parsed = commandFromArgs(process.argv.slice(2));
    if (parsed.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    for (const run of parsed.runs) simulationOptionsSchema.parse(run);
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
  const reports: SimulationReport[] = [];
  for (const run of parsed.runs) {
    const tag = parsed.runs.length > 1 ? `[bad ${run.bad ?? 0.2}, seed ${run.seed ?? 1}] ` : '';
    const report = await runSimulation(run, (line) => process.stderr.write(`${tag}${line}\n`));
    reports.push(report);
    // Each run in full as it ends (stderr when a table follows), so a long sweep shows progress.
    if (parsed.runs.length > 1 && !parsed.json) process.stderr.write(`${formatReport(report)}\n\n`);
  }
  if (parsed.json) {
    const body = reports.length === 1 ? reports[0] : reports;
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    process.stdout.write(
      `${reports.length === 1 ? formatReport(reports[0]!) : formatTable(reports)}\n`,
    );
  }
  return reports.some((r) => r.timedOut) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`simulation failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
