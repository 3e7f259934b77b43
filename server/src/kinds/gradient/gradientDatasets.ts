// The train / held-out example sets a gradient workload's spec names, loaded once and shared:
// a researcher's upload (datasets/uploadedSets.ts: standardised, a fixed fifth held out), MNIST
// (the fixed 8,000 / 2,000 split of datasets/mnist.ts) and synthetic blobs (made from
// the spec's blobs options: one set of train + test examples, the first `train` for training
// and the rest held out, so both are samples of the same clusters).
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

export function modelConfigOf(spec: GradientSpec): ModelConfig {
  const [inputSize, classes] =
    spec.dataset === 'mnist'
      ? [MNIST_INPUT_SIZE, MNIST_CLASSES]
      : spec.dataset === 'blobs'
        ? [blobsOptionsOf(spec).inputSize, blobsOptionsOf(spec).classes]
        : [uploadedOf(spec).features, uploadedOf(spec).classes];
  return spec.model === 'mlp'
    ? { model: 'mlp', inputSize, hidden: hiddenLayers(spec.hidden), classes }
    : { model: 'softmax', inputSize, classes };
}

/** How the spec's dataset stores features (and so what its partitions weigh), unbuilt. */
export function featureDtypeOf(spec: GradientSpec): FeatureDtype {
  return spec.dataset === 'mnist' ? 'uint8' : 'float32';
}

/** Training-set size without building the set (to split a spec into steps at submission). */
export function trainCountOf(spec: GradientSpec): number {
  if (spec.dataset === 'mnist') return 8_000;
  return spec.dataset === 'blobs' ? blobsOptionsOf(spec).train : uploadedOf(spec).train;
}

export class GradientDatasets {
  private mnist: Promise<TrainTestSets> | null = null;
  private readonly made = new Map<string, TrainTestSets>();
  private readonly loaded = new Map<string, TrainTestSets>();

  constructor(private readonly uploads: Datasets) {}

  private key(spec: GradientSpec): string {
    if (spec.dataset === 'blobs') return `blobs:${JSON.stringify(blobsOptionsOf(spec))}`;
    return spec.dataset;
  }

  /** Loads (once) the sets of this spec. */
  async load(spec: GradientSpec): Promise<TrainTestSets> {
    const key = this.key(spec);
    const have = this.loaded.get(key);
    if (have) return have;
    let sets: TrainTestSets;
    if (spec.dataset === 'mnist') {
      this.mnist ??= loadMnist().then((split) => ({ train: split.train, test: split.test }));
      sets = await this.mnist;
    } else if (!isBuiltInDataset(spec.dataset)) {
      // An upload: standardised with its own statistics, the fixed fifth held out.
      const meta = await this.uploads.require(spec.dataset);
      sets = trainTestOf(await this.uploads.content(spec.dataset), meta);
      this.remember(key, sets);
    } else {
      const o = blobsOptionsOf(spec);
      const common = {
        inputSize: o.inputSize,
        classes: o.classes,
        ...(o.separation !== undefined ? { separation: o.separation } : {}),
        ...(o.spread !== undefined ? { spread: o.spread } : {}),
      };
      const all = makeBlobs({ ...common, count: o.train + o.test, seed: o.seed });
      sets = {
        train: sliceExamples(all, 0, o.train),
        test: sliceExamples(all, o.train, o.train + o.test),
      };
      this.remember(key, sets);
    }
    this.loaded.set(key, sets);
    return sets;
  }

  /** Keeps made sets (blobs, uploads) for reuse, dropping the oldest past MAX_MADE_SETS. */
  private remember(key: string, sets: TrainTestSets): void {
    this.made.set(key, sets);
    if (this.made.size > MAX_MADE_SETS) {
      const oldest = this.made.keys().next().value!;
      this.made.delete(oldest);
      this.loaded.delete(oldest);
    }
  }

  /** The sets of a spec already loaded, for synchronous use inside a store transaction. */
  loadedFor(spec: GradientSpec): TrainTestSets {
    const sets = this.loaded.get(this.key(spec));
    if (!sets) throw new Error(`dataset ${this.key(spec)} used before it was loaded`);
    return sets;
  }
}
