// `tessera result ID [--out FILE] [--format json|bin|csv]`: the workload's answer as JSON, on
// stdout or into FILE. A running workload's answer is partial (from the units validated so far)
// and says so. `--format bin` writes a gradient workload's parameters as float32 bytes into
// FILE; `--format csv` an inference workload's predictions (`row,class,p0,p1,...`).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TesseraClient, WorkloadResult } from '@tessera/shared';
import { allowOnly, operands, type CliArgs } from '../cliArgs';
import { resolveConnection } from '../connection';
import { EXIT, UsageError, type ExitCode } from '../exitCodes';
import type { CliIO } from '../output';
import { resultSummary } from '../workloadText';

const number = new Intl.NumberFormat('en-US');

/**
 * Where a result's JSON goes: stdout, a file, or nowhere (`submit --wait` without --json or
 * --out: the summary in words is the answer there, and a gradient workload's JSON runs to
 * hundreds of lines of steps; a result with no summary is still printed as JSON).
 */
export type ResultDestination = { to: 'stdout' } | { to: 'file'; path: string } | { to: 'none' };

/** `--out FILE` as a destination, else `fallback`. */
export function destinationOf(
  out: string | undefined,
  fallback: ResultDestination,
): ResultDestination {
  return out === undefined ? fallback : { to: 'file', path: out };
}

/** Writes a result where it was asked for, and what it is in words on stderr. */
export function deliverResult(
  id: string,
  result: WorkloadResult,
  destination: ResultDestination,
  io: CliIO,
): void {
  const summary = resultSummary(result);
  if (!result.final) {
    io.stderr.write(
      `Partial result: ${result.unitsValidated}/${result.unitsTotal} units validated (workload ${result.status}).\n`,
    );
  }
  if (summary) io.stderr.write(`${summary}\n`);
  const json = () => `${JSON.stringify(result, null, 2)}\n`;
  switch (destination.to) {
    case 'stdout':
      io.stdout.write(json());
      return;
    case 'file': {
      const path = resolve(io.cwd, destination.path);
      writeFileSync(path, json());
      io.stderr.write(`Wrote the result of workload ${id} to ${path}\n`);
      return;
    }
    case 'none':
      // A result with no summary in words would otherwise not be shown at all.
      if (!summary) io.stdout.write(json());
      else io.stderr.write(`Its full result as JSON: tessera result ${id}\n`);
      return;
  }
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

/** An inference workload's predictions as CSV, on stdout or into `out`. */
async function deliverPredictions(
  connection: { url: string },
  id: string,
  out: string | undefined,
  io: CliIO,
): Promise<void> {
  const response = await fetch(
    `${connection.url}/api/workloads/${encodeURIComponent(id)}/result?format=csv`,
  );
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as {
      error?: { message?: string };
    } | null;
    throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
  }
  const text = await response.text();
  if (response.headers.get('x-tessera-final') !== 'true') {
    io.stderr.write(`Partial: the rows predicted so far of workload ${id}.\n`);
  }
  if (out === undefined) {
    io.stdout.write(text);
    return;
  }
  const path = resolve(io.cwd, out);
  writeFileSync(path, text);
  const rows = Math.max(0, text.split('\n').filter(Boolean).length - 1);
  io.stderr.write(`Wrote ${number.format(rows)} predicted rows of workload ${id} to ${path}\n`);
}

export async function resultCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('result', args, ['url', 'token', 'out', 'format']);
  const [id] = operands('result', args, 1, ['ID']) as [string];
  const format = args.values.format ?? 'json';
  if (format !== 'json' && format !== 'bin' && format !== 'csv') {
    throw new UsageError('--format must be json, bin or csv');
  }
  const { out } = args.values;
  if (format === 'json') {
    const { client } = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });
    deliverResult(id, await client.result(id), destinationOf(out, { to: 'stdout' }), io);
    return EXIT.ok;
  }
  if (format === 'csv') {
    const connection = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });
    await deliverPredictions(connection, id, out, io);
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
