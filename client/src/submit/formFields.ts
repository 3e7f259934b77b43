// The inputs a form needs for a zod schema, read from its JSON Schema (z.toJSONSchema): each
// leaf field with its type, limits, default and choices. The submit page draws its form from
// these, so a new estimator's spec gets a form without new form code. A union of objects told
// apart by one literal field (`optimizer: { name: 'sgd', ... } | { name: 'adam', ... }`) becomes
// a choice for that field plus every option's fields, each shown only while its option is chosen.
// A list of strings (a kernel's output names) is one input of comma-separated items; a number
// that may also be a list of numbers (an mlp's hidden widths: 64 or [128, 64]) is one input
// taking either; a set of named strings that also takes other strings of a pattern (a built-in
// dataset, or an uploaded one's id) is an open choice, its other values listed by the page; a
// string a hint marks as code (a WGSL kernel's source) gets a code editor (estimatorHints.ts).
import { z } from 'zod';

export const FIELD_KINDS = [
  'integer',
  'number',
  'string',
  'code',
  'list',
  'boolean',
  'choice',
] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export interface FormField {
  /** Where the value goes in the request body, e.g. ['spec', 'params', 'spot']. */
  path: string[];
  /** The dotted path, as the server's error details name it: 'spec.params.spot'. */
  key: string;
  kind: FieldKind;
  required: boolean;
  default?: unknown;
  /** Inclusive bounds; `exclusive*` set when the bound itself is refused (temperature > 0). */
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  /** A list's bounds on its number of items (also of an `orList` number's list). */
  minItems?: number;
  maxItems?: number;
  /** An integer or number field that also takes a list of such numbers, typed `[a, b]`. */
  orList?: boolean;
  options?: string[];
  /** A choice that also takes values beyond `options` (an uploaded dataset's id). */
  open?: boolean;
  description?: string;
  /** Shown (and sent) only while the field `key` holds one of `values`. */
  shownWhen?: ShownWhen;
}

export interface ShownWhen {
  key: string;
  values: string[];
}

/** A fixed value the schema demands (`estimator: 'pi'`), sent as is, never shown as an input. */
export interface FixedValue {
  path: string[];
  value: unknown;
}

export interface FormShape {
  fields: FormField[];
  fixed: FixedValue[];
}

