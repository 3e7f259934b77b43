// The typed client for the coordinator's REST API (DESIGN.md section 3): the one place outside
// the server that knows its paths, methods and shapes. Used by the `tessera` CLI and the web
// client's /submit page; runs wherever `fetch` does (Node 20, browsers). Every answer is parsed
// by the schemas in apiSchemas.ts and datasetSchemas.ts; every failure is an ApiError.
import { z } from 'zod';
import { ERROR_CODES } from '../errors';
import type { WorkloadView, submitWorkloadSchema } from '../workloadSpec';
import { ApiError, CLIENT_ERROR_CODES, networkFailureWords } from './apiError';
import {
  errorResponseSchema,
  gradientResultSchema,
  platformStatsSchema,
  workloadListSchema,
  workloadResultSchema,
  workloadViewSchema,
  type GradientWorkloadResult,
  type PlatformStats,
  type WorkloadResult,
} from './apiSchemas';
import {
  datasetDetailSchema,
  datasetInfoSchema,
  datasetListSchema,
  type DatasetDetail,
  type DatasetInfo,
  type DatasetList,
  type NpyLabelColumn,
} from './datasetSchemas';

/** What a researcher may send to POST /api/workloads: defaults (redundancy...) may be left out. */
export type SubmitWorkloadInput = z.input<typeof submitWorkloadSchema>;

/** A request with no answer after this long fails with UNREACHABLE. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface TesseraClientOptions {
  /** The coordinator's origin, e.g. `http://localhost:8080`; '' for the page's own origin. */
  baseUrl: string;
  /** Researcher token, sent as `Authorization: Bearer <token>` (submit and cancel need one). */
  token?: string | undefined;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

type Method = 'GET' | 'POST' | 'DELETE';

/** A dataset file's bytes as they are: a File or text in a page, a file's stream in Node. */
export type DatasetBytes = Blob | string | ReadableStream<Uint8Array>;

/** How POST /api/datasets reads the bytes. */
export interface DatasetUploadOptions {
  /** Ends the upload early (a Cancel button, Ctrl-C); it has no timeout of its own. */
  signal?: AbortSignal;
  /** 'csv' (the default, text/csv) or a NumPy .npy array (application/x-npy). */
  format?: 'csv' | 'npy';
  /**
   * Which of an .npy's columns holds the labels (`&label=`): its first, its last, or a 0-based
   * column index; an .npy without it is unlabeled. A CSV names its `label` column instead.
   */
  labelColumn?: NpyLabelColumn;
  /** The same as `labelColumn: 'last'`. */
  labelLast?: boolean;
}

/** A request body: JSON (a value), or a dataset file's bytes as they are with their type. */
type Body = { json: unknown } | { file: DatasetBytes; type: string };

/** What POST /api/datasets answered. */
export interface DatasetUpload {
  dataset: DatasetInfo;
  /** False when the coordinator already held this exact content (200, not 201). */
  created: boolean;
}

/** A gradient workload's parameters as GET /api/workloads/:id/result?format=bin sends them. */
export interface ParameterBytes {
  /** `parameterCount` float32 values, little-endian, in the layout of gradientModel.ts. */
  bytes: Uint8Array;
  /** The parameter version they are (= steps completed). */
  version: number;
  /** True once the workload has completed: these are its final parameters. */
  final: boolean;
}

