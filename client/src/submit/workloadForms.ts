// The workload types the submit page offers, read from the registry: one per Monte Carlo
// estimator in montecarloSpecSchema, each with its form fields. Registering an estimator adds
// it here; gradient workloads will add their own entries beside these.
import { montecarloSpecSchema, redundancySchema } from '@tessera/shared';
import { workloadNameSchema } from '@tessera/shared/workloadSpec';
import { z } from 'zod';
import { COMMON_HINTS, ESTIMATOR_HINTS, type FieldHint } from './estimatorHints';
import { formShapeOf, type FixedValue, type FormField } from './formFields';

export interface WorkloadForm {
  /** `montecarlo/pi`: stable, used in the URL (?type=) and test ids. */
  id: string;
  kind: 'montecarlo';
  /** What the select shows, grouped by kind. */
  title: string;
  summary: string;
  /** The spec's own fields, then the name, then redundancy (shown as advanced). */
  specFields: FormField[];
  nameField: FormField;
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

function buildForms(): WorkloadForm[] {
  const name = formShapeOf(z.object({ name: workloadNameSchema.optional() })).fields[0]!;
  const redundancy = formShapeOf(redundancySchema, ['redundancy']).fields;
  return montecarloSpecSchema.options.map((option) => {
    const estimator = estimatorOf(option);
    const hint = ESTIMATOR_HINTS[estimator];
    const spec = formShapeOf(option, ['spec']);
    const specHints = Object.fromEntries(
      Object.entries(hint?.fields ?? {}).map(([key, value]) => [`spec.${key}`, value]),
    );
    return {
      id: `montecarlo/${estimator}`,
      kind: 'montecarlo',
      title: hint?.title ?? estimator,
      summary: hint?.summary ?? `Monte Carlo estimator "${estimator}".`,
      specFields: spec.fields,
      nameField: name,
      redundancyFields: redundancy,
      fixed: [{ path: ['kind'], value: 'montecarlo' }, ...spec.fixed],
      hints: { ...COMMON_HINTS, ...specHints },
    };
  });
}

export const WORKLOAD_FORMS: readonly WorkloadForm[] = buildForms();

export function allFields(form: WorkloadForm): FormField[] {
  return [...form.specFields, form.nameField, ...form.redundancyFields];
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
