// The submit form with a researcher's own data, without a browser: the gradient form's dataset
// as a choice of the built-ins and the uploads, an mlp's hidden widths typed as "128, 64", the
// inference form, and what the dataset and model selects list from the coordinator's lists.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WorkloadView } from '@tessera/shared';
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import { checkForm, isNumberListText, parseNumberList } from '../../src/submit/formValues';
import { limitWords } from '../../src/submit/limitWords';
import {
  choiceList,
  datasetLabel,
  modelShapeOf,
  trainedModels,
} from '../../src/submit/submitChoices';
import { WORKLOAD_FORMS, allFields, initialValues } from '../../src/submit/workloadForms';

const gradient = WORKLOAD_FORMS.find((f) => f.id === 'gradient/train')!;
const inference = WORKLOAD_FORMS.find((f) => f.id === 'inference/predict')!;
const ID_A = 'ds-0123456789abcdef01234567';
const ID_B = 'ds-89abcdef0123456789abcdef';

function dataset(id: string, over: Partial<DatasetInfo> = {}): DatasetInfo {
  return {
    id,
    name: 'clusters.csv',
    rows: 240,
    features: 5,
    classes: 3,
    labeled: true,
    bytes: 5_040,
    createdAt: 1,
    ...over,
  };
}

function workload(id: string, over: Partial<WorkloadView>, spec: object): WorkloadView {
  return {
    id,
    name: `training ${id}`,
    kind: 'gradient',
    status: 'completed',
    progress: { unitsTotal: 4, unitsValidated: 4, unitsInFlight: 0, unitsFailed: 0, fraction: 1 },
    spec: spec as WorkloadView['spec'],
    redundancy: { quorum: 2, maxReplicas: 10, maxErrors: 8, adaptive: false },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    completedAt: '2026-01-01T00:01:00.000Z',
    failureReason: null,
    ...over,
  };
}

const trainSpec = {
  model: 'mlp',
  hidden: [12, 6],
  dataset: ID_A,
  data: { rows: 240, features: 5, classes: 3, train: 192, test: 48 },
  optimizer: { name: 'adam', lr: 0.05 },
  batchSize: 48,
  steps: 16,
  shards: 2,
  seed: 5,
};

describe('the gradient form with uploaded data', () => {
  const fields = allFields(gradient);
  const valuesWith = (extra: Record<string, string>) => ({ ...initialValues(gradient), ...extra });

  test('dataset is a choice of the built-ins that also takes an upload’s id', () => {
    const field = fields.find((f) => f.key === 'spec.dataset')!;
    assert.equal(field.kind, 'choice');
    assert.equal(field.open, true);
    assert.deepEqual(field.options, ['mnist', 'blobs']);
    assert.equal(limitWords(field), 'mnist, blobs or one of yours · required');
    const checked = checkForm(fields, gradient.fixed, valuesWith({ 'spec.dataset': ID_A }));
    assert.ok(checked.ok, JSON.stringify(checked));
    assert.equal((checked.body.spec as { dataset: string }).dataset, ID_A);
    const wrong = checkForm(fields, gradient.fixed, valuesWith({ 'spec.dataset': 'ds-nope' }));
    assert.equal(wrong.ok, false);
    assert.deepEqual(!wrong.ok && wrong.errors.map((e) => e.path), ['spec.dataset']);
  });

  test('what the coordinator fills in (spec.data) is not on the form', () => {
    assert.deepEqual(
      fields.filter((f) => f.key.startsWith('spec.data.')).map((f) => f.key),
      [],
    );
  });

  test('hidden widths may be typed 128, 64 without brackets; 4,096 stays one number', () => {
    assert.equal(isNumberListText('128, 64'), true);
    assert.equal(isNumberListText('[128]'), true);
    assert.equal(isNumberListText('64'), false);
    assert.equal(isNumberListText('4,096'), false);
    assert.deepEqual(parseNumberList('128, 64'), [128, 64]);
    assert.equal(parseNumberList('128, x'), null);
    const hiddenOf = (typed: string) => {
      const values = valuesWith({ 'spec.model': 'mlp', 'spec.hidden': typed });
      const checked = checkForm(fields, gradient.fixed, values);
      return checked.ok ? (checked.body.spec as { hidden: unknown }).hidden : checked.errors;
    };
    assert.deepEqual(hiddenOf('128, 64'), [128, 64]);
    assert.deepEqual(hiddenOf(' 12,6 '), [12, 6]);
    assert.equal(hiddenOf('4,096'), 4096);
    assert.equal(hiddenOf('64'), 64);
  });
});