export class TesseraClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: TesseraClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // Browsers refuse a `fetch` called with another `this` ("Illegal invocation").
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** POST /api/workloads: the coordinator validates the body; field errors come back as details. */
  submit(body: SubmitWorkloadInput): Promise<WorkloadView> {
    return this.call('POST', '/api/workloads', workloadViewSchema, { json: body });
  }

  list(): Promise<WorkloadView[]> {
    return this.call('GET', '/api/workloads', workloadListSchema);
  }

  get(id: string): Promise<WorkloadView> {
    return this.call('GET', `/api/workloads/${encodeURIComponent(id)}`, workloadViewSchema);
  }

  /** The answer so far; NOT_READY (409) until at least one unit is validated. */
  result(id: string): Promise<WorkloadResult> {
    return this.call(
      'GET',
      `/api/workloads/${encodeURIComponent(id)}/result`,
      workloadResultSchema,
    );
  }

  /** The result of a gradient workload; BAD_RESPONSE if the workload is of another kind. */
  gradientResult(id: string): Promise<GradientWorkloadResult> {
    return this.call(
      'GET',
      `/api/workloads/${encodeURIComponent(id)}/result`,
      gradientResultSchema,
    );
  }

  /**
   * A gradient workload's current (final once completed) parameters as bytes; BAD_REQUEST for
   * a workload of another kind. Unlike `result`, answers from the initial parameters on.
   */
  async resultBytes(id: string): Promise<ParameterBytes> {
    const path = `/api/workloads/${encodeURIComponent(id)}/result?format=bin`;
    const response = await this.send('GET', path, 'application/octet-stream');
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw this.unreachable(error);
    }
    if (!response.ok) throw this.refusal('GET', path, response, new TextDecoder().decode(bytes));
    const type = response.headers.get('content-type') ?? '';
    const version = Number(response.headers.get('x-tessera-version') ?? Number.NaN);
    const final = response.headers.get('x-tessera-final');
    if (
      !type.startsWith('application/octet-stream') ||
      !Number.isSafeInteger(version) ||
      version < 0 ||
      (final !== 'true' && final !== 'false') ||
      bytes.byteLength % Float32Array.BYTES_PER_ELEMENT !== 0
    ) {
      throw new ApiError(
        CLIENT_ERROR_CODES.badResponse,
        `GET ${path} answered ${response.status} without float32 parameters (${type || 'no content type'}, ${bytes.byteLength} bytes): is ${this.where} a Tessera coordinator of this version?`,
        response.status,
      );
    }
    return { bytes, version, final: final === 'true' };
  }

  /** DELETE /api/workloads/:id; CONFLICT when the workload has already ended. */
  cancel(id: string): Promise<WorkloadView> {
    return this.call('DELETE', `/api/workloads/${encodeURIComponent(id)}`, workloadViewSchema);
  }

  stats(): Promise<PlatformStats> {
    return this.call('GET', '/api/stats', platformStatsSchema);
  }

  /**
   * POST /api/datasets: a CSV (header row; numeric feature columns; an optional integer `label`
   * column) or, with `format: 'npy'`, a 2-D NumPy array (float32/float64, `labelColumn` the
   * column holding the labels), sent as it is and named `name`. A browser streams a File
   * from disk, Node a ReadableStream; a refusal names the line (and column) in its message and
   * in `fieldErrors`. No timeout: a large file takes as long as the connection needs; pass
   * `signal` to give up.
   */
  async uploadDataset(
    file: DatasetBytes,
    name: string,
    options: DatasetUploadOptions = {},
  ): Promise<DatasetUpload> {
    const npy = options.format === 'npy';
    const column = options.labelColumn ?? (options.labelLast ? 'last' : undefined);
    const label = npy && column !== undefined ? `&label=${column}` : '';
    const path = `/api/datasets?name=${encodeURIComponent(name)}${label}`;
    const type = npy ? 'application/x-npy' : 'text/csv';
    const response = await this.send(
      'POST',
      path,
      'application/json',
      { file, type },
      options.signal,
    );
    const dataset = await this.answer('POST', path, response, datasetInfoSchema);
    return { dataset, created: response.status === 201 };
  }

  /** GET /api/datasets: every uploaded dataset's summary. */
  async datasets(): Promise<DatasetInfo[]> {
    return (await this.datasetList()).datasets;
  }

  /** GET /api/datasets: the uploaded datasets and the built-in ones. */
  datasetList(): Promise<DatasetList> {
    return this.call('GET', '/api/datasets', datasetListSchema);
  }

  /** GET /api/datasets/:id: the summary, column names and standardisation statistics. */
  dataset(id: string): Promise<DatasetDetail> {
    return this.call('GET', `/api/datasets/${encodeURIComponent(id)}`, datasetDetailSchema);
  }

  /** DELETE /api/datasets/:id; CONFLICT while a queued or running workload uses the dataset. */
  async deleteDataset(id: string): Promise<void> {
    await this.call('DELETE', `/api/datasets/${encodeURIComponent(id)}`, z.undefined());
  }

  /** Where a person can watch a workload live (the web client's workload page). */
  workloadPageUrl(id: string): string {
    return `${this.baseUrl}/workloads/${encodeURIComponent(id)}`;
  }

  private get where(): string {
    return this.baseUrl || 'this site';
  }

  private async call<T>(
    method: Method,
    path: string,
    schema: z.ZodType<T>,
    body?: Body,
  ): Promise<T> {
    const response = await this.send(method, path, 'application/json', body);
    return this.answer(method, path, response, schema);
  }

  /** Reads a JSON answer: the parsed body of a 2xx, else the coordinator's error. */
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
      throw this.unreachable(error);
    }
    if (!response.ok) throw this.refusal(method, path, response, text);

    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw this.notJson(method, path, response);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw new ApiError(
        CLIENT_ERROR_CODES.badResponse,
        `${method} ${path} answered with an unexpected shape (${first ? `${first.path.join('.') || 'body'}: ${first.message}` : 'unknown'}): are the client and coordinator the same version?`,
        response.status,
      );
    }
    return parsed.data;
  }

  /**
   * Sends one request; the body is still to be read (within the same timeout). A dataset
   * upload has no timeout of its own: only `signal` ends it early.
   */
  private async send(
    method: Method,
    path: string,
    accept: string,
    body?: Body,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let sent: DatasetBytes | undefined;
    if (body !== undefined && 'json' in body) {
      headers['content-type'] = 'application/json';
      sent = JSON.stringify(body.json);
    } else if (body !== undefined) {
      headers['content-type'] = body.type;
      sent = body.file;
    }
    const upload = body !== undefined && 'file' in body;
    const ends = upload ? signal : (signal ?? AbortSignal.timeout(this.timeoutMs));
    // Node's fetch sends a stream body only when told the answer may start before it ends.
    const streamed = typeof ReadableStream !== 'undefined' && sent instanceof ReadableStream;
    const init: RequestInit & { duplex?: 'half' } = {
      method,
      headers,
      ...(sent !== undefined ? { body: sent } : {}),
      ...(streamed ? { duplex: 'half' } : {}),
      ...(ends ? { signal: ends } : {}),
    };
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, init);
    } catch (error) {
      // A caller's own abort is theirs to report, not the network's.
      if (signal?.aborted) throw error;
      throw this.unreachable(error);
    }
  }

  private unreachable(error: unknown): ApiError {
    return new ApiError(
      CLIENT_ERROR_CODES.unreachable,
      `cannot reach the coordinator at ${this.where}: ${networkFailureWords(error, this.timeoutMs)}`,
      null,
    );
  }

  private notJson(method: Method, path: string, response: Response): ApiError {
    return new ApiError(
      CLIENT_ERROR_CODES.badResponse,
      `${method} ${path} answered ${response.status} with a body that is not JSON: is ${this.where} a Tessera coordinator?`,
      response.status,
    );
  }

  /** The error a non-2xx answer stands for: the coordinator's own, or BAD_RESPONSE. */
  private refusal(method: Method, path: string, response: Response, text: string): ApiError {
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      return this.notJson(method, path, response);
    }
    const refusal = errorResponseSchema.safeParse(json);
    if (!refusal.success) {
      return new ApiError(
        CLIENT_ERROR_CODES.badResponse,
        `${method} ${path} answered ${response.status} without a Tessera error body`,
        response.status,
      );
    }
    const { code, message, details } = refusal.data.error;
    return new ApiError(code, message, response.status, details);
  }
}

/** True when the error says the token was missing or refused. */
export function isAuthRefusal(error: unknown): boolean {
  return error instanceof ApiError && error.code === ERROR_CODES.unauthorized;
}
