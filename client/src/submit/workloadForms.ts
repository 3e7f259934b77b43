// The workload types the submit page offers, read from the registry: one per Monte Carlo
// estimator in montecarloSpecSchema, each with its form fields, one for gradient training
// (gradientSpecSchema) and one for inference with a trained model (inferenceSpecSchema).
// Registering an estimator adds it here.
import { montecarloSpecSchema, redundancySchema } from '@tessera/shared';
import { gradientSpecSchema } from '@tessera/shared/kinds/gradient/gradientSpec';
import { inferenceSpecSchema } from '@tessera/shared/kinds/inference/inferenceSpec';
import { workloadNameSchema, type WorkloadKind } from '@tessera/shared/workloadSpec';
import { z } from 'zod';
import {
  COMMON_HINTS,
  ESTIMATOR_HINTS,
  GRADIENT_HINT,
  INFERENCE_HINT,
  type EstimatorHint,
  type FieldHint,
} from './estimatorHints';
import { formShapeOf, type FixedValue, type FormField } from './formFields';

export interface WorkloadForm {
  /** `montecarlo/pi`: stable, used in the URL (?type=) and test ids. */
  id: string;
  kind: WorkloadKind;
  /** What the select shows, grouped by kind. */
  title: string;
  summary: string;
  /** The folded section of the spec's advanced fields. */
  advancedTitle: string;
  /** The spec's own fields, then the name, then the spec's advanced fields and redundancy. */
  specFields: FormField[];
  nameField: FormField;
  advancedFields: FormField[];
  redundancyFields: FormField[];
  fixed: FixedValue[];
  hints: Record<string, FieldHint>;
}

function estimatorOf(option: z.ZodType): string {
  const json = z.toJSONSchema(option, { io: 'input', unrepresentable: 'any' }) as {
    properties?: { estimator?: { const?: unknown } };
  };
  const name = json.properties?.estimator?.const;
  if (typeof name !== 'string') throw new Error('a Monte Carlo spec without an estimator literal');
  return name;
}

/** One workload type's form: its spec's fields with their hints (keys inside `spec`). */
function formOf(
  id: string,
  kind: WorkloadKind,
  schema: z.ZodType,
  hint: EstimatorHint | undefined,
  fallback: { title: string; summary: string },
): WorkloadForm {
  const name = formShapeOf(z.object({ name: workloadNameSchema.optional() })).fields[0]!;
  const redundancy = formShapeOf(redundancySchema, ['redundancy']).fields;
  const spec = formShapeOf(schema, ['spec']);
  const specHints = Object.fromEntries(
    Object.entries(hint?.fields ?? {}).map(([key, value]) => [`spec.${key}`, value]),
  );
  const omitted = (hint?.omitted ?? []).map((key) => `spec.${key}`);
  const onForm = (f: FormField) => !omitted.some((o) => f.key === o || f.key.startsWith(`${o}.`));
  const fields = spec.fields.filter(onForm).map((f) => {
    const shownWhen = f.shownWhen ?? specHints[f.key]?.shownWhen;
    // A string the hint marks as code gets the code editor and is sent untrimmed.
    const kind = f.kind === 'string' && specHints[f.key]?.code ? 'code' : f.kind;
    return { ...f, kind, ...(shownWhen ? { shownWhen } : {}) };
  });
  return {
    id,
    kind,
    title: hint?.title ?? fallback.title,
    summary: hint?.summary ?? fallback.summary,
    advancedTitle: hint?.advancedTitle ?? 'Training details (advanced)',
    specFields: fields.filter((f) => !specHints[f.key]?.advanced),
    nameField: name,
    advancedFields: fields.filter((f) => specHints[f.key]?.advanced),
    redundancyFields: redundancy,
    fixed: [{ path: ['kind'], value: kind }, ...spec.fixed],
    hints: { ...COMMON_HINTS, ...specHints },
  };
}

function buildForms(): WorkloadForm[] {
  const montecarlo = montecarloSpecSchema.options.map((option) => {
    const estimator = estimatorOf(option);
    return formOf(`montecarlo/${estimator}`, 'montecarlo', option, ESTIMATOR_HINTS[estimator], {
      title: estimator,
      summary: `Monte Carlo estimator "${estimator}".`,
    });
  });
  const gradient = formOf('gradient/train', 'gradient', gradientSpecSchema, GRADIENT_HINT, {
    title: 'gradient',
    summary: 'Data-parallel training.',
  });
  const inference = formOf('inference/predict', 'inference', inferenceSpecSchema, INFERENCE_HINT, {
    title: 'inference',
    summary: 'A trained model over an uploaded dataset.',
  });
  return [...montecarlo, gradient, inference];
}

export const WORKLOAD_FORMS: readonly WorkloadForm[] = buildForms();

export function allFields(form: WorkloadForm): FormField[] {
  return [...form.specFields, form.nameField, ...form.advancedFields, ...form.redundancyFields];
}

/** The values a fresh form shows: the hints' examples; defaulted fields start empty. */
export function initialValues(form: WorkloadForm): Record<string, string> {
  return Object.fromEntries(
    allFields(form).map((f) => [
      f.key,
      form.hints[f.key]?.initial ?? (f.kind === 'boolean' ? String(f.default ?? false) : ''),
    ]),
  );
}
