// The submit form's logic without a browser: fields read from the registry's schemas, typed
// values turned into a body, and errors (the form's own and the coordinator's) put in place.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { montecarloSpecSchema, submitWorkloadSchema } from '@tessera/shared';
import { z } from 'zod';
import { formShapeOf } from '../../src/submit/formFields';
import {
  buildBody,
  checkForm,
  isShown,
  parseNumber,
  placeErrors,
} from '../../src/submit/formValues';
import { limitWords, numberWords } from '../../src/submit/limitWords';
import { WORKLOAD_FORMS, allFields, initialValues } from '../../src/submit/workloadForms';

const pi = WORKLOAD_FORMS.find((f) => f.id === 'montecarlo/pi')!;

function field(key: string) {
  const found = allFields(pi).find((f) => f.key === key);
  assert.ok(found, `no field ${key}`);
  return found;
}

describe('workload forms', () => {
  test('one form per registered Monte Carlo estimator, pi first, then training and inference', () => {
    assert.equal(WORKLOAD_FORMS.length, montecarloSpecSchema.options.length + 2);
    assert.equal(WORKLOAD_FORMS[0]!.id, 'montecarlo/pi');
    assert.deepEqual(
      WORKLOAD_FORMS.slice(-2).map((f) => f.id),
      ['gradient/train', 'inference/predict'],
    );
    for (const form of WORKLOAD_FORMS) {
      assert.ok(form.specFields.length > 0, form.id);
      assert.notEqual(form.title, form.id.split('/')[1], `${form.id} has no title hint`);
      // Inference names a model and a dataset only the coordinator can list
      // (researcherForms.test.ts).
      if (form.kind === 'inference') continue;
      // Every other form opens on values the coordinator would accept as they are.
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

describe('the gradient training form', () => {
  const gradient = WORKLOAD_FORMS.find((f) => f.id === 'gradient/train')!;
  const fields = allFields(gradient);
  const gradientField = (key: string) => {
    const found = fields.find((f) => f.key === key);
    assert.ok(found, `no field ${key}`);
    return found;
  };
  const shownKeys = (values: Record<string, string>) =>
    fields.filter((f) => isShown(f, values)).map((f) => f.key);

  test('opens on examples/mnist-softmax.json, which the coordinator accepts', () => {
    const example = JSON.parse(
      readFileSync(new URL('../../../examples/mnist-softmax.json', import.meta.url), 'utf8'),
    ) as { spec: unknown };
    const checked = checkForm(fields, gradient.fixed, initialValues(gradient));
    assert.ok(checked.ok, JSON.stringify(checked));
    assert.deepEqual(checked.body, {
      kind: 'gradient',
      spec: { ...(example.spec as object), aggregation: 'mean' },
    });
  });

  test('the optimizer union is a choice, each option with its own fields', () => {
    const name = gradientField('spec.optimizer.name');
    assert.equal(name.kind, 'choice');
    assert.deepEqual(name.options, ['sgd', 'adam']);
    assert.deepEqual(gradientField('spec.optimizer.lr').shownWhen, {
      key: 'spec.optimizer.name',
      values: ['sgd', 'adam'],
    });
    assert.equal(limitWords(gradientField('spec.optimizer.lr')), 'number, > 0 and ≤ 10 · required');
    assert.equal(
      limitWords(gradientField('spec.aggregation')),
      'mean, median or trimmed-mean · default mean',
    );
    assert.deepEqual(gradientField('spec.optimizer.momentum').shownWhen?.values, ['sgd']);
    assert.deepEqual(gradientField('spec.optimizer.beta1').shownWhen?.values, ['adam']);
    assert.ok(gradient.advancedFields.some((f) => f.key === 'spec.optimizer.beta1'));
    assert.ok(gradient.specFields.some((f) => f.key === 'spec.optimizer.momentum'));
  });

  test('fields of a choice not made are hidden and not sent', () => {
    const start = initialValues(gradient);
    const hidden = ['spec.hidden', 'spec.blobs.train', 'spec.optimizer.momentum', 'spec.trim'];
    for (const key of hidden) assert.ok(!shownKeys(start).includes(key), key);
    const values = {
      ...start,
      'spec.model': 'mlp',
      'spec.dataset': 'blobs',
      'spec.blobs.train': '600',
      'spec.optimizer.name': 'sgd',
      'spec.optimizer.lr': '0.1',
      'spec.optimizer.momentum': '0.9',
      'spec.aggregation': 'trimmed-mean',
    };
    for (const key of hidden) assert.ok(shownKeys(values).includes(key), key);
    const checked = checkForm(fields, gradient.fixed, values);
    assert.ok(checked.ok, JSON.stringify(checked));
    assert.deepEqual(checked.body.spec, {
      model: 'mlp',
      hidden: 64,
      dataset: 'blobs',
      blobs: { train: 600 },
      optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9 },
      batchSize: 100,
      epochs: 2,
      shards: 2,
      seed: 20261127,
      aggregation: 'trimmed-mean',
      trim: 0.2,
    });
    // Back to adam: momentum is hidden again and left out, though it still holds 0.9.
    const adam = checkForm(fields, gradient.fixed, { ...values, 'spec.optimizer.name': 'adam' });
    assert.ok(adam.ok);
    assert.deepEqual((adam.body.spec as { optimizer: unknown }).optimizer, {
      name: 'adam',
      lr: 0.1,
    });
  });

  test("the schema's own rules land on their fields; a hidden field's error is said in general", () => {
    const both = { ...initialValues(gradient), 'spec.steps': '50', 'spec.optimizer.lr': '0' };
    const checked = checkForm(fields, gradient.fixed, both);
    assert.equal(checked.ok, false);
    const shown = fields.filter((f) => isShown(f, both));
    const placed = placeErrors(checked.ok ? [] : checked.errors, shown);
    assert.deepEqual(Object.fromEntries(placed.byField), {
      'spec.optimizer.lr': 'lr must be > 0',
      'spec.steps': 'give exactly one of steps, epochs',
    });
    // The coordinator's refusal of a batch larger than the data names spec.batchSize.
    const server = placeErrors(
      [
        { path: 'spec.batchSize', message: '5000 is more than the 600 training examples' },
        { path: 'spec.hidden', message: 'softmax has no hidden layer' },
      ],
      shown,
    );
    assert.deepEqual(Object.fromEntries(server.byField), {
      'spec.batchSize': '5000 is more than the 600 training examples',
    });
    assert.deepEqual(server.general, ['spec.hidden: softmax has no hidden layer']);
  });

  test('hidden takes one width or a list of widths, [128, 64]', () => {
    const hidden = gradientField('spec.hidden');
    assert.equal(hidden.kind, 'integer');
    assert.equal(hidden.orList, true);
    assert.equal(limitWords(hidden), 'integer, 1 to 4,096, or a list of 1 to 8 · optional');
    const mlp = { ...initialValues(gradient), 'spec.model': 'mlp' };
    const specOf = (typed: string) => {
      const checked = checkForm(fields, gradient.fixed, { ...mlp, 'spec.hidden': typed });
      return checked.ok ? (checked.body.spec as { hidden: unknown }).hidden : checked.errors;
    };
    assert.equal(specOf('64'), 64);
    assert.deepEqual(specOf('[128, 64]'), [128, 64]);
    assert.deepEqual(specOf(' [ 256,128 , 2^5 ] '), [256, 128, 32]);
    const unreadable = specOf('[128, x]') as Array<{ path: string; message: string }>;
    assert.deepEqual(
      unreadable.map((e) => e.path),
      ['spec.hidden'],
    );
    assert.match(unreadable[0]!.message, /^enter a number, or a list like /);
    const errors = specOf('[128, 0]') as Array<{ path: string; message: string }>;
    const shown = fields.filter((f) => isShown(f, mlp));
    assert.deepEqual(Object.fromEntries(placeErrors(errors, shown).byField), {
      'spec.hidden': 'item 2: hidden must be >= 1',
    });
  });
});
