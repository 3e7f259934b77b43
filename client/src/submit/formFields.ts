// The inputs a form needs for a zod schema, read from its JSON Schema (z.toJSONSchema): each
// leaf field with its type, limits, default and choices. The submit page draws its form from
// these, so a new estimator's spec gets a form without new form code.
import { z } from 'zod';

export const FIELD_KINDS = ['integer', 'number', 'string', 'boolean', 'choice'] as const;
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
  options?: string[];
  description?: string;
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
    default:
      return null;
  }
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
  const field = leaf(path, node, required);
  // A shape the form cannot draw (arrays, unions) is left to the schema's default.
  if (field) shape.fields.push(field);
}

/** The form for `schema` (its input side: defaulted fields are optional), under `prefix`. */
export function formShapeOf(schema: z.ZodType, prefix: string[] = []): FormShape {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const shape: FormShape = { fields: [], fixed: [] };
  walk(json, prefix, true, shape);
  return shape;
}
