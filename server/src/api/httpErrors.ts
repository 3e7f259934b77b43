// Maps protocol error codes to HTTP statuses, and every error that reaches Express to a JSON
// body `{ error: { code, message, details? } }`. Bad input is a 4xx; a stack trace never leaves.
import type { ErrorRequestHandler } from 'express';
import { ERROR_CODES, TesseraError, toErrorBody, type ErrorCode } from '@tessera/shared';

const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  INVALID_SPEC: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_READY: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SUSPENDED: 403,
  PROTOCOL_MISMATCH: 400,
  NOT_IDENTIFIED: 401,
  BAD_CREDENTIALS: 401,
  NOT_LEASED: 409,
  LEASE_EXPIRED: 409,
  INVALID_RESULT: 400,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** body-parser signals its own failures with a `type` field. */
function fromBodyParser(error: unknown): TesseraError | null {
  if (typeof error !== 'object' || error === null || !('type' in error)) return null;
  switch ((error as { type: unknown }).type) {
    case 'entity.too.large':
      return new TesseraError(ERROR_CODES.payloadTooLarge, 'request body is too large');
    case 'entity.parse.failed':
      return new TesseraError(ERROR_CODES.badRequest, 'request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new TesseraError(ERROR_CODES.badRequest, 'unsupported body encoding');
    default:
      return null;
  }
}

export function errorHandler(log: (message: string) => void): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = error instanceof TesseraError ? error : fromBodyParser(error);
    if (!known)
      log(`${req.method} ${req.path} failed: ${(error as Error)?.stack ?? String(error)}`);
    const body = toErrorBody(known ?? error);
    res.status(HTTP_STATUS[body.code]).json({ error: body });
  };
}
