// Turns a zod failure into a 400 whose details name each offending field.
import type { z } from 'zod';
import { ERROR_CODES, TesseraError, fieldErrorsFromIssues, type ErrorCode } from '@tessera/shared';

export function parseOrThrow<T>(
  schema: z.ZodType<T>,
  input: unknown,
  code: ErrorCode = ERROR_CODES.badRequest,
): T {
  if (input === undefined) {
    throw new TesseraError(code, 'send a JSON body with Content-Type: application/json');
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = fieldErrorsFromIssues(parsed.error.issues);
  const summary = details
    .slice(0, 3)
    .map((d) => (d.path ? `${d.path}: ${d.message}` : d.message))
    .join('; ');
  throw new TesseraError(code, `invalid request: ${summary}`, details);
}
