// The `ising-2d` estimator: the 2D Ising model (J = 1, no field) on an L×L periodic lattice,
// sampled by Metropolis with checkerboard updates. Each unit is one independent chain, keyed by
// (workload seed, chain index), so the answer depends only on the spec, never on who computed
// which chain or when. A chain returns exact integer sums of |M|, M², E and E²; the aggregate
// keeps exact across-chain moments, and finalize reports per-site means with stderrs from the
// spread between chains (hence chains >= 2).
import { splitUint53 } from '../../rng/philox';
import type { EstimatorDefinition, GpuDispatch, GpuPlan } from '../estimator';
import { MC_WORKGROUP_SIZE } from '../estimator';
import { acrossChains, addChain, NO_CHAINS, removeChain } from './chainMoments';
import { ISING_MODE, isingWgsl } from './ising.wgsl';
import { acceptanceThreshold, ISING_STREAM, runIsingReference } from './isingReference';
import {
  ISING_TILE,
  isingAggregateSchema,
  isingResultSchema,
  isingSpecSchema,
  isingTaskSchema,
  type IsingAggregate,
  type IsingEstimate,
  type IsingResult,
  type IsingSpec,
  type IsingTask,
} from './isingSpec';

/**
 * Site updates per submit, roughly: 2^22 is a few milliseconds on a GPU and about a second on
 * SwiftShader, so the throttle (afterDispatch, once per submit) still gets regular turns.
 */
const SITES_PER_SUBMIT = 2 ** 22;
const MIN_DISPATCHES_PER_SUBMIT = 8;
/** 512 params slots of 256 bytes: a 128 KiB uniform buffer, one writeBuffer per submit. */
export const ISING_MAX_DISPATCHES_PER_SUBMIT = 512;

export function isingDispatchesPerSubmit(size: number): number {
  const perDispatch = (size * size) / 2;
  return Math.min(
    ISING_MAX_DISPATCHES_PER_SUBMIT,
    Math.max(MIN_DISPATCHES_PER_SUBMIT, Math.floor(SITES_PER_SUBMIT / perDispatch)),
  );
}

/**
 * Invocations a dispatch aims for. 32 workgroups keep a GPU dispatch short (at these lattice
 * sizes a GPU chain is bound by its dispatch count, not the kernel) and fill SwiftShader's
 * threads. Past that, each invocation takes several strips: on SwiftShader the per-invocation
 * cost dominates, and 4-16 strips per invocation did 2-3x more flips per CPU-second at
 * L = 128-256 (bench, 2-core machine). Real GPUs were not measured here.
 */
const TARGET_INVOCATIONS = 2048;
export const ISING_MAX_STRIPS_PER_INVOCATION = 16;

export function isingStripsPerInvocation(size: number): number {
  const strips = (size * size) / ISING_TILE;
  return Math.min(
    ISING_MAX_STRIPS_PER_INVOCATION,
    Math.max(1, Math.floor(strips / TARGET_INVOCATIONS)),
  );
}

/**
 * Two dispatches per sweep (one per colour) and one at the end. The first half-sweep of sweep
 * k also measures the lattice it starts from, which is sweep k − 1's result; the last
 * dispatch only measures. So measurement slot t (t = 0 .. sweeps − 1) holds M and E after
 * sweep burnIn + t, with no extra pass per sweep.
 */
