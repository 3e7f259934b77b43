// The train / held-out example sets a gradient workload's spec names, loaded once and shared:
// MNIST (the fixed 8,000 / 2,000 split of datasets/mnist.ts) and synthetic blobs (made from
// the spec's blobs options: one set of train + test examples, the first `train` for training
// and the rest held out, so both are samples of the same clusters).
import { makeBlobs } from '@tessera/shared/kinds/gradient/syntheticBlobs';
import {
  sliceExamples,
  type ExampleSet,
  type FeatureDtype,
} from '@tessera/shared/kinds/gradient/exampleSet';
import type { ModelConfig } from '@tessera/shared/kinds/gradient/gradientModel';
import type { GradientSpec } from '@tessera/shared/kinds/gradient/gradientSpec';
import { blobsOptionsSchema } from '@tessera/shared/kinds/gradient/gradientSpec';
import { MNIST_CLASSES, MNIST_INPUT_SIZE, loadMnist } from '../../datasets/mnist';

export interface TrainTestSets {
  train: ExampleSet;
  test: ExampleSet;
}

/** Blob sets kept at most (each is a few MB at the sizes the spec allows in tests). */
const MAX_BLOB_SETS = 8;

export function blobsOptionsOf(spec: GradientSpec) {
  return blobsOptionsSchema.parse(spec.blobs ?? {});
}

export function modelConfigOf(spec: GradientSpec): ModelConfig {
  const [inputSize, classes] =
    spec.dataset === 'mnist'
      ? [MNIST_INPUT_SIZE, MNIST_CLASSES]
      : [blobsOptionsOf(spec).inputSize, blobsOptionsOf(spec).classes];
  return spec.model === 'mlp'
    ? { model: 'mlp', inputSize, hidden: spec.hidden!, classes }
    : { model: 'softmax', inputSize, classes };
}

/** How the spec's dataset stores features (and so what its partitions weigh), unbuilt. */
export function featureDtypeOf(spec: GradientSpec): FeatureDtype {
  return spec.dataset === 'mnist' ? 'uint8' : 'float32';
}

/** Training-set size without building the set (to split a spec into steps at submission). */
export function trainCountOf(spec: GradientSpec): number {
  return spec.dataset === 'mnist' ? 8_000 : blobsOptionsOf(spec).train;
}

export class GradientDatasets {
  private mnist: Promise<TrainTestSets> | null = null;
  private readonly blobs = new Map<string, TrainTestSets>();
  private readonly loaded = new Map<string, TrainTestSets>();

  private key(spec: GradientSpec): string {
    return spec.dataset === 'mnist' ? 'mnist' : `blobs:${JSON.stringify(blobsOptionsOf(spec))}`;
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
      this.blobs.set(key, sets);
      if (this.blobs.size > MAX_BLOB_SETS) {
        const oldest = this.blobs.keys().next().value!;
        this.blobs.delete(oldest);
        this.loaded.delete(oldest);
      }
    }
    this.loaded.set(key, sets);
    return sets;
  }

  /** The sets of a spec already loaded, for synchronous use inside a store transaction. */
  loadedFor(spec: GradientSpec): TrainTestSets {
    const sets = this.loaded.get(this.key(spec));
    if (!sets) throw new Error(`dataset ${this.key(spec)} used before it was loaded`);
    return sets;
  }
}
