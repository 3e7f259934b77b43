// Zod issues as the `{ path, message }` list the coordinator sends in an error's `details`, so a
// form shows a locally caught mistake and a server-refused one in the same place.
import type { z } from 'zod';
import type { FieldError } from './apiSchemas';

export function fieldErrorsFromIssues(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** The first message for each path: a field shows one problem at a time. */
export function firstErrorByPath(errors: readonly FieldError[]): Map<string, string> {
  const byPath = new Map<string, string>();
  for (const error of errors) if (!byPath.has(error.path)) byPath.set(error.path, error.message);
  return byPath;
}
