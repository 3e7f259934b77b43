// `tessera submit FILE [--wait] [--interval SECONDS] [--json | --out FILE]`: sends a workload
// body (JSON) to the coordinator, which validates it; with --wait, follows it to the end with a
// progress bar (a gradient workload's with its step, loss and accuracy) and sums up its result
// in words; --json prints the result as JSON on stdout, --out writes it to FILE.
// `tessera submit --wgsl KERNEL.wgsl --outputs a,b --samples N --seed S` builds the body of a
// researcher's own WGSL kernel from a bare .wgsl file (wgslSubmission.ts) and goes on the same way.
import {
  ERROR_CODES,
  ApiError,
  messageWithoutLocation,
  sourceLocationWords,
  waitForWorkload,
  type FieldError,
  type SubmitWorkloadInput,
  type TesseraClient,
  type WorkloadView,
} from '@tessera/shared';
import { allowOnly, operands, type CliArgs, type OptionName } from '../cliArgs';
import { resolveConnection } from '../connection';
import { EXIT, ReportedFailure, UsageError, type ExitCode } from '../exitCodes';
import { readInputText } from '../inputFile';
import type { CliIO } from '../output';
import { ProgressReporter } from '../progressBar';
import { trainingProgress } from '../trainingText';
import { TrainingWatch } from '../trainingWatch';
import { wgslWorkloadBody } from '../wgslSubmission';
import { deliverResult, destinationOf } from './result';

export const DEFAULT_INTERVAL_SECONDS = 1;

/** The flags that describe a kernel given with --wgsl; they mean nothing without it. */
const WGSL_FLAGS = ['outputs', 'samples', 'seed', 'samples-per-unit', 'tolerance', 'name'] as const;

function readBody(file: string, io: CliIO): unknown {
  const text = readInputText(file, io);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/** What to send and what to call it in messages: a JSON file as written, or a built kernel body. */
function bodyOf(args: CliArgs, io: CliIO): { label: string; body: unknown } {
  const file = args.values.wgsl;
  if (file === undefined) {
    const given = WGSL_FLAGS.filter((flag) => args.values[flag] !== undefined);
    if (given.length > 0) {
      throw new UsageError(
        `${given.map((flag) => `--${flag}`).join(', ')} describe a kernel given with --wgsl FILE; a JSON FILE carries its own spec`,
      );
    }
    const [json] = operands('submit', args, 1, ['FILE']) as [string];
    return { label: json, body: readBody(json, io) };
  }
  if (args.positionals.length > 1) {
    throw new UsageError(
      `submit takes either FILE (JSON) or --wgsl FILE, not both (got "${args.positionals.slice(1).join(' ')}" too)`,
    );
  }
  const body = wgslWorkloadBody({
    file,
    source: readInputText(file, io),
    outputs: args.values.outputs,
    samples: args.values.samples,
    seed: args.values.seed,
    samplesPerUnit: args.values['samples-per-unit'],
    tolerance: args.values.tolerance,
    name: args.values.name,
  });
  return { label: file, body };
}

function intervalMs(value: string | undefined): number {
  if (value === undefined) return DEFAULT_INTERVAL_SECONDS * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new UsageError('--interval must be a number of seconds from 0.1 to 3600');
  }
  return seconds * 1000;
}

/**
 * One refused field: `spec.samples: samples must be >= 1`; a kernel's compile error with the
 * place it points at, `spec.source line 3, column 10: <compiler message>`.
 */
export function fieldErrorLine(field: FieldError): string {
  const path = field.path || '(body)';
  const where = sourceLocationWords(field);
  return where ? `${path} ${where}: ${messageWithoutLocation(field)}` : `${path}: ${field.message}`;
}

/** Field errors one per line under the file's name: the server's words, the file's paths. */
function reportRefusal(file: string, error: ApiError, io: CliIO): never {
  const fields = error.fieldErrors;
  if (error.code !== ERROR_CODES.invalidSpec || fields.length === 0) throw error;
  io.stderr.write(`tessera: the coordinator refused ${file} (${error.code}):\n`);
  for (const field of fields) io.stderr.write(`  ${fieldErrorLine(field)}\n`);
  throw new ReportedFailure(EXIT.failure);
}

