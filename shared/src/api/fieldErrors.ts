// Zod issues as the `{ path, message }` list the coordinator sends in an error's `details`, so a
// form shows a locally caught mistake and a server-refused one in the same place. Schemas that
// word their own messages ("samples must be >= 1") keep them; zod's stock wording ("Too small:
// expected number to be >0") is put the same way, naming the field.
import type { z } from 'zod';
import type { FieldError } from './apiSchemas';

/** zod's own messages start like this; a schema's own words never do. */
const STOCK_MESSAGE = /^(Too small|Too big|Invalid input|Invalid option|Unrecognized key)/;

function listWords(values: readonly unknown[]): string {
  const words = values.map((v) => String(v));
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** The issue in the words the hand-written schemas use: `<field> must be ...`. */
export function issueMessage(issue: z.core.$ZodIssue): string {
  if (!STOCK_MESSAGE.test(issue.message)) return issue.message;
  const names = issue.path.filter((p): p is string => typeof p === 'string');
  const field = names[names.length - 1] ?? 'the value';
  switch (issue.code) {
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive ?? true;
      const op = small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
      if (issue.origin === 'number' || issue.origin === 'bigint' || issue.origin === 'int') {
        return `${field} must be ${op} ${String(bound)}`;
      }
      const unit = issue.origin === 'string' ? 'characters' : 'items';
      return `${field} must have ${small ? 'at least' : 'at most'} ${String(bound)} ${unit}`;
    }
    case 'invalid_type':
      // Issues carry no input unless asked to: the stock message says what was received.
      if (/received undefined$/.test(issue.message)) return `${field} is required`;
      if (issue.expected === 'int') return `${field} must be an integer`;
      return `${field} must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'invalid_value':
      return `${field} must be ${listWords(issue.values)}`;
    case 'unrecognized_keys':
      return `${listWords(issue.keys)} ${issue.keys.length === 1 ? 'is not a field' : 'are not fields'} here`;
    default:
      return issue.message;
  }
}

export function fieldErrorsFromIssues(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issueMessage(issue),
  }));
}

/** The first message for each path: a field shows one problem at a time. */
export function firstErrorByPath(errors: readonly FieldError[]): Map<string, string> {
  const byPath = new Map<string, string>();
  for (const error of errors) if (!byPath.has(error.path)) byPath.set(error.path, error.message);
  return byPath;
}

/** `line 3, column 10` (or `line 3`) for an error that points into a source text, else null. */
export function sourceLocationWords(error: FieldError): string | null {
  if (error.line === undefined) return null;
  return error.column === undefined
    ? `line ${error.line}`
    : `line ${error.line}, column ${error.column}`;
}

/**
 * The message without the location it opens with ("line 3, column 10: x" → "x"), for a display
 * that shows the location apart (a gutter mark, the CLI's `spec.source line 3, column 10: x`).
 */
export function messageWithoutLocation(error: FieldError): string {
  if (error.line === undefined) return error.message;
  return error.message.replace(/^line \d+(, column \d+)?:\s*/, '');
}
