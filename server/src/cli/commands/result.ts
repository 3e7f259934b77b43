// `tessera result ID [--out FILE] [--format json|bin]`: the workload's answer as JSON, on stdout
// or into FILE. A running workload's answer is partial (from the units validated so far) and
// says so. `--format bin` writes a gradient workload's parameters as float32 bytes into FILE.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TesseraClient, WorkloadResult } from '@tessera/shared';
import { allowOnly, operands, type CliArgs } from '../cliArgs';
import { resolveConnection } from '../connection';
import { EXIT, UsageError, type ExitCode } from '../exitCodes';
import type { CliIO } from '../output';
import { resultSummary } from '../workloadText';

const number = new Intl.NumberFormat('en-US');

/** Writes a result where it was asked for, and what it is in words on stderr. */
export function deliverResult(
  id: string,
  result: WorkloadResult,
  out: string | undefined,
  io: CliIO,
): void {
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const summary = resultSummary(result);
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

/** The parameters of a gradient workload into `out` as float32 bytes; other kinds are refused. */
async function deliverParameters(
  client: TesseraClient,
  id: string,
  out: string,
  io: CliIO,
): Promise<void> {
  // Asked first so the refusal names the workload's kind, not only the server's words.
  const view = await client.get(id);
  if (view.kind !== 'gradient') {
    throw new Error(
      `workload ${id} is a ${view.kind} workload: --format bin downloads the parameters of gradient workloads; its result is JSON (tessera result ${id})`,
    );
  }
  const params = await client.resultBytes(id);
  const path = resolve(io.cwd, out);
  writeFileSync(path, params.bytes);
  const values = params.bytes.byteLength / Float32Array.BYTES_PER_ELEMENT;
  io.stderr.write(
    `Wrote ${number.format(values)} float32 parameters (${number.format(params.bytes.byteLength)} bytes, little-endian) of workload ${id} at step ${number.format(params.version)}${params.final ? ', final,' : ` (not final: workload ${view.status})`} to ${path}\n`,
  );
}

export async function resultCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('result', args, ['url', 'token', 'out', 'format']);
  const [id] = operands('result', args, 1, ['ID']) as [string];
  const format = args.values.format ?? 'json';
  if (format !== 'json' && format !== 'bin') throw new UsageError('--format must be json or bin');
  const { out } = args.values;
  if (format === 'json') {
    const { client } = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });
    deliverResult(id, await client.result(id), out, io);
    return EXIT.ok;
  }
  // Bytes on a terminal are garbage and can upset it; a file is what a researcher loads.
  if (out === undefined) {
    throw new UsageError('--format bin writes binary (float32 bytes): give --out FILE');
  }
  const { client } = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });
  await deliverParameters(client, id, out, io);
  return EXIT.ok;
}
