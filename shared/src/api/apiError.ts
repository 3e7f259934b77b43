// The one error the API client throws. `code` is the server's error code when the coordinator
// answered (INVALID_SPEC, UNAUTHORIZED, NOT_FOUND...), or one of the client's own codes when it
// got no usable answer; `message` is always words a person can act on.
import type { ErrorCode } from '../errors';
import { fieldErrorSchema, type FieldError } from './apiSchemas';

export const CLIENT_ERROR_CODES = {
  /** No answer: refused connection, unknown host, dropped connection, timeout. */
  unreachable: 'UNREACHABLE',
  /** An answer that is not what a Tessera coordinator sends (wrong URL, a proxy's page). */
  badResponse: 'BAD_RESPONSE',
} as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[keyof typeof CLIENT_ERROR_CODES];
export type ApiErrorCode = ErrorCode | ClientErrorCode;

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly details: unknown;
  /** The HTTP status, or null when no answer came. */
  readonly status: number | null;

  constructor(code: ApiErrorCode, message: string, status: number | null, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** The refused fields, when the server named them (`details: [{ path, message }]`). */
  get fieldErrors(): FieldError[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.flatMap((d) => {
      const parsed = fieldErrorSchema.safeParse(d);
      return parsed.success ? [parsed.data] : [];
    });
  }
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the coordinator running?)',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'the connection was dropped',
  EPIPE: 'the connection was dropped',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection was dropped',
  CERT_HAS_EXPIRED: 'the TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the TLS certificate is self-signed',
};

/** Why a fetch threw, in words: Node hides the reason in `cause.code`, browsers say little. */
export function networkFailureWords(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return error.name === 'TimeoutError'
      ? `no answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`
      : 'the request was aborted';
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code && NETWORK_WORDS[code]) return `${NETWORK_WORDS[code]} (${code})`;
  if (code)
    return `${typeof cause?.message === 'string' ? cause.message : 'network error'} (${code})`;
  // Ports that fetch refuses to open (1, 9, 6000...) fail before any connection is tried.
  if (cause?.message === 'bad port') return 'fetch refuses to connect to this port: use another';
  if (typeof cause?.message === 'string' && cause.message) return cause.message;
  if (error instanceof Error && error.message && error.message !== 'fetch failed') {
    return error.message === 'Failed to fetch' ? 'the network request failed' : error.message;
  }
  return 'the network request failed';
}
