// The `ising-2d` estimator's spec, unit task, result and aggregate, as schemas: what a
// researcher may submit, what a volunteer is leased and what it may return. One unit is one
// Markov chain, so every cap on a unit is a cap on one chain.
import { z } from 'zod';
import { seedSchema } from '../specParts';

/**
 * Each GPU thread updates the 4 sites of one colour in an 8-column strip of one row (one
 * Philox block, 4 words), so the lattice side must be a multiple of 8.
 */
export const ISING_TILE = 8;
export const ISING_MIN_SIZE = ISING_TILE;
/** 512² sites: |E| <= 2·L² = 2^19 keeps every per-sweep sum far inside an i32. */
export const ISING_MAX_SIZE = 512;
/**
 * Highest temperature accepted: exp(-4/T)·2^32 stays below 2^32 with a wide margin (the u32
 * acceptance threshold), and at T = 100 the lattice is already a coin toss per site.
 */
export const ISING_MAX_TEMPERATURE = 100;
/**
 * Sweeps (burn-in + measured) in one chain. Two dispatches per sweep on a GPU, so this bounds
 * a unit's dispatch count (32769) and its output buffer (2 words per measured sweep).
 */
export const ISING_MAX_SWEEPS_PER_CHAIN = 2 ** 14;
/**
 * Spin-update attempts in one chain, size² · (burnIn + sweeps): 2^25 (33.5M) is 3-5 s on the
 * TypeScript fallback (one laptop core, ~7-10M/s), well under a second on a real GPU, and
 * 10-30 s on SwiftShader (WebGPU on the CPU, test machines only). It also keeps every
 * per-chain sum a safe integer: with N measured sweeps, N·L² <= 2^25 and L² <= 2^18, so
 * Σ M² <= L²·(N·L²) <= 2^43 and Σ E² <= 4·L²·(N·L²) <= 2^45.
 */
export const ISING_MAX_FLIPS_PER_CHAIN = 2 ** 25;
export const ISING_MIN_CHAINS = 2;
/** Chains are units; the aggregate is constant-size, so this only bounds the unit table. */
export const ISING_MAX_CHAINS = 10_000;

const sizeSchema = z
  .number()
  .int('size must be an integer')
  .min(ISING_MIN_SIZE, `size must be >= ${ISING_MIN_SIZE}`)
  .max(ISING_MAX_SIZE, `size must be <= ${ISING_MAX_SIZE}`)
  .multipleOf(
    ISING_TILE,
    `size must be a multiple of ${ISING_TILE} (the kernel updates 8-column strips)`,
  );

const temperatureSchema = z
  .number()
  .gt(0, 'temperature must be > 0')
  .max(ISING_MAX_TEMPERATURE, `temperature must be <= ${ISING_MAX_TEMPERATURE}`);

const sweepsSchema = z
  .number()
  .int('sweeps must be an integer')
  .min(1, 'sweeps must be >= 1')
  .max(ISING_MAX_SWEEPS_PER_CHAIN, `sweeps must be <= ${ISING_MAX_SWEEPS_PER_CHAIN}`);

const burnInSchema = z
  .number()
  .int('burnIn must be an integer')
  .min(0, 'burnIn must be >= 0')
  .max(ISING_MAX_SWEEPS_PER_CHAIN, `burnIn must be <= ${ISING_MAX_SWEEPS_PER_CHAIN}`);

/** Why one chain of this shape is too long for one unit, or null. */
function chainTooLong(chain: { size: number; sweeps: number; burnIn: number }): string | null {
  const total = chain.burnIn + chain.sweeps;
  if (total > ISING_MAX_SWEEPS_PER_CHAIN) {
    return `burnIn + sweeps must be <= ${ISING_MAX_SWEEPS_PER_CHAIN} (one chain is one unit)`;
  }
  if (chain.size * chain.size * total > ISING_MAX_FLIPS_PER_CHAIN) {
    return (
      `size² × (burnIn + sweeps) must be <= 2^25 spin updates (one chain is one unit), got ` +
      `${chain.size}² × ${total}: lower sweeps or burnIn, or use more chains`
    );
  }
  return null;
}

/** The chain's shape, in a spec's params and in every task. */
const chainShape = {
  size: sizeSchema,
  temperature: temperatureSchema,
  sweeps: sweepsSchema,
  burnIn: burnInSchema,
};

function refuseLongChains(chain: Parameters<typeof chainTooLong>[0], ctx: z.RefinementCtx): void {
  const why = chainTooLong(chain);
  if (why) ctx.addIssue({ code: 'custom', message: why, path: ['sweeps'] });
}

export const isingParamsSchema = z.object(chainShape).strict().superRefine(refuseLongChains);
export type IsingParams = z.infer<typeof isingParamsSchema>;

