// Words for the submit form that a schema cannot give: each workload type's title and summary,
// each field's label and help, the values a new form starts with, which fields only matter
// after some choice (rules the schema checks in code), which are advanced, which list what the
// coordinator holds (uploaded datasets, trained models) and which the coordinator fills in
// itself. A field without a hint still gets an input, labelled with its name, so a new estimator
// works before it gets words.
import type { ShownWhen } from './formFields';

/**
 * What a field's select lists besides the schema's own options, read from the coordinator
 * (submitChoices.ts): labeled uploads (what training takes), completed gradient workloads (the
 * models inference runs), or uploads with the chosen model's feature count.
 */
export const CHOICE_SOURCES = ['labeled-datasets', 'trained-models', 'datasets-for-model'] as const;
export type ChoiceSource = (typeof CHOICE_SOURCES)[number];

export interface FieldHint {
  label?: string;
  help?: string;
  /** What the input holds when the form opens (an example, not a default). */
  initial?: string;
  /** Shown (and sent) only after this choice, e.g. hidden units only for the mlp model. */
  shownWhen?: ShownWhen;
  /** Kept in the form's folded "advanced" section. */
  advanced?: boolean;
  /** A string that is program text: edited in the code editor, sent exactly as typed. */
  code?: boolean;
  /** What an empty input shows, where the schema's default is not what an empty field means. */
  placeholder?: string;
  /** A select of what the coordinator holds, besides the schema's own options. */
  choices?: ChoiceSource;
}

export interface EstimatorHint {
  title: string;
  summary: string;
  /** The folded section of advanced fields. Default "Training details (advanced)". */
  advancedTitle?: string;
  fields: Record<string, FieldHint>;
  /** Spec fields the coordinator fills in at submission: never on the form (keys inside `spec`). */
  omitted?: string[];
}

/** The kernel a new "Your WGSL kernel" form opens with: pi, as a kernel. */
export const STARTER_KERNEL = `// One sample: a random point (x, y) in the unit square. It returns
// 4 inside the quarter circle, else 0: the mean estimates pi.
fn sample() -> array<f32, 1> {
  let x = uniform();
  let y = uniform();
  return array<f32, 1>(select(0.0, 4.0, x * x + y * y < 1.0));
}
`;

const SEED: FieldHint = {
  label: 'Seed',
  help: 'Same seed, same spec: the same answer, bit for bit, whoever computes it.',
  initial: '1',
};

