// `tessera submit FILE [--wait] [--interval SECONDS] [--out FILE]`: sends a workload body (JSON)
// to the coordinator, which validates it; with --wait, follows it to the end with a progress
// bar (a gradient workload's with its step, loss and accuracy) and prints its result.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ERROR_CODES,
  ApiError,
  waitForWorkload,
  type SubmitWorkloadInput,
  type TesseraClient,
  type WorkloadView,
} from '@tessera/shared';
import { allowOnly, operands, type CliArgs } from '../cliArgs';
import { resolveConnection } from '../connection';
import { EXIT, ReportedFailure, UsageError, type ExitCode } from '../exitCodes';
import type { CliIO } from '../output';
import { ProgressReporter } from '../progressBar';
import { trainingProgress } from '../trainingText';
import { TrainingWatch } from '../trainingWatch';
import { deliverResult } from './result';

export const DEFAULT_INTERVAL_SECONDS = 1;

function readBody(file: string, io: CliIO): unknown {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message;
    throw new UsageError(`cannot read ${file}: ${why}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function intervalMs(value: string | undefined): number {
  if (value === undefined) return DEFAULT_INTERVAL_SECONDS * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new UsageError('--interval must be a number of seconds from 0.1 to 3600');
  }
  return seconds * 1000;
}

/** Field errors one per line under the file's name: the server's words, the file's paths. */
function reportRefusal(file: string, error: ApiError, io: CliIO): never {
  const fields = error.fieldErrors;
  if (error.code !== ERROR_CODES.invalidSpec || fields.length === 0) throw error;
  io.stderr.write(`tessera: the coordinator refused ${file} (${error.code}):\n`);
  for (const field of fields) io.stderr.write(`  ${field.path || '(body)'}: ${field.message}\n`);
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
  allowOnly('submit', args, ['url', 'token', 'wait', 'interval', 'out']);
  const [file] = operands('submit', args, 1, ['FILE']) as [string];
  if (!args.values.wait && (args.values.interval !== undefined || args.values.out !== undefined)) {
    throw new UsageError('--interval and --out only apply with --wait');
  }
  const interval = intervalMs(args.values.interval);
  const body = readBody(file, io);
  const { client } = resolveConnection({ ...args.values, env: io.env, cwd: io.cwd });

  let created: WorkloadView;
  try {
    // The file is sent as written: the coordinator validates it and names any refused field.
    created = await client.submit(body as SubmitWorkloadInput);
  } catch (error) {
    if (error instanceof ApiError) reportRefusal(file, error, io);
    throw error;
  }
  io.stderr.write(
    `Submitted workload ${created.id} "${created.name}": ${created.progress.unitsTotal} units. Live view: ${client.workloadPageUrl(created.id)}\n`,
  );
  if (!args.values.wait) {
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
      deliverResult(final.id, result, args.values.out, io);
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