export const isingSpecSchema = z
  .object({
    estimator: z.literal('ising-2d'),
    params: isingParamsSchema,
    chains: z
      .number()
      .int('chains must be an integer')
      .min(ISING_MIN_CHAINS, `chains must be >= ${ISING_MIN_CHAINS} (a stderr needs two chains)`)
      .max(ISING_MAX_CHAINS, `chains must be <= ${ISING_MAX_CHAINS}`),
    seed: seedSchema,
  })
  .strict();
export type IsingSpec = z.infer<typeof isingSpecSchema>;

const u32Schema = z.number().int().min(0).max(0xffffffff);

/**
 * One unit: chain `chain` of the workload. The acceptance thresholds are computed once, by the
 * coordinator, in float64 (taskFor) and travel as integers, so every device draws the same
 * line between accept and reject.
 */
export const isingTaskSchema = z
  .object({
    seed: seedSchema,
    chain: z
      .number()
      .int()
      .min(0)
      .max(ISING_MAX_CHAINS - 1),
    ...chainShape,
    /** floor(exp(-4/T)·2^32): a flip raising E by 4 is accepted when a u32 draw is below it. */
    threshold4: u32Schema,
    /** floor(exp(-8/T)·2^32), the same for a rise of 8. */
    threshold8: u32Schema,
  })
  .strict()
  .superRefine(refuseLongChains);
export type IsingTask = z.infer<typeof isingTaskSchema>;

const sumSchema = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const nonNegativeSumSchema = sumSchema.min(0);

/**
 * One chain's exact integer sums over its measured sweeps (M and E of the whole lattice after
 * each sweep). The caps keep each below 2^53 (see ISING_MAX_FLIPS_PER_CHAIN), so plain JSON
 * numbers carry them exactly. The chain's identity is echoed so a reply for another chain or
 * another shape is caught before quorum.
 */
export const isingResultSchema = z
  .object({
    chain: z
      .number()
      .int()
      .min(0)
      .max(ISING_MAX_CHAINS - 1),
    size: sizeSchema,
    temperature: temperatureSchema,
    sweeps: sweepsSchema,
    /** Σ |M| */
    sumAbsM: nonNegativeSumSchema,
    /** Σ M² */
    sumM2: nonNegativeSumSchema,
    /** Σ E */
    sumE: sumSchema,
    /** Σ E² */
    sumE2: nonNegativeSumSchema,
  })
  .strict();
export type IsingResult = z.infer<typeof isingResultSchema>;

/** A non-negative or negative integer of any size, as its decimal digits (BigInt's toString). */
const bigIntegerSchema = z.string().regex(/^-?\d+$/, 'expected a decimal integer');

/** Σ x_c and Σ x_c² over the chains folded so far, exact. */
export const chainMomentsSchema = z
  .object({ sum: bigIntegerSchema, sumOfSquares: bigIntegerSchema })
  .strict();
export type ChainMomentsJson = z.infer<typeof chainMomentsSchema>;

/**
 * The running answer: exact across-chain moments of one integer per chain and quantity, so the
 * aggregate is the same whatever order chains arrive in, and constant in size. The chain
 * shape (size, temperature, sweeps) is null until the first chain is folded.
 */
export const isingAggregateSchema = z
  .object({
    chains: z.number().int().min(0),
    size: sizeSchema.nullable(),
    temperature: temperatureSchema.nullable(),
    sweeps: sweepsSchema.nullable(),
    /** x_c = Σ_t |M_t| */
    absM: chainMomentsSchema,
    /** x_c = Σ_t E_t */
    energy: chainMomentsSchema,
    /** x_c = N·Σ M² − (Σ |M|)²: N² times the chain's variance of |M| */
    varAbsM: chainMomentsSchema,
    /** x_c = N·Σ E² − (Σ E)²: N² times the chain's variance of E */
    varEnergy: chainMomentsSchema,
  })
  .strict();
export type IsingAggregate = z.infer<typeof isingAggregateSchema>;

/** A mean across chains and its standard error; null until enough chains are in. */
export interface AcrossChains {
  /** null before the first chain. */
  mean: number | null;
  /** null before the second chain: one chain gives no spread. */
  stderr: number | null;
}

export interface IsingEstimate {
  /** ⟨|M|⟩ / L² */
  magnetization: AcrossChains;
  /** ⟨E⟩ / L², J = 1 */
  energy: AcrossChains;
  /** L²(⟨m²⟩ − ⟨|m|⟩²)/T per chain, m = M/L² */
  susceptibility: AcrossChains;
  /** L²(⟨e²⟩ − ⟨e⟩²)/T² per chain, e = E/L² */
  specificHeat: AcrossChains;
  chains: number;
  sweepsPerChain: number | null;
  size: number | null;
  temperature: number | null;
}
