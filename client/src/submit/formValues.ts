// From what the person typed to a request body, and from zod's or the server's complaints to a
// message per field. Numbers may be written 1e9, 2^30 or 1,000,000; lists as "a, b, c"; a field
// that takes a number or a list of numbers (an mlp's hidden widths) takes "64", "128, 64" or
// "[128, 64]". A kernel's compile error keeps the line it points at, for the code editor to mark.
import {
  fieldErrorsFromIssues,
  messageWithoutLocation,
  sourceLocationWords,
  type FieldError,
  type SubmitWorkloadInput,
  submitWorkloadSchema,
} from '@tessera/shared';
import type { FixedValue, FormField } from './formFields';

/** What each input holds, by the field's dotted key; checkboxes hold 'true' or 'false'. */
export type FormValues = Record<string, string>;

export interface BuiltBody {
  body: Record<string, unknown>;
  /** Inputs left empty or not even numbers, caught before the schema sees them. */
  errors: FieldError[];
}

/** `2^30`, `1e9`, `1,000,000`, `1_000_000`, or a plain number; null when it is none of those. */
export function parseNumber(text: string): number | null {
  const compact = text.trim().replace(/[,_\s]/g, '');
  const power = /^(\d+)\^(\d+)$/.exec(compact);
  if (power) return Number(power[1]) ** Number(power[2]);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(compact)) return null;
  return Number(compact);
}

/** `[128, 64]` or `128, 64` → [128, 64]; null when it is not a list of numbers. */
export function parseNumberList(text: string): number[] | null {
  const trimmed = text.trim();
  const inner = trimmed.startsWith('[') ? /^\[(.*)\]$/s.exec(trimmed)?.[1] : trimmed;
  if (inner === undefined) return null;
  if (inner.trim() === '') return [];
  const items = inner.split(',').map(parseNumber);
  return items.every((n) => n !== null) ? (items as number[]) : null;
}

/**
 * Whether a number-or-list input holds a list: brackets, or commas that are not a thousands
 * separator (`128, 64` is two widths, `4,096` one).
 */
export function isNumberListText(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return true;
  return trimmed.includes(',') && !/^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$/.test(trimmed);
}

/** `hit, steps` → ['hit', 'steps']; empty items (a trailing comma) are dropped. */
export function listItems(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function setIn(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const step of path.slice(0, -1)) {
    if (typeof node[step] !== 'object' || node[step] === null) node[step] = {};
    node = node[step] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

/** Whether a field is on the form now: a field of an option not chosen is neither shown nor sent. */
export function isShown(field: FormField, values: FormValues): boolean {
  const when = field.shownWhen;
  return !when || when.values.includes(values[when.key] ?? '');
}

/**
 * The body the form describes; an empty input is left out so the schema's default applies, and
 * so is every field not shown.
 */
export function buildBody(
  fields: readonly FormField[],
  fixed: readonly FixedValue[],
  values: FormValues,
): BuiltBody {
  const body: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const { path, value } of fixed) setIn(body, path, value);
  for (const field of fields) {
    if (!isShown(field, values)) continue;
    const raw = values[field.key] ?? '';
    if (field.kind === 'boolean') {
      // Left out while it says what the default says: the body carries only choices made.
      if (raw !== '' && (raw === 'true') !== (field.default ?? false)) {
        setIn(body, field.path, raw === 'true');
      }
      continue;
    }
    if (raw.trim() === '') {
      if (field.required) errors.push({ path: field.key, message: 'required' });
      continue;
    }
    if (field.kind === 'code') {
      // Sent exactly as typed: trimming leading lines would shift the compiler's line numbers.
      setIn(body, field.path, raw);
      continue;
    }
    if (field.kind === 'list') {
      setIn(body, field.path, listItems(raw));
      continue;
    }
    if (field.orList && isNumberListText(raw)) {
      const items = parseNumberList(raw);
      if (items === null) {
        errors.push({ path: field.key, message: 'enter a number, or a list like 128, 64' });
        continue;
      }
      setIn(body, field.path, items);
      continue;
    }
    if (field.kind === 'integer' || field.kind === 'number') {
      const n = parseNumber(raw);
      if (n === null) {
        errors.push({ path: field.key, message: 'enter a number (1000000, 1e6 or 2^20)' });
        continue;
      }
      setIn(body, field.path, n);
      continue;
    }
    setIn(body, field.path, field.kind === 'string' ? raw.trim() : raw);
  }
  return { body, errors };
}

export type Checked = { ok: true; body: SubmitWorkloadInput } | { ok: false; errors: FieldError[] };

/** Checks the form with the very schema the coordinator uses, before anything is sent. */
export function checkForm(
  fields: readonly FormField[],
  fixed: readonly FixedValue[],
  values: FormValues,
): Checked {
  const { body, errors } = buildBody(fields, fixed, values);
  const parsed = submitWorkloadSchema.safeParse(body);
  const schemaErrors = parsed.success ? [] : fieldErrorsFromIssues(parsed.error.issues);
  // An empty or unreadable field gets its plain message, not the schema's "expected number",
  // nor its object's "spec is required" when every field of it was left empty.
  const unparsable = new Set(errors.map((e) => e.path));
  const said = (path: string) =>
    unparsable.has(path) || [...unparsable].some((p) => p.startsWith(`${path}.`));
  const all = [...errors, ...schemaErrors.filter((e) => !said(e.path))];
  if (all.length > 0) return { ok: false, errors: all };
  // The body as typed, not the parsed one: defaults stay the coordinator's to fill in.
  return { ok: true, body: body as SubmitWorkloadInput };
}

/** Where in a field's text (a kernel's source) an error points: 1-based. */
export interface TextLocation {
  line: number;
  column?: number;
}

export interface PlacedErrors {
  byField: Map<string, string>;
  /** The line (and column) each field's error points at, for fields whose error has one. */
  locations: Map<string, TextLocation>;
  general: string[];
}

/**
 * The field an error belongs to: its own path, or the list it names an item of
 * (`spec.outputs.1` belongs to `spec.outputs`, said as "item 2: ...").
 */
function fieldOf(
  error: FieldError,
  keys: ReadonlySet<string>,
): [key: string, message: string] | null {
  if (keys.has(error.path)) return [error.path, error.message];
  const item = /^(.*)\.(\d+)$/.exec(error.path);
  if (item && keys.has(item[1]!))
    return [item[1]!, `item ${Number(item[2]) + 1}: ${error.message}`];
  return null;
}

/** Splits errors into those a field shows and those that belong to no field on the form. */
export function placeErrors(
  errors: readonly FieldError[],
  fields: readonly FormField[],
): PlacedErrors {
  const keys = new Set(fields.map((f) => f.key));
  const byField = new Map<string, string>();
  const locations = new Map<string, TextLocation>();
  const general: string[] = [];
  for (const error of errors) {
    const placed = fieldOf(error, keys);
    if (!placed) {
      general.push(error.path ? `${error.path}: ${error.message}` : error.message);
      continue;
    }
    const [key, message] = placed;
    if (byField.has(key)) continue;
    const where = sourceLocationWords(error);
    // "line 3, column 10: ..." however the server worded it, so the place is always said.
    byField.set(key, where ? `${where}: ${messageWithoutLocation(error)}` : message);
    if (error.line !== undefined) {
      locations.set(key, {
        line: error.line,
        ...(error.column !== undefined ? { column: error.column } : {}),
      });
    }
  }
  return { byField, locations, general };
}
