// Words for the submit form that a schema cannot give: each workload type's title and summary,
// each field's label and help, and the values a new form starts with. A field without a hint
// still gets an input, labelled with its name, so a new estimator works before it gets words.

export interface FieldHint {
  label?: string;
  help?: string;
  /** What the input holds when the form opens (an example, not a default). */
  initial?: string;
}

export interface EstimatorHint {
  title: string;
  summary: string;
  fields: Record<string, FieldHint>;
}

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
