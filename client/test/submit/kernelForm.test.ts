// The submit form for a researcher's own WGSL kernel, without a browser: a list of names read
// from the schema as one comma-separated input, the source as code (sent exactly as typed), a
// compile error's line kept for the editor to mark, and the form as the registry draws it once
// the "wgsl" estimator is registered.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { offsetOf } from '../../src/submit/CodeEditor';
import { STARTER_KERNEL } from '../../src/submit/estimatorHints';
import { formShapeOf } from '../../src/submit/formFields';
import { buildBody, listItems, placeErrors } from '../../src/submit/formValues';
import { limitWords } from '../../src/submit/limitWords';
import { WORKLOAD_FORMS, allFields, initialValues } from '../../src/submit/workloadForms';

/** The contract of DESIGN.md section 3, as a zod schema of the registry's style would say it. */
const kernelSpec = z
  .object({
    estimator: z.literal('wgsl'),
    source: z.string().min(1).max(65_536),
    outputs: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
      .min(1)
      .max(8),
    samples: z.number().int().min(1),
    seed: z.number().int().min(0),
    samplesPerUnit: z.number().int().min(1).optional(),
  })
  .strict();

describe('kernel form fields', () => {
  const shape = formShapeOf(kernelSpec, ['spec']);
  const byKey = new Map(shape.fields.map((f) => [f.key, f]));

  test('a list of names is one input; its count bounds are said beside it', () => {
    const outputs = byKey.get('spec.outputs');
    assert.ok(outputs);
    assert.equal(outputs.kind, 'list');
    assert.equal(outputs.minItems, 1);
    assert.equal(outputs.maxItems, 8);
    assert.equal(limitWords(outputs), 'comma-separated, 1 to 8 names · required');
    assert.equal(byKey.get('spec.source')?.kind, 'string');
    assert.equal(limitWords(byKey.get('spec.source')!), 'up to 65,536 characters · required');
    assert.deepEqual(shape.fixed, [{ path: ['spec', 'estimator'], value: 'wgsl' }]);
  });

  test('list items are split on commas and trimmed; the source is sent exactly as typed', () => {
    assert.deepEqual(listItems(' hit, steps ,,'), ['hit', 'steps']);
    const fields = shape.fields.map((f) =>
      f.key === 'spec.source' ? { ...f, kind: 'code' as const } : f,
    );
    const source = '\n\nfn sample() -> array<f32, 1> { return array<f32, 1>(1.0); }\n';
    const { body, errors } = buildBody(fields, shape.fixed, {
      'spec.source': source,
      'spec.outputs': 'hit, steps',
      'spec.samples': '1e6',
      'spec.seed': '3',
      'spec.samplesPerUnit': '',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(body, {
      spec: {
        estimator: 'wgsl',
        // Leading blank lines kept: the compiler's line numbers must match the editor's.
        source,
        outputs: ['hit', 'steps'],
        samples: 1_000_000,
        seed: 3,
      },
    });
    const empty = buildBody(fields, shape.fixed, { 'spec.source': '  \n', 'spec.outputs': '' });
    assert.deepEqual(
      empty.errors.map((e) => e.path),
      ['spec.source', 'spec.outputs', 'spec.samples', 'spec.seed'],
    );
  });
});

describe('kernel errors in place', () => {
  const fields = formShapeOf(kernelSpec, ['spec']).fields;

  test('a compile error keeps its line and column for the editor, and says them', () => {
    const placed = placeErrors(
      [
        {
          path: 'spec.source',
          message: "line 2, column 11: cannot initialize let of type 'f32' with 'i32'",
          line: 2,
          column: 11,
        },
      ],
      fields,
    );
    assert.equal(
      placed.byField.get('spec.source'),
      "line 2, column 11: cannot initialize let of type 'f32' with 'i32'",
    );
    assert.deepEqual(placed.locations.get('spec.source'), { line: 2, column: 11 });
    assert.deepEqual(placed.general, []);
  });

  test('a location the message does not open with is said anyway; none is none', () => {
    const placed = placeErrors(
      [{ path: 'spec.source', message: 'unresolved call target uniform2', line: 4 }],
      fields,
    );
    assert.equal(placed.byField.get('spec.source'), 'line 4: unresolved call target uniform2');
    assert.deepEqual(placed.locations.get('spec.source'), { line: 4 });
    const plain = placeErrors([{ path: 'spec.source', message: 'no fn sample()' }], fields);
    assert.equal(plain.byField.get('spec.source'), 'no fn sample()');
    assert.equal(plain.locations.size, 0);
  });

  test("an item's error goes to its list, naming the item", () => {
    const placed = placeErrors(
      [{ path: 'spec.outputs.1', message: 'must be a name: letters, digits, _' }],
      fields,
    );
    assert.equal(placed.byField.get('spec.outputs'), 'item 2: must be a name: letters, digits, _');
  });

  test('a line and column become an offset in the text, clamped to it', () => {
    const text = 'ab\ncdef\n\ng';
    assert.equal(offsetOf(text, 1), 0);
    assert.equal(offsetOf(text, 2, 3), 5);
    assert.equal(offsetOf(text, 2, 99), 7, 'past the end of line 2: its end');
    assert.equal(offsetOf(text, 3), 8);
    assert.equal(offsetOf(text, 4), 9);
    assert.equal(offsetOf(text, 40), text.length);
  });
});

describe('the registered kernel form', () => {
  const form = WORKLOAD_FORMS.find((f) => f.id === 'montecarlo/wgsl');

  test(
    'opens on the pi starter kernel with its source in the code editor',
    { skip: form ? false : 'the wgsl estimator is not registered yet' },
    () => {
      assert.ok(form);
      assert.equal(form.title, 'Your WGSL kernel');
      const source = allFields(form).find((f) => f.key === 'spec.source');
      assert.equal(source?.kind, 'code');
      assert.equal(allFields(form).find((f) => f.key === 'spec.outputs')?.kind, 'list');
      const values = initialValues(form);
      assert.equal(values['spec.source'], STARTER_KERNEL);
      assert.equal(values['spec.outputs'], 'pi');
      assert.match(STARTER_KERNEL, /fn sample\(\) -> array<f32, 1>/);
    },
  );
});