/** Keyed by estimator name; field keys are paths inside `spec` (`params.spot`). */
export const ESTIMATOR_HINTS: Record<string, EstimatorHint> = {
  pi: {
    title: 'π from random points',
    summary:
      'Throws random points at the unit square; the share landing inside the quarter circle estimates π/4. A good first workload.',
    fields: {
      samples: { label: 'Samples', help: 'Random points in all.', initial: '2^28' },
      seed: SEED,
      samplesPerUnit: {
        label: 'Samples per unit',
        help: 'Points in one work unit; 2^24 is about a second on a laptop GPU. Must be even.',
      },
    },
  },
  'european-option': {
    title: 'European option price',
    summary:
      'Prices a European call or put by simulating the asset under geometric Brownian motion; the Black–Scholes formula is the check.',
    fields: {
      'params.spot': { label: 'Spot price', help: 'Price of the asset today.', initial: '100' },
      'params.strike': { label: 'Strike price', initial: '105' },
      'params.rate': {
        label: 'Risk-free rate',
        help: 'Per year, continuous: 0.05 is 5%.',
        initial: '0.05',
      },
      'params.volatility': { label: 'Volatility', help: 'Per year: 0.2 is 20%.', initial: '0.2' },
      'params.maturity': { label: 'Maturity', help: 'In years.', initial: '1' },
      'params.type': { label: 'Option type', initial: 'call' },
      samples: { label: 'Samples', help: 'Simulated paths in all.', initial: '2^26' },
      seed: SEED,
      samplesPerUnit: { label: 'Samples per unit', help: 'Paths in one work unit.' },
    },
  },
  wgsl: {
    title: 'Your WGSL kernel',
    summary:
      'Your own Monte Carlo kernel in WGSL: fn sample() returns K numbers per sample, and the result is the mean of each over all samples, with its standard error and 95% interval. Units run only in volunteers’ tabs that have WebGPU.',
    fields: {
      source: {
        label: 'Kernel (WGSL)',
        help: 'Define fn sample() -> array<f32, K>, K = the number of outputs. uniform() returns the next random f32 in [0, 1), random_u32() the next 32 random bits: the same sample gets the same numbers on every device. A kernel that does not compile is refused with the line it points at.',
        initial: STARTER_KERNEL,
        code: true,
      },
      outputs: {
        label: 'Outputs',
        help: 'A name for each value sample() returns, in order, comma-separated (e.g. hit, steps).',
        initial: 'pi',
      },
      samples: { label: 'Samples', help: 'Calls of sample() in all.', initial: '2^24' },
      seed: SEED,
      samplesPerUnit: {
        label: 'Samples per unit',
        help: 'Calls of sample() in one work unit. Empty: the coordinator times a trial run of the kernel and picks about 2 seconds of GPU work.',
        placeholder: 'sized by a trial run',
      },
      tolerance: {
        label: 'Agreement tolerance',
        help: 'Relative difference within which two volunteers’ results for a unit agree. Empty: exact for a kernel built only from +, −, × and comparisons (they round the same on every GPU), else 0.001, since exp, log, sqrt and the like may differ in their last bits from one GPU to another.',
        advanced: true,
      },
    },
    advancedTitle: 'Kernel details (advanced)',
  },
  'ising-2d': {
    title: '2D Ising model',
    summary:
      'Metropolis Markov chains on an L×L lattice of spins (J = 1); reports magnetization and energy per site. Onsager’s solution is the check.',
    fields: {
      'params.size': { label: 'Lattice side L', help: 'A multiple of 8.', initial: '32' },
      'params.temperature': {
        label: 'Temperature T',
        help: 'The phase transition is at T ≈ 2.269.',
        initial: '2.269',
      },
      'params.sweeps': {
        label: 'Measured sweeps',
        help: 'Per chain, after burn-in.',
        initial: '2000',
      },
      'params.burnIn': {
        label: 'Burn-in sweeps',
        help: 'Per chain, not measured.',
        initial: '500',
      },
      chains: {
        label: 'Chains',
        help: 'Independent chains; one chain is one work unit.',
        initial: '16',
      },
      seed: SEED,
    },
  },
};

const BLOBS: ShownWhen = { key: 'spec.dataset', values: ['blobs'] };

