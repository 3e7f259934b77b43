// The small, closed set of error codes that cross any boundary (REST, socket acks, worker
// messages), and the plain-object shape they travel in. No stack traces leave a process.
export const ERROR_CODES = {
  badRequest: 'BAD_REQUEST',
  invalidSpec: 'INVALID_SPEC',
  unauthorized: 'UNAUTHORIZED',
  notFound: 'NOT_FOUND',
  conflict: 'CONFLICT',
  payloadTooLarge: 'PAYLOAD_TOO_LARGE',
  protocolMismatch: 'PROTOCOL_MISMATCH',
  notIdentified: 'NOT_IDENTIFIED',
  badCredentials: 'BAD_CREDENTIALS',
  notLeased: 'NOT_LEASED',
  leaseExpired: 'LEASE_EXPIRED',
  invalidResult: 'INVALID_RESULT',
  rateLimited: 'RATE_LIMITED',
  suspended: 'SUSPENDED',
  notReady: 'NOT_READY',
  /** The store is out of reach for a moment (PostgreSQL restarting): try again shortly. */
  unavailable: 'UNAVAILABLE',
  internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** An error meant for the caller: its code and message are safe to show. */
export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'TesseraError';
    this.code = code;
    this.details = details;
  }
  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** The one place unknown errors become protocol errors: internals are never echoed. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof TesseraError) return error.toBody();
  return { code: ERROR_CODES.internal, message: 'internal error' };
}