export function isingGpuPlan(
  task: IsingTask,
  stripsPerInvocation = isingStripsPerInvocation(task.size),
): GpuPlan {
  const [seedLo, seedHi] = splitUint53(task.seed);
  const { size, burnIn, sweeps } = task;
  const strips = (size * size) / ISING_TILE;
  const workgroups = Math.ceil(strips / stripsPerInvocation / MC_WORKGROUP_SIZE);
  const dispatch = (halfSweep: number, mode: number, slot: number): GpuDispatch => ({
    params: Uint32Array.of(
      seedLo,
      seedHi,
      task.chain,
      halfSweep,
      size,
      task.threshold4,
      task.threshold8,
      mode,
      slot,
      stripsPerInvocation,
      0,
      0,
    ),
    workgroups,
  });
  const total = burnIn + sweeps;
  const dispatches: GpuDispatch[] = [];
  for (let k = 0; k < total; k++) {
    const measured = k - 1 >= burnIn;
    const mode = ISING_MODE.update | (measured ? ISING_MODE.measure : 0);
    dispatches.push(dispatch(2 * k, mode, measured ? k - 1 - burnIn : 0));
    dispatches.push(dispatch(2 * k + 1, ISING_MODE.update, 0));
  }
  dispatches.push(dispatch(2 * total, ISING_MODE.measure, sweeps - 1));
  return {
    code: isingWgsl,
    entryPoint: 'main',
    outputWords: 2 * sweeps,
    dispatches,
    storageWords: [(size * size) / 32],
    dispatchesPerSubmit: isingDispatchesPerSubmit(size),
  };
}

/** Sums the per-sweep M and E (i32 bit patterns) the kernel left in its measurement slots. */
export function decodeIsingOutput(task: IsingTask, output: Uint32Array): IsingResult {
  let sumAbsM = 0;
  let sumM2 = 0;
  let sumE = 0;
  let sumE2 = 0;
  for (let t = 0; t < task.sweeps; t++) {
    const m = (output[2 * t] ?? 0) | 0;
    const e = (output[2 * t + 1] ?? 0) | 0;
    sumAbsM += Math.abs(m);
    sumM2 += m * m;
    sumE += e;
    sumE2 += e * e;
  }
  return {
    chain: task.chain,
    size: task.size,
    temperature: task.temperature,
    sweeps: task.sweeps,
    sumAbsM,
    sumM2,
    sumE,
    sumE2,
  };
}

/** The integer each aggregate quantity gets from one chain (see isingAggregateSchema). */
function chainValues(result: IsingResult) {
  const n = BigInt(result.sweeps);
  const absM = BigInt(result.sumAbsM);
  const energy = BigInt(result.sumE);
  return {
    absM,
    energy,
    varAbsM: n * BigInt(result.sumM2) - absM * absM,
    varEnergy: n * BigInt(result.sumE2) - energy * energy,
  };
}

/** Why these sums cannot come from any lattice of this shape, or null. */
function isingImplausibility(task: IsingTask, result: IsingResult): string | null {
  for (const field of ['chain', 'size', 'temperature', 'sweeps'] as const) {
    if (result[field] !== task[field]) {
      return `result is for ${field} ${result[field]}, the unit has ${task[field]}`;
    }
  }
  const n = BigInt(task.sweeps);
  const area = BigInt(task.size * task.size);
  const absM = BigInt(result.sumAbsM);
  const m2 = BigInt(result.sumM2);
  const e = BigInt(result.sumE);
  const e2 = BigInt(result.sumE2);
  // |M| <= L² and |E| <= 2L² per sweep; M² <= L²·|M|; Cauchy–Schwarz: N·Σx² >= (Σx)².
  if (absM > n * area) return 'Σ|M| exceeds sweeps × L²';
  if (m2 > area * absM) return 'Σ M² exceeds L² × Σ|M|';
  if (n * m2 < absM * absM) return 'Σ M² is below (Σ|M|)² / sweeps';
  if (e > 2n * n * area || e < -2n * n * area) return '|Σ E| exceeds 2 × sweeps × L²';
  if (e2 > 4n * n * area * area) return 'Σ E² exceeds 4 × sweeps × L⁴';
  if (n * e2 < e * e) return 'Σ E² is below (Σ E)² / sweeps';
  // L is a multiple of 8, so M = L² − 2·(down spins) is even; E = 2·(unsatisfied bonds) − 2L²,
  // and every row and column is a cycle with an even number of unsatisfied bonds: 4 | E.
  if (absM % 2n !== 0n || m2 % 4n !== 0n) return 'M must be even after every sweep';
  if (e % 4n !== 0n || e2 % 16n !== 0n) return 'E must be a multiple of 4 after every sweep';
  return null;
}

