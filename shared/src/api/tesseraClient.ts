// The typed client for the coordinator's REST API (DESIGN.md section 3): the one place outside
// the server that knows its paths, methods and shapes. Used by the `tessera` CLI and the web
// client's /submit page; runs wherever `fetch` does (Node 20, browsers). Every answer is parsed
// by the schemas in apiSchemas.ts; every failure is an ApiError.
import type { z } from 'zod';
import { ERROR_CODES } from '../errors';
import type { WorkloadView, submitWorkloadSchema } from '../workloadSpec';
import { ApiError, CLIENT_ERROR_CODES, networkFailureWords } from './apiError';
import {
  errorResponseSchema,
  platformStatsSchema,
  workloadListSchema,
  workloadResultSchema,
  workloadViewSchema,
  type PlatformStats,
  type WorkloadResult,
} from './apiSchemas';

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
    return this.call('POST', '/api/workloads', workloadViewSchema, body);
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

  /** DELETE /api/workloads/:id; CONFLICT when the workload has already ended. */
  cancel(id: string): Promise<WorkloadView> {
    return this.call('DELETE', `/api/workloads/${encodeURIComponent(id)}`, workloadViewSchema);
  }

  stats(): Promise<PlatformStats> {
    return this.call('GET', '/api/stats', platformStatsSchema);
  }

  /** Where a person can watch a workload live (the web client's workload page). */
  workloadPageUrl(id: string): string {
    return `${this.baseUrl}/workloads/${encodeURIComponent(id)}`;
  }

  private async call<T>(
    method: Method,
    path: string,
    schema: z.ZodType<T>,
    body?: unknown,
  ): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const where = this.baseUrl || 'this site';

    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new ApiError(
        CLIENT_ERROR_CODES.unreachable,
        `cannot reach the coordinator at ${where}: ${networkFailureWords(error, this.timeoutMs)}`,
        null,
      );
    }

    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ApiError(
        CLIENT_ERROR_CODES.badResponse,
        `${method} ${path} answered ${response.status} with a body that is not JSON: is ${where} a Tessera coordinator?`,
        response.status,
      );
    }

    if (!response.ok) {
      const refusal = errorResponseSchema.safeParse(json);
      if (!refusal.success) {
        throw new ApiError(
          CLIENT_ERROR_CODES.badResponse,
          `${method} ${path} answered ${response.status} without a Tessera error body`,
          response.status,
        );
      }
      const { code, message, details } = refusal.data.error;
      throw new ApiError(code, message, response.status, details);
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
}

/** True when the error says the token was missing or refused. */
export function isAuthRefusal(error: unknown): boolean {
  return error instanceof ApiError && error.code === ERROR_CODES.unauthorized;
}
