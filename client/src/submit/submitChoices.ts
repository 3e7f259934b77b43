// What the submit form's selects list besides a schema's own options, from what the coordinator
// holds: labeled uploads for training, completed gradient workloads as models for inference, and
// the uploads a chosen model can read (as many feature columns as it takes). Pure, so the rules
// are tested without a page; useCoordinatorData.ts loads the lists.
import type { WorkloadView } from '@tessera/shared';
import type { DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import {
  blobsOptionsSchema,
  hiddenLayers,
  isBuiltInDataset,
  type GradientSpec,
} from '@tessera/shared/kinds/gradient/gradientSpec';
import type { ChoiceSource } from './estimatorHints';
import type { FormValues } from './formValues';

/** The inference form's model field: the datasets listed for it follow its value. */
export const MODEL_FIELD_KEY = 'spec.workload';

/** MNIST as the coordinator serves it (server/src/datasets/mnist.ts): 28×28 pixels, 10 digits. */
const MNIST_SHAPE = { features: 784, classes: 10 } as const;

export interface Choice {
  value: string;
  label: string;
  /** Listed but not choosable, with the reason in its label (a dataset the model cannot read). */
  disabled?: boolean;
}

export interface ChoiceList {
  /** What the select's group of these choices is called, beside the schema's own options. */
  group: string;
  items: Choice[];
  /** Said under the field when there is something to know: nothing to choose yet, and why. */
  note: string | null;
}

/** What the coordinator holds, as loaded; null while a list has not come (or could not). */
export interface CoordinatorData {
  datasets: readonly DatasetInfo[] | null;
  workloads: readonly WorkloadView[] | null;
}

export interface ModelShape {
  features: number;
  classes: number;
  /** "softmax 5 → 3", "mlp 5 → 12 → 6 → 3": the layer widths from inputs to classes. */
  layers: string;
}

/** The inputs and classes of the model a gradient spec trains (as the coordinator stored it). */
export function modelShapeOf(spec: GradientSpec): ModelShape | null {
  const io = inputsAndClasses(spec);
  if (!io) return null;
  const widths = [io.features, ...hiddenLayers(spec.hidden), io.classes];
  return { ...io, layers: `${spec.model} ${widths.join(' → ')}` };
}

function inputsAndClasses(spec: GradientSpec): { features: number; classes: number } | null {
  if (spec.dataset === 'mnist') return MNIST_SHAPE;
  if (spec.dataset === 'blobs') {
    const blobs = blobsOptionsSchema.safeParse(spec.blobs ?? {});
    return blobs.success ? { features: blobs.data.inputSize, classes: blobs.data.classes } : null;
  }
  return spec.data ? { features: spec.data.features, classes: spec.data.classes } : null;
}

/** A gradient workload's spec, or null for another kind. */
function gradientSpecOf(view: WorkloadView): GradientSpec | null {
  return view.kind === 'gradient' ? (view.spec as GradientSpec) : null;
}

/** Completed gradient workloads, newest first: the models inference may run. */
export function trainedModels(workloads: readonly WorkloadView[]): WorkloadView[] {
  return workloads
    .filter((w) => w.kind === 'gradient' && w.status === 'completed')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** "clusters.csv · 240 rows × 5 features, 3 classes · ds-…": name and shape first, then the id. */
export function datasetLabel(d: DatasetInfo): string {
  const shape = `${d.rows.toLocaleString('en-US')} rows × ${d.features} features`;
  return `${d.name} · ${shape}${d.labeled ? `, ${d.classes} classes` : ', unlabeled'} · ${d.id}`;
}

/** What a dataset id names, as a person reads it: its name, or the built-in's own word. */
export function datasetName(id: string, datasets: readonly DatasetInfo[] | null): string {
  if (isBuiltInDataset(id)) return id;
  return datasets?.find((d) => d.id === id)?.name ?? id;
}

function modelLabel(view: WorkloadView, datasets: readonly DatasetInfo[] | null): string {
  const spec = gradientSpecOf(view);
  const shape = spec && modelShapeOf(spec);
  const trainedOn = spec ? `, trained on ${datasetName(spec.dataset, datasets)}` : '';
  const what = shape ? ` · ${shape.layers}` : '';
  return `${view.name} (${view.id})${what}${trainedOn}`;
}

/** The model a form's values name, when the coordinator listed it. */
function chosenModel(data: CoordinatorData, values: FormValues): ModelShape | null {
  const id = values[MODEL_FIELD_KEY] ?? '';
  const view = data.workloads?.find((w) => w.id === id);
  const spec = view && gradientSpecOf(view);
  return spec ? modelShapeOf(spec) : null;
}

const LOADING: ChoiceList = { group: '', items: [], note: 'Loading what the coordinator holds…' };

/** The choices a field of `source` lists now. */
export function choiceList(
  source: ChoiceSource,
  data: CoordinatorData,
  values: FormValues,
): ChoiceList {
  switch (source) {
    case 'labeled-datasets': {
      if (!data.datasets) return { ...LOADING, group: 'Your datasets' };
      const items = data.datasets
        .filter((d) => d.labeled)
        .map((d) => ({ value: d.id, label: datasetLabel(d) }));
      const unlabeled = data.datasets.length - items.length;
      return {
        group: 'Your datasets',
        items,
        note:
          items.length > 0
            ? null
            : unlabeled > 0
              ? 'Your uploads have no label column: training needs one.'
              : null,
      };
    }
    case 'trained-models': {
      if (!data.workloads) return { ...LOADING, group: 'Trained models' };
      const items = trainedModels(data.workloads).map((w) => ({
        value: w.id,
        label: modelLabel(w, data.datasets),
      }));
      return {
        group: 'Trained models',
        items,
        note:
          items.length > 0
            ? null
            : 'No trained model yet: a gradient workload becomes one when it completes.',
      };
    }
    case 'datasets-for-model': {
      if (!data.datasets) return { ...LOADING, group: 'Your datasets' };
      const model = chosenModel(data, values);
      const items = data.datasets.map((d) => {
        const fits = model === null || d.features === model.features;
        return fits
          ? { value: d.id, label: datasetLabel(d) }
          : {
              value: d.id,
              label: `${datasetLabel(d)}: the model takes ${model.features}`,
              disabled: true,
            };
      });
      const fitting = items.filter((c) => !c.disabled).length;
      return {
        group: 'Your datasets',
        items,
        note:
          data.datasets.length === 0
            ? 'No uploads yet: add a CSV under Your data.'
            : model && fitting === 0
              ? `None of your uploads has the ${model.features} feature columns this model takes.`
              : null,
      };
    }
  }
}