export const isingEstimator: EstimatorDefinition<
  IsingSpec,
  IsingTask,
  IsingResult,
  IsingAggregate,
  IsingEstimate
> = {
  estimator: 'ising-2d',
  stream: ISING_STREAM,
  specSchema: isingSpecSchema,
  taskSchema: isingTaskSchema,
  resultSchema: isingResultSchema,
  aggregateSchema: isingAggregateSchema,

  unitCount(spec) {
    return spec.chains;
  },
  taskFor(spec, unitIndex) {
    const { size, temperature, sweeps, burnIn } = spec.params;
    return {
      seed: spec.seed,
      chain: unitIndex,
      size,
      temperature,
      sweeps,
      burnIn,
      threshold4: acceptanceThreshold(4, temperature),
      threshold8: acceptanceThreshold(8, temperature),
    };
  },
  workOf(task) {
    return task.size * task.size * (task.burnIn + task.sweeps);
  },
  runReference: runIsingReference,
  gpuPlan(task) {
    return isingGpuPlan(task);
  },
  decodeGpuOutput: decodeIsingOutput,
  implausibility: isingImplausibility,
  sameResult(a, b) {
    return (
      a.chain === b.chain &&
      a.size === b.size &&
      a.temperature === b.temperature &&
      a.sweeps === b.sweeps &&
      a.sumAbsM === b.sumAbsM &&
      a.sumM2 === b.sumM2 &&
      a.sumE === b.sumE &&
      a.sumE2 === b.sumE2
    );
  },
  emptyAggregate() {
    return {
      chains: 0,
      size: null,
      temperature: null,
      sweeps: null,
      absM: NO_CHAINS,
      energy: NO_CHAINS,
      varAbsM: NO_CHAINS,
      varEnergy: NO_CHAINS,
    };
  },
  fold(aggregate, result) {
    const x = chainValues(result);
    return {
      chains: aggregate.chains + 1,
      size: result.size,
      temperature: result.temperature,
      sweeps: result.sweeps,
      absM: addChain(aggregate.absM, x.absM),
      energy: addChain(aggregate.energy, x.energy),
      varAbsM: addChain(aggregate.varAbsM, x.varAbsM),
      varEnergy: addChain(aggregate.varEnergy, x.varEnergy),
    };
  },
  unfold(aggregate, result) {
    const x = chainValues(result);
    const chains = aggregate.chains - 1;
    return {
      chains,
      // With no chain left, the shape is unknown again, as in emptyAggregate().
      size: chains === 0 ? null : aggregate.size,
      temperature: chains === 0 ? null : aggregate.temperature,
      sweeps: chains === 0 ? null : aggregate.sweeps,
      absM: removeChain(aggregate.absM, x.absM),
      energy: removeChain(aggregate.energy, x.energy),
      varAbsM: removeChain(aggregate.varAbsM, x.varAbsM),
      varEnergy: removeChain(aggregate.varEnergy, x.varEnergy),
    };
  },
  finalize(aggregate) {
    const { chains, size, temperature, sweeps } = aggregate;
    const shape = { chains, sweepsPerChain: sweeps, size, temperature };
    if (size === null || temperature === null || sweeps === null) {
      const none = { mean: null, stderr: null };
      return {
        magnetization: none,
        energy: none,
        susceptibility: none,
        specificHeat: none,
        ...shape,
      };
    }
    const perSite = sweeps * size * size;
    const varianceScale = sweeps * perSite;
    return {
      magnetization: acrossChains(aggregate.absM, chains, perSite),
      energy: acrossChains(aggregate.energy, chains, perSite),
      susceptibility: acrossChains(aggregate.varAbsM, chains, varianceScale * temperature),
      specificHeat: acrossChains(
        aggregate.varEnergy,
        chains,
        varianceScale * temperature * temperature,
      ),
      ...shape,
    };
  },
};
