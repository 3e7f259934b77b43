// `tessera result ID [--out FILE]`: the workload's answer as JSON, on stdout or into FILE. A
// running workload's answer is partial (from the units validated so far) and says so.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { WorkloadResult } from '@tessera/shared';
import { allowOnly, operands, type CliArgs } from '../cliArgs';
import { resolveConnection } from '../connection';
import { EXIT, type ExitCode } from '../exitCodes';
import type { CliIO } from '../output';
import { estimateSummary } from '../workloadText';

/** Writes a result where it was asked for, and what it is in words on stderr. */
export function deliverResult(
  id: string,
  result: WorkloadResult,
  out: string | undefined,
  io: CliIO,
): void {
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const summary = estimateSummary(result);
  if (!result.final) {
    io.stderr.write(
      `Partial result: ${result.unitsValidated}/${result.unitsTotal} units validated (workload ${result.status}).\n`,
    );
  }
  if (summary) io.stderr.write(`${summary}\n`);
  if (out === undefined) {
    io.stdout.write(json);
    return;
  }
  const path = resolve(io.cwd, out);
  writeFileSync(path, json);
  io.stderr.write(`Wrote the result of workload ${id} to ${path}\n`);
}

export async function resultCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('result', args, ['url', 'token', 'out']);
  const [id] = operands('result', args, 1, ['ID']) as [string];
  const { client } = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });
  deliverResult(id, await client.result(id), args.values.out, io);
  return EXIT.ok;
}