/** The gradient training form; its defaults are examples/mnist-softmax.json. */
export const GRADIENT_HINT: EstimatorHint = {
  title: 'Train a classifier',
  summary:
    'Data-parallel training: each step’s batch is split into shards, volunteers compute the gradient of one shard each, and the coordinator combines them and steps the optimizer. Reports loss per step and held-out accuracy; the trained parameters download as float32.',
  fields: {
    model: {
      label: 'Model',
      help: 'softmax: one linear layer (multinomial logistic regression). mlp: hidden ReLU layers, then a linear one.',
      initial: 'softmax',
    },
    hidden: {
      label: 'Hidden units',
      help: 'Width of the MLP’s hidden layer: one number, or several like 128, 64 for several layers (input side first).',
      initial: '64',
      shownWhen: { key: 'spec.model', values: ['mlp'] },
    },
    dataset: {
      label: 'Dataset',
      help: 'mnist: 28×28 handwritten digits, 8,000 to train on and 2,000 held out. blobs: synthetic clusters of any size. Or a labeled CSV of yours (upload it under Your data): standardised per column, a fifth held out.',
      initial: 'mnist',
      choices: 'labeled-datasets',
    },
    'blobs.train': { label: 'Training examples', shownWhen: BLOBS },
    'blobs.test': { label: 'Held-out examples', shownWhen: BLOBS },
    'blobs.inputSize': { label: 'Features', shownWhen: BLOBS },
    'blobs.classes': { label: 'Classes', shownWhen: BLOBS },
    'blobs.separation': {
      label: 'Separation',
      help: 'Scale of the cluster centres (default 2); larger is easier.',
      shownWhen: BLOBS,
    },
    'blobs.spread': {
      label: 'Spread',
      help: 'Noise around each centre (default 1).',
      shownWhen: BLOBS,
    },
    'blobs.seed': { label: 'Data seed', help: 'Makes the synthetic data.', shownWhen: BLOBS },
    'optimizer.name': {
      label: 'Optimizer',
      help: 'adam scales each parameter’s step by its gradient history; sgd is plain gradient descent, with optional momentum.',
      initial: 'adam',
    },
    'optimizer.lr': { label: 'Learning rate', initial: '0.01' },
    'optimizer.momentum': { label: 'Momentum', help: 'Often 0.9; empty for none.' },
    'optimizer.beta1': { label: 'Adam β1', advanced: true },
    'optimizer.beta2': { label: 'Adam β2', advanced: true },
    'optimizer.epsilon': { label: 'Adam ε', advanced: true },
    'optimizer.weightDecay': { label: 'Weight decay', advanced: true },
    batchSize: {
      label: 'Batch size',
      help: 'Examples per step, split across the shards.',
      initial: '100',
    },
    epochs: {
      label: 'Epochs',
      help: 'Passes over the training set. Give epochs or steps, not both.',
      initial: '2',
    },
    steps: { label: 'Steps', help: 'Optimizer steps in all, instead of epochs.' },
    shards: {
      label: 'Shards',
      help: 'Work units per step: each computes the gradient of one slice of the batch.',
      initial: '2',
    },
    seed: {
      label: 'Seed',
      help: 'Initial parameters and batch order: same seed, same spec, same training run.',
      initial: '20261127',
    },
    aggregation: {
      label: 'Aggregation',
      help: 'How the shards’ gradients combine: the mean, or the coordinate-wise median or trimmed mean, which outvote poisoned shards.',
      initial: 'mean',
    },
    trim: {
      label: 'Trim',
      help: 'Fraction cut at each end of every coordinate.',
      initial: '0.2',
      shownWhen: { key: 'spec.aggregation', values: ['trimmed-mean'] },
    },
    tolerance: {
      label: 'Agreement tolerance',
      help: 'Relative L2 distance within which two volunteers’ gradients for a shard agree.',
      advanced: true,
    },
    evalEvery: {
      label: 'Evaluate every',
      help: 'Steps between held-out accuracy evaluations (and after the last step).',
      advanced: true,
    },
    maxStaleness: {
      label: 'Max staleness',
      help: '0: each step waits for all its shards. k > 0: volunteers may run up to k steps ahead on older parameters (a stale gradient counts less), so one slow tab does not stall the rest.',
      advanced: true,
    },
  },
  omitted: ['data'],
};

/** The inference form: a completed training workload's model over an uploaded dataset. */
export const INFERENCE_HINT: EstimatorHint = {
  title: 'Predict with a trained model',
  summary:
    'Runs a completed gradient workload’s final model over every row of an uploaded dataset: each unit is a slice of rows, predicted in volunteers’ browsers and checked between them. Gives each row’s class and class probabilities (CSV), and the accuracy where the dataset has labels.',
  advancedTitle: 'Agreement (advanced)',
  fields: {
    workload: {
      label: 'Model',
      help: 'A completed gradient workload: its final parameters are the model, pinned by their hash.',
      choices: 'trained-models',
    },
    dataset: {
      label: 'Dataset',
      help: 'An upload with as many feature columns as the model takes; a label column, if any, gives the accuracy.',
      choices: 'datasets-for-model',
    },
    rowsPerUnit: {
      label: 'Rows per unit',
      help: 'Rows one work unit predicts. Empty: the coordinator sizes units by the model’s work per row.',
      placeholder: 'sized by the model',
    },
    tolerance: {
      label: 'Agreement tolerance',
      help: 'Largest difference between two volunteers’ probabilities for a row (absolute); their classes must match exactly.',
      advanced: true,
    },
  },
};

/** Fields every workload has, outside its spec. */
export const COMMON_HINTS: Record<string, FieldHint> = {
  name: { label: 'Name', help: 'Shown on the dashboard. Optional.' },
  'redundancy.quorum': {
    label: 'Quorum',
    help: 'Identical results needed before a unit counts.',
  },
  'redundancy.maxReplicas': {
    label: 'Max replicas',
    help: 'Copies of a unit that may be computed when results disagree.',
  },
  'redundancy.maxErrors': {
    label: 'Max errors',
    help: 'Timed-out or failed copies a unit may use before it fails.',
  },
  'redundancy.adaptive': {
    label: 'Adaptive replication',
    help: 'Volunteers with a long clean record may run units alone, with spot checks.',
  },
};