describe('the inference form', () => {
  const fields = allFields(inference);

  test('names a model and a dataset, then rows per unit; tolerance is advanced', () => {
    assert.equal(inference.kind, 'inference');
    assert.deepEqual(
      inference.specFields.map((f) => [f.key, f.kind, f.required]),
      [
        ['spec.workload', 'string', true],
        ['spec.dataset', 'string', true],
        ['spec.rowsPerUnit', 'integer', false],
      ],
    );
    assert.deepEqual(
      inference.advancedFields.map((f) => f.key),
      ['spec.tolerance'],
    );
    assert.equal(inference.hints['spec.workload']?.choices, 'trained-models');
    assert.equal(inference.hints['spec.dataset']?.choices, 'datasets-for-model');
  });

  test('a chosen model and dataset make the body the coordinator takes', () => {
    const values = {
      ...initialValues(inference),
      'spec.workload': 'abc123',
      'spec.dataset': ID_B,
      'spec.rowsPerUnit': '30',
    };
    const checked = checkForm(fields, inference.fixed, values);
    assert.ok(checked.ok, JSON.stringify(checked));
    assert.deepEqual(checked.body, {
      kind: 'inference',
      spec: { workload: 'abc123', dataset: ID_B, rowsPerUnit: 30 },
    });
    const empty = checkForm(fields, inference.fixed, initialValues(inference));
    assert.equal(empty.ok, false);
    assert.deepEqual(!empty.ok && empty.errors.map((e) => [e.path, e.message]), [
      ['spec.workload', 'required'],
      ['spec.dataset', 'required'],
    ]);
  });
});

describe('what the selects list', () => {
  const labeled = dataset(ID_A);
  const unlabeled = dataset(ID_B, { name: 'new-rows.csv', labeled: false, classes: 0, rows: 90 });
  const narrow = dataset('ds-ffffffffffffffffffffffff', { name: 'narrow.csv', features: 2 });
  const model = workload('m1', {}, trainSpec);
  const running = workload('m2', { status: 'running' }, trainSpec);
  const pi = workload('p1', { kind: 'montecarlo' }, { estimator: 'pi', samples: 1, seed: 1 });

  test('training lists the labeled uploads only, and says why when none is', () => {
    const data = { datasets: [labeled, unlabeled], workloads: [] };
    const list = choiceList('labeled-datasets', data, {});
    assert.deepEqual(
      list.items.map((c) => c.value),
      [ID_A],
    );
    assert.equal(list.items[0]!.label, datasetLabel(labeled));
    assert.equal(
      datasetLabel(labeled),
      `clusters.csv · 240 rows × 5 features, 3 classes · ${ID_A}`,
    );
    assert.match(datasetLabel(unlabeled), /90 rows × 5 features, unlabeled · /);
    assert.equal(list.note, null);
    const none = choiceList('labeled-datasets', { datasets: [unlabeled], workloads: [] }, {});
    assert.match(none.note ?? '', /no label column/);
    assert.match(
      choiceList('labeled-datasets', { datasets: null, workloads: null }, {}).note!,
      /Loading/,
    );
  });

  test('models are completed gradient workloads, said with their shape and data', () => {
    assert.deepEqual(
      trainedModels([pi, running, model]).map((w) => w.id),
      ['m1'],
    );
    const list = choiceList('trained-models', { datasets: [labeled], workloads: [pi, model] }, {});
    assert.deepEqual(
      list.items.map((c) => c.label),
      ['training m1 (m1) · mlp 5 → 12 → 6 → 3, trained on clusters.csv'],
    );
    const none = choiceList('trained-models', { datasets: [], workloads: [running] }, {});
    assert.match(none.note ?? '', /No trained model yet/);
  });

  test('datasets for a model: those of another width are listed but not choosable', () => {
    const data = { datasets: [labeled, unlabeled, narrow], workloads: [model] };
    const before = choiceList('datasets-for-model', data, {});
    assert.ok(before.items.every((c) => !c.disabled));
    const chosen = choiceList('datasets-for-model', data, { 'spec.workload': 'm1' });
    assert.deepEqual(
      chosen.items.map((c) => [c.value, c.disabled ?? false]),
      [
        [ID_A, false],
        [ID_B, false],
        ['ds-ffffffffffffffffffffffff', true],
      ],
    );
    assert.match(chosen.items[2]!.label, /the model takes 5$/);
    const onlyNarrow = choiceList(
      'datasets-for-model',
      { datasets: [narrow], workloads: [model] },
      { 'spec.workload': 'm1' },
    );
    assert.match(onlyNarrow.note ?? '', /5 feature columns/);
  });

  test('a model’s inputs and classes come from its dataset', () => {
    assert.deepEqual(modelShapeOf({ ...trainSpec, model: 'softmax', hidden: undefined } as never), {
      features: 5,
      classes: 3,
      layers: 'softmax 5 → 3',
    });
    assert.deepEqual(modelShapeOf({ ...trainSpec, dataset: 'mnist', data: undefined } as never), {
      features: 784,
      classes: 10,
      layers: 'mlp 784 → 12 → 6 → 10',
    });
    assert.deepEqual(
      modelShapeOf({
        ...trainSpec,
        dataset: 'blobs',
        data: undefined,
        blobs: { inputSize: 8 },
      } as never),
      { features: 8, classes: 4, layers: 'mlp 8 → 12 → 6 → 4' },
    );
  });
});