async function hintIfNoVolunteers(client: TesseraClient, reporter: ProgressReporter) {
  try {
    const stats = await client.stats();
    if (stats.volunteersOnline === 0) {
      reporter.note(
        `No volunteers are online yet: open ${client.baseUrl}/ in a browser tab and press Contribute.`,
      );
    }
  } catch {
    // Only a hint: the wait itself reports an unreachable coordinator.
  }
}

async function follow(
  client: TesseraClient,
  created: WorkloadView,
  interval: number,
  training: TrainingWatch,
  io: CliIO,
): Promise<WorkloadView | null> {
  const reporter = new ProgressReporter(io.stderr, io.now);
  const abort = new AbortController();
  const release = io.onInterrupt(() => abort.abort());
  try {
    reporter.update(created);
    if (created.status === 'queued') await hintIfNoVolunteers(client, reporter);
    return await waitForWorkload(client, created.id, {
      intervalMs: interval,
      signal: abort.signal,
      onProgress: async (view) => {
        const result = await training.refresh(view);
        reporter.update(view, result && trainingProgress(result));
      },
      onUnreachable: (error) => reporter.note(`${error.message}; still trying...`),
    });
  } catch (error) {
    if (abort.signal.aborted) return null;
    throw error;
  } finally {
    release();
    reporter.finish();
  }
}

export async function submitCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  const allowed: OptionName[] = [
    'url',
    'token',
    'wait',
    'interval',
    'out',
    'json',
    'wgsl',
    ...WGSL_FLAGS,
  ];
  allowOnly('submit', args, allowed);
  const { wait, interval: intervalFlag, out, json } = args.values;
  if (!wait && (intervalFlag !== undefined || out !== undefined || json)) {
    throw new UsageError('--interval, --json and --out only apply with --wait');
  }
  if (json && out !== undefined) {
    throw new UsageError('--json prints the result on stdout, --out writes it to FILE: give one');
  }
  const interval = intervalMs(intervalFlag);
  const { label, body } = bodyOf(args, io);
  const { client } = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });

  let created: WorkloadView;
  try {
    // The body is sent as written: the coordinator validates it and names any refused field.
    created = await client.submit(body as SubmitWorkloadInput);
  } catch (error) {
    if (error instanceof ApiError) reportRefusal(label, error, io);
    throw error;
  }
  io.stderr.write(
    `Submitted workload ${created.id} "${created.name}": ${created.progress.unitsTotal} units. Live view: ${client.workloadPageUrl(created.id)}\n`,
  );
  if (!wait) {
    io.stdout.write(`${created.id}\n`);
    return EXIT.ok;
  }

  const training = new TrainingWatch(client);
  const final = await follow(client, created, interval, training, io);
  if (final === null) {
    io.stderr.write(
      `Stopped waiting; workload ${created.id} goes on. Check it with: tessera status ${created.id}; stop it with: tessera cancel ${created.id}\n`,
    );
    return EXIT.interrupted;
  }
  switch (final.status) {
    case 'completed': {
      // A gradient workload's final result was just read for the last progress line.
      const result = training.latest?.final ? training.latest : await client.result(final.id);
      deliverResult(final.id, result, destinationOf(out, { to: json ? 'stdout' : 'none' }), io);
      return EXIT.ok;
    }
    case 'failed':
      io.stderr.write(
        `tessera: workload ${final.id} failed: ${final.failureReason ?? 'no reason given'}\n`,
      );
      return EXIT.failure;
    case 'cancelled':
      io.stderr.write(`tessera: workload ${final.id} was cancelled\n`);
      return EXIT.failure;
    case 'queued':
    case 'running':
      throw new Error(`waitForWorkload returned a ${final.status} workload`);
  }
}
