// The submit form's logic without a browser: fields read from the registry's schemas, typed
// values turned into a body, and errors (the form's own and the coordinator's) put in place.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { montecarloSpecSchema, submitWorkloadSchema } from '@tessera/shared';
import { z } from 'zod';
import { formShapeOf } from '../../src/submit/formFields';
import { buildBody, checkForm, parseNumber, placeErrors } from '../../src/submit/formValues';
import { limitWords, numberWords } from '../../src/submit/limitWords';
import { WORKLOAD_FORMS, allFields, initialValues } from '../../src/submit/workloadForms';

const pi = WORKLOAD_FORMS.find((f) => f.id === 'montecarlo/pi')!;

function field(key: string) {
  const found = allFields(pi).find((f) => f.key === key);
  assert.ok(found, `no field ${key}`);
  return found;
}

describe('workload forms', () => {
  test('one form per registered Monte Carlo estimator, pi first', () => {
    assert.equal(WORKLOAD_FORMS.length, montecarloSpecSchema.options.length);
    assert.equal(WORKLOAD_FORMS[0]!.id, 'montecarlo/pi');
    for (const form of WORKLOAD_FORMS) {
      assert.ok(form.specFields.length > 0, form.id);
      assert.notEqual(form.title, form.id.split('/')[1], `${form.id} has no title hint`);
      // Every form opens on values the coordinator would accept as they are.
      const checked = checkForm(allFields(form), form.fixed, initialValues(form));
      assert.equal(checked.ok, true, `${form.id}: ${JSON.stringify(checked)}`);
    }
  });

  test("pi's fields carry the schema's types, limits and defaults", () => {
    assert.deepEqual(
      pi.specFields.map((f) => [f.key, f.kind, f.required]),
      [
        ['spec.samples', 'integer', true],
        ['spec.seed', 'integer', true],
        ['spec.samplesPerUnit', 'integer', false],
      ],
    );
    assert.equal(limitWords(field('spec.samples')), 'integer, 1 to 2^50 · required');
    assert.equal(limitWords(field('spec.seed')), 'integer, 0 to 2^53 − 1 · required');
    assert.equal(limitWords(field('spec.samplesPerUnit')), 'integer, 1,024 to 2^31 · default 2^24');
    assert.equal(limitWords(field('redundancy.quorum')), 'integer, 1 to 5 · default 2');
    assert.equal(limitWords(field('name')), 'up to 120 characters · optional');
    assert.deepEqual(pi.fixed, [
      { path: ['kind'], value: 'montecarlo' },
      { path: ['spec', 'estimator'], value: 'pi' },
    ]);
  });

  test('nested params, exclusive bounds and choices are read too', () => {
    const shape = formShapeOf(
      z.object({
        params: z.object({ t: z.number().gt(0).max(100), side: z.enum(['call', 'put']) }),
        flag: z.boolean().default(true),
      }),
      ['spec'],
    );
    const [t, side, flag] = shape.fields;
    assert.equal(t!.key, 'spec.params.t');
    assert.equal(limitWords(t!), 'number, > 0 and ≤ 100 · required');
    assert.deepEqual(side!.options, ['call', 'put']);
    assert.equal(limitWords(side!), 'call or put · required');
    assert.equal(limitWords(flag!), 'default on');
  });
});

describe('form values', () => {
  test('numbers may be written the way people write them', () => {
    assert.equal(parseNumber('2^30'), 2 ** 30);
    assert.equal(parseNumber('1e9'), 1e9);
    assert.equal(parseNumber(' 1,000,000 '), 1_000_000);
    assert.equal(parseNumber('1_000'), 1000);
    assert.equal(parseNumber('-0.25'), -0.25);
    assert.equal(parseNumber('.5'), 0.5);
    assert.equal(parseNumber('ten'), null);
    assert.equal(parseNumber('1.2.3'), null);
    assert.equal(parseNumber(''), null);
    assert.equal(numberWords(2 ** 24), '2^24');
    assert.equal(numberWords(1024), '1,024');
  });

  test('empty optional inputs are left out so the defaults apply', () => {
    const values = { ...initialValues(pi), 'spec.samples': '1e6', 'spec.seed': '9', name: '  ' };
    const { body, errors } = buildBody(allFields(pi), pi.fixed, values);
    assert.deepEqual(errors, []);
    assert.deepEqual(body, {
      kind: 'montecarlo',
      spec: { estimator: 'pi', samples: 1_000_000, seed: 9 },
    });
    assert.equal(submitWorkloadSchema.safeParse(body).success, true);
  });

  test('bad values are caught with the same schema the coordinator uses', () => {
    const values = {
      ...initialValues(pi),
      'spec.samples': '-5',
      'spec.seed': '1.5',
      'spec.samplesPerUnit': 'lots',
      'redundancy.quorum': '',
      'redundancy.maxReplicas': '1',
      'redundancy.maxErrors': '',
    };
    const checked = checkForm(allFields(pi), pi.fixed, values);
    assert.equal(checked.ok, false);
    const { byField, general } = placeErrors(checked.ok ? [] : checked.errors, allFields(pi));
    assert.deepEqual(Object.fromEntries(byField), {
      'spec.samples': 'samples must be >= 1',
      'spec.seed': 'seed must be an integer',
      'spec.samplesPerUnit': 'enter a number (1000000, 1e6 or 2^20)',
      'redundancy.maxReplicas': 'maxReplicas must be >= quorum',
    });
    assert.deepEqual(general, []);
    const empty = checkForm(allFields(pi), pi.fixed, { ...values, 'spec.samples': '' });
    assert.equal(
      empty.ok ? '' : empty.errors.find((e) => e.path === 'spec.samples')?.message,
      'required',
    );
  });

  test("errors for paths the form does not show are kept as the form's own", () => {
    const placed = placeErrors(
      [
        { path: 'spec.samples', message: 'too many' },
        { path: 'spec.samples', message: 'second opinion' },
        { path: '', message: 'body is wrong' },
        { path: 'spec.gpu', message: 'unknown key' },
      ],
      allFields(pi),
    );
    assert.deepEqual(Object.fromEntries(placed.byField), { 'spec.samples': 'too many' });
    assert.deepEqual(placed.general, ['body is wrong', 'spec.gpu: unknown key']);
  });
});
