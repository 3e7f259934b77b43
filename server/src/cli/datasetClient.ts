// The coordinator's dataset API as the CLI calls it: POST /api/datasets with a CSV file streamed
// as the request body (a large file is never held in memory), GET /api/datasets and
// DELETE /api/datasets/:id. Answers are parsed by the shared schemas; failures are ApiErrors,
// as TesseraClient throws them, so exitCodes.ts and tessera.ts treat them like every other call.
// (Kept here rather than in TesseraClient while only the CLI uploads: the web client would
// stream a File, not a Node stream.)
import {
  ApiError,
  CLIENT_ERROR_CODES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  networkFailureWords,
  type ApiErrorCode,
} from '@tessera/shared';
import {
  datasetInfoSchema,
  datasetListSchema,
  type DatasetInfo,
} from '@tessera/shared/api/datasetSchemas';
import { z } from 'zod';

/**
 * The error body every endpoint sends, read without insisting that the code is one this CLI
 * knows: dataset codes (INVALID_DATASET, DATASET_IN_USE) may be newer than the shared list.
 */
const errorBodySchema = z.object({
  error: z.object({
    code: z.string().regex(/^[A-Z][A-Z_]*$/),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export interface UploadSource {
  /** The file's bytes, chunk by chunk; read only as fast as the connection takes them. */
  chunks: AsyncIterable<Uint8Array>;
  /** What the dataset is called (`?name=`). */
  name: string;
  /** CSV text, or a NumPy .npy array (`labelLast`: its last column holds the labels). */
  format?: 'csv' | 'npy';
  labelLast?: boolean;
  /** Called with the bytes handed to the connection so far, after each chunk. */
  onProgress?: (sent: number) => void;
  /** Aborts the upload (Ctrl-C). */
  signal?: AbortSignal;
}

export interface UploadAnswer {
  dataset: DatasetInfo;
  /** False when the coordinator already held this exact content (200, not 201). */
  created: boolean;
}

export interface DatasetClientOptions {
  baseUrl: string;
  token?: string | undefined;
  /** For list and delete; an upload takes as long as the file needs. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type Method = 'GET' | 'POST' | 'DELETE';

export class DatasetClient {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: DatasetClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /**
   * POST /api/datasets: the file streamed as the body (`duplex: 'half'`), Content-Type text/csv
   * or application/x-npy.
   */
  async upload(source: UploadSource): Promise<UploadAnswer> {
    const npy = source.format === 'npy';
    const path = `/api/datasets?name=${encodeURIComponent(source.name)}${npy && source.labelLast ? '&label=last' : ''}`;
    const iterator = source.chunks[Symbol.asyncIterator]();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) {
          controller.close();
          return;
        }
        controller.enqueue(next.value);
        sent += next.value.byteLength;
        source.onProgress?.(sent);
      },
      async cancel() {
        await iterator.return?.();
      },
    });
    const init: RequestInit & { duplex: 'half' } = {
      method: 'POST',
      headers: this.headers({ 'content-type': npy ? 'application/x-npy' : 'text/csv' }),
      body,
      // Node's fetch sends a stream body only when told the response may start before it ends.
      duplex: 'half',
      ...(source.signal ? { signal: source.signal } : {}),
    };
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, init);
    } catch (error) {
      // Ctrl-C is the caller's to report, not the network's.
      if (source.signal?.aborted) throw error;
      throw this.unreachable(error, null);
    }
    const dataset = await this.answer('POST', '/api/datasets', response, datasetInfoSchema);
    return { dataset, created: response.status === 201 };
  }

  async list(): Promise<DatasetInfo[]> {
    const response = await this.send('GET', '/api/datasets');
    return (await this.answer('GET', '/api/datasets', response, datasetListSchema)).datasets;
  }

  /** DELETE /api/datasets/:id: 204; refused (409) while a queued or running workload names it. */
  async remove(id: string): Promise<void> {
    const path = `/api/datasets/${encodeURIComponent(id)}`;
    const response = await this.send('DELETE', path);
    await this.answer('DELETE', path, response, z.unknown());
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return headers;
  }

  private async send(method: Method, path: string): Promise<Response> {
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: this.headers(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw this.unreachable(error, this.timeoutMs);
    }
  }

  /** Reads the answer: the parsed body of a 2xx, else the coordinator's error as an ApiError. */
  private async answer<T>(
    method: Method,
    path: string,
    response: Response,
    schema: z.ZodType<T>,
  ): Promise<T> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.unreachable(error, this.timeoutMs);
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError(
        CLIENT_ERROR_CODES.badResponse,
        `${method} ${path} answered ${response.status} with a body that is not JSON: is ${this.baseUrl} a Tessera coordinator?`,
        response.status,
      );
    }
    if (!response.ok) {
      const refusal = errorBodySchema.safeParse(json);
      if (!refusal.success) {
        throw new ApiError(
          CLIENT_ERROR_CODES.badResponse,
          `${method} ${path} answered ${response.status} without a Tessera error body`,
          response.status,
        );
      }
      const { code, message, details } = refusal.data.error;
      // The code is the coordinator's own word, shown as it is; exitCodes.ts maps the known ones.
      throw new ApiError(code as ApiErrorCode, message, response.status, details);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new ApiError(
        CLIENT_ERROR_CODES.badResponse,
        `${method} ${path} answered with an unexpected shape (${first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'unknown'}): are the CLI and coordinator the same version?`,
        response.status,
      );
    }
    return parsed.data;
  }

  private unreachable(error: unknown, timeoutMs: number | null): ApiError {
    return new ApiError(
      CLIENT_ERROR_CODES.unreachable,
      `cannot reach the coordinator at ${this.baseUrl}: ${networkFailureWords(error, timeoutMs ?? 0)}`,
      null,
    );
  }
}