type JsonSchema = {
  type?: string | string[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  description?: string;
};

function leaf(path: string[], node: JsonSchema, required: boolean): FormField | null {
  const base = {
    path,
    key: path.join('.'),
    required: required && node.default === undefined,
    ...(node.default !== undefined ? { default: node.default } : {}),
    ...(node.description ? { description: node.description } : {}),
  };
  if (Array.isArray(node.enum) && node.enum.every((v) => typeof v === 'string')) {
    return { ...base, kind: 'choice', options: node.enum as string[] };
  }
  const bounds = {
    ...(node.minimum !== undefined ? { minimum: node.minimum } : {}),
    ...(node.maximum !== undefined ? { maximum: node.maximum } : {}),
    ...(node.exclusiveMinimum !== undefined
      ? { minimum: node.exclusiveMinimum, exclusiveMinimum: true }
      : {}),
    ...(node.exclusiveMaximum !== undefined
      ? { maximum: node.exclusiveMaximum, exclusiveMaximum: true }
      : {}),
  };
  switch (node.type) {
    case 'integer':
      return { ...base, ...bounds, kind: 'integer' };
    case 'number':
      return { ...base, ...bounds, kind: 'number' };
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'string':
      return {
        ...base,
        kind: 'string',
        ...(node.minLength !== undefined ? { minLength: node.minLength } : {}),
        ...(node.maxLength !== undefined ? { maxLength: node.maxLength } : {}),
      };
    case 'array':
      // Only lists of plain strings have an input: typed as "a, b, c".
      if (node.items?.type !== 'string') return null;
      return {
        ...base,
        kind: 'list',
        ...(node.minItems !== undefined ? { minItems: node.minItems } : {}),
        ...(node.maxItems !== undefined ? { maxItems: node.maxItems } : {}),
      };
    default:
      return null;
  }
}

/** A union's own default and description, where it has them: its field's. */
function ownOf(node: JsonSchema): JsonSchema {
  return {
    ...(node.default !== undefined ? { default: node.default } : {}),
    ...(node.description !== undefined ? { description: node.description } : {}),
  };
}

/** A union of a number and a list of the same numbers: one field taking either, or null. */
function numberOrList(
  node: JsonSchema,
  options: JsonSchema[],
  path: string[],
  required: boolean,
): FormField | null {
  const single = options.find((o) => o.type === 'integer' || o.type === 'number');
  const list = options.find((o) => o.type === 'array' && o.items?.type === single?.type);
  if (options.length !== 2 || !single || !list) return null;
  const field = leaf(path, { ...single, ...ownOf(node) }, required);
  if (!field) return null;
  return {
    ...field,
    orList: true,
    ...(list.minItems !== undefined ? { minItems: list.minItems } : {}),
    ...(list.maxItems !== undefined ? { maxItems: list.maxItems } : {}),
  };
}

/** A union of named strings and any other string (of a pattern): an open choice, or null. */
function openChoice(
  node: JsonSchema,
  options: JsonSchema[],
  path: string[],
  required: boolean,
): FormField | null {
  const named = options.find(
    (o) => Array.isArray(o.enum) && o.enum.every((v) => typeof v === 'string'),
  );
  const other = options.find((o) => o.type === 'string' && o.enum === undefined);
  if (options.length !== 2 || !named || !other) return null;
  const field = leaf(path, { ...named, ...ownOf(node) }, required);
  return field && { ...field, open: true };
}

/** The property every option fixes to a different string: the union's tag, or null. */
function tagOf(options: JsonSchema[]): string | null {
  const first = options[0]?.properties;
  if (!first || options.some((o) => o.type !== 'object' || !o.properties)) return null;
  const tag = Object.keys(first).find((name) =>
    options.every((o) => typeof o.properties?.[name]?.const === 'string'),
  );
  return tag ?? null;
}

/** A tagged union of objects: the tag as a choice, each option's leaves shown with it. */
function walkUnion(options: JsonSchema[], path: string[], required: boolean, shape: FormShape) {
  const tag = tagOf(options);
  if (tag === null) return;
  const tagKey = [...path, tag].join('.');
  const values = options.map((o) => o.properties![tag]!.const as string);
  shape.fields.push({
    path: [...path, tag],
    key: tagKey,
    kind: 'choice',
    required,
    options: values,
  });
  const byName = new Map<string, FormField>();
  options.forEach((option, i) => {
    const needed = new Set(option.required ?? []);
    for (const [name, child] of Object.entries(option.properties!)) {
      if (name === tag) continue;
      const known = byName.get(name);
      if (known) {
        // The same field in several options (a learning rate): one input, shown for each.
        known.shownWhen!.values.push(values[i]!);
        known.required &&= needed.has(name);
        continue;
      }
      const field = leaf([...path, name], child, needed.has(name));
      if (!field) continue;
      field.shownWhen = { key: tagKey, values: [values[i]!] };
      byName.set(name, field);
      shape.fields.push(field);
    }
  });
}

function walk(node: JsonSchema, path: string[], required: boolean, shape: FormShape): void {
  if (node.const !== undefined) {
    shape.fixed.push({ path, value: node.const });
    return;
  }
  if (node.type === 'object' && node.properties) {
    const needed = new Set(node.required ?? []);
    for (const [name, child] of Object.entries(node.properties)) {
      walk(child, [...path, name], needed.has(name), shape);
    }
    return;
  }
  const options = node.oneOf ?? node.anyOf;
  if (options) {
    const either =
      numberOrList(node, options, path, required) ?? openChoice(node, options, path, required);
    if (either) shape.fields.push(either);
    else walkUnion(options, path, required, shape);
    return;
  }
  const field = leaf(path, node, required);
  // A shape the form cannot draw (arrays of numbers, unions) is left to the schema's default.
  if (field) shape.fields.push(field);
}

/** The form for `schema` (its input side: defaulted fields are optional), under `prefix`. */
export function formShapeOf(schema: z.ZodType, prefix: string[] = []): FormShape {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const shape: FormShape = { fields: [], fixed: [] };
  walk(json, prefix, true, shape);
  return shape;
}
