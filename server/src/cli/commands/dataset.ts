// `tessera dataset upload FILE [--name NAME] [--label-column C] [--json]`, `tessera dataset list
// [--json]` and `tessera dataset delete ID`: a researcher's own data to train on, through the
// same TesseraClient calls as the web client. An upload streams the CSV or .npy file (never
// read whole into memory), with a progress bar on a terminal; the coordinator parses it as it
// arrives and names the line and column of anything it refuses.
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  ApiError,
  CLIENT_ERROR_CODES,
  ERROR_CODES,
  messageWithoutLocation,
  sourceLocationWords,
  type DatasetUpload,
  type TesseraClient,
} from '@tessera/shared';
import { allowOnly, operands, type CliArgs } from '../cliArgs';
import { resolveConnection } from '../connection';
import { builtInWords, datasetSummary, datasetTable, formatBytes } from '../datasetText';
import { EXIT, ReportedFailure, UsageError, type ExitCode } from '../exitCodes';
import { whyUnreadable } from '../inputFile';
import type { CliIO } from '../output';
import { parseNpyLabelColumn, type NpyLabelColumn } from '@tessera/shared/api/datasetSchemas';
import { UploadProgress } from '../uploadProgress';

function datasetClient(args: CliArgs, io: CliIO): TesseraClient {
  return resolveConnection({ ...args.values, env: io.env, cwd: io.cwd }).client;
}

/**
 * The file's chunks as the request body, read only as fast as the connection takes them;
 * `onProgress` hears the bytes handed over so far after each chunk.
 */
function countingStream(
  chunks: AsyncIterable<Uint8Array>,
  onProgress: (sent: number) => void,
): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) {
        controller.close();
        return;
      }
      controller.enqueue(next.value);
      sent += next.value.byteLength;
      onProgress(sent);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/**
 * Opens FILE now, so that a missing or unreadable file is a usage error (exit 2, nothing
 * sent) rather than a failed upload; the size is what the progress bar counts to.
 */
function openInput(file: string, io: CliIO): { fd: number; size: number } {
  let fd: number | null = null;
  try {
    fd = openSync(resolve(io.cwd, file), 'r');
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return { fd, size: stat.size };
  } catch (error) {
    if (fd !== null) closeSync(fd);
    throw new UsageError(`cannot read ${file}: ${whyUnreadable(error)}`);
  }
}

/**
 * The coordinator's refusal of the file in one line (`line 3, column 2: ...` as it says it),
 * with any place its details name that the message does not. Token, network and server
 * failures go on to tessera.ts, which has hints for them.
 */
function reportRefusal(file: string, error: ApiError, io: CliIO): never {
  const ours =
    error.status !== null &&
    error.status < 500 &&
    error.code !== ERROR_CODES.unauthorized &&
    error.code !== CLIENT_ERROR_CODES.badResponse;
  if (!ours) throw error;
  io.stderr.write(`tessera: the coordinator refused ${file}: ${error.message} (${error.code})\n`);
  for (const field of error.fieldErrors) {
    const where = sourceLocationWords(field) ?? field.path;
    if (!error.message.includes(where)) {
      io.stderr.write(`  ${where}: ${messageWithoutLocation(field)}\n`);
    }
  }
  throw new ReportedFailure(EXIT.failure);
}

/** --label-column first|last|N (--label-last: last): an .npy's label column; null for none. */
function labelColumnOf(args: CliArgs, format: 'csv' | 'npy'): NpyLabelColumn | null {
  const given = args.values['label-column'];
  const last = args.values['label-last'] ?? false;
  if (given === undefined && !last) return null;
  if (format !== 'npy') {
    throw new UsageError(
      '--label-column and --label-last are for .npy files (a CSV names its label column "label")',
    );
  }
  if (given !== undefined && last) throw new UsageError('give --label-column or --label-last');
  const column = last ? 'last' : parseNpyLabelColumn(given!);
  if (column === null)
    throw new UsageError('--label-column is first, last or a 0-based column index');
  return column;
}

export async function datasetUploadCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('dataset upload', args, ['url', 'token', 'name', 'json', 'label-last', 'label-column']);
  const [file] = operands('dataset upload', args, 2, ['FILE']) as [string];
  const format = file.toLowerCase().endsWith('.npy') ? 'npy' : 'csv';
  const labelColumn = labelColumnOf(args, format);
  const name = args.values.name === undefined ? basename(file) : args.values.name.trim();
  if (!name) throw new UsageError('--name is empty');
  const client = datasetClient(args, io);
  const { fd, size } = openInput(file, io);

  const stream = createReadStream('', { fd, highWaterMark: 64 * 1024 });
  const progress = new UploadProgress(io.stderr, size, io.now);
  const abort = new AbortController();
  const release = io.onInterrupt(() => abort.abort());
  let answer: DatasetUpload;
  try {
    const body = countingStream(stream, (sent) => progress.update(sent));
    answer = await client.uploadDataset(body, name, {
      format,
      ...(labelColumn === null ? {} : { labelColumn }),
      signal: abort.signal,
    });
  } catch (error) {
    progress.finish();
    if (abort.signal.aborted) {
      // The coordinator stores a dataset only once the whole file has been parsed.
      io.stderr.write(`Stopped uploading ${file}; nothing was stored.\n`);
      return EXIT.interrupted;
    }
    if (error instanceof ApiError) reportRefusal(file, error, io);
    throw error;
  } finally {
    release();
    progress.finish();
    stream.destroy();
  }

  const { dataset, created } = answer;
  io.stderr.write(
    created
      ? `Uploaded ${file} (${formatBytes(size)}) as dataset ${dataset.id} ${datasetSummary(dataset)}.\n`
      : `Already uploaded: dataset ${dataset.id} ${datasetSummary(dataset)}.\n`,
  );
  io.stdout.write(args.values.json ? `${JSON.stringify(dataset, null, 2)}\n` : `${dataset.id}\n`);
  return EXIT.ok;
}

export async function datasetListCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('dataset list', args, ['url', 'token', 'json']);
  operands('dataset list', args, 2, []);
  const { datasets, builtIn } = await datasetClient(args, io).datasetList();
  if (args.values.json) {
    io.stdout.write(`${JSON.stringify(datasets, null, 2)}\n`);
    return EXIT.ok;
  }
  if (datasets.length === 0) {
    io.stderr.write('No datasets yet. Upload one with: tessera dataset upload FILE.csv\n');
  } else {
    io.stdout.write(datasetTable(datasets));
  }
  if (builtIn.length > 0) io.stderr.write(`${builtInWords(builtIn)}\n`);
  return EXIT.ok;
}

export async function datasetDeleteCommand(args: CliArgs, io: CliIO): Promise<ExitCode> {
  allowOnly('dataset delete', args, ['url', 'token']);
  const [id] = operands('dataset delete', args, 2, ['ID']) as [string];
  await datasetClient(args, io).deleteDataset(id);
  io.stderr.write(`Deleted dataset ${id}.\n`);
  io.stdout.write(`${id} deleted\n`);
  return EXIT.ok;
}
