// The `wgsl` estimator's spec, unit task, result and aggregate, as schemas: what a researcher
// may submit (their own WGSL `fn sample() -> array<f32, K>`) and what a volunteer may return.
// The caps are what keep the kernel's fixed-point sums exact: every value is carried as
// trunc(x * 2^32) with |x| < 2^31 (below 2^63) and its square as trunc(x^2 * 2^32) (below
// 2^94), so a unit of at most 2^31 samples sums into 128-bit words without wrapping.
import { z } from 'zod';
import { decimalStringSchema, seedSchema } from '../specParts';

/** The researcher's source, in UTF-8 bytes: plenty for a kernel, small enough to store per unit. */
export const WGSL_MAX_SOURCE_BYTES = 16_384;
export const WGSL_MAX_OUTPUTS = 8;
/** An output's name: a WGSL-style identifier, so it reads the same in the source and the result. */
export const WGSL_OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;

/** 128-bit sums stay exact up to 2^34 samples; a unit is capped well below, as pi's are. */
export const WGSL_MAX_SAMPLES_PER_UNIT = 2 ** 31;
/** Four workgroups' worth: smaller units cost more in leases than they compute. */
export const WGSL_MIN_SAMPLES_PER_UNIT = 256;
/**
 * Used when the spec omits samplesPerUnit and nobody measured the kernel. The coordinator
 * normally replaces it with the kernel lab's figure from a trial run (about 2 s of GPU work).
 */
export const WGSL_DEFAULT_SAMPLES_PER_UNIT = 2 ** 20;
/** 2^50 samples: keeps every sample index a safe integer, as for the built-in estimators. */
export const WGSL_MAX_SAMPLES = 2 ** 50;
export const WGSL_MAX_UNITS = 100_000;

const utf8 = new TextEncoder();

export const wgslSourceSchema = z
  .string('source must be a string of WGSL')
  .min(1, 'source must not be empty')
  .refine(
    (source) => utf8.encode(source).length <= WGSL_MAX_SOURCE_BYTES,
    `source must be at most ${WGSL_MAX_SOURCE_BYTES} bytes of UTF-8`,
  );

export const wgslOutputsSchema = z
  .array(
    z
      .string()
      .regex(
        WGSL_OUTPUT_NAME,
        'each output name must be a letter or _ then up to 31 letters, digits or _',
      ),
  )
  .min(1, 'outputs must name at least one value')
  .max(WGSL_MAX_OUTPUTS, `outputs may name at most ${WGSL_MAX_OUTPUTS} values`)
  .refine((names) => new Set(names).size === names.length, 'output names must be unique');

export const wgslSpecSchema = z
  .object({
    estimator: z.literal('wgsl'),
    source: wgslSourceSchema,
    outputs: wgslOutputsSchema,
    samples: z
      .number()
      .int('samples must be an integer')
      .min(1, 'samples must be >= 1')
      .max(WGSL_MAX_SAMPLES, 'samples must be <= 2^50'),
    seed: seedSchema,
    samplesPerUnit: z
      .number()
      .int('samplesPerUnit must be an integer')
      .min(WGSL_MIN_SAMPLES_PER_UNIT, `samplesPerUnit must be >= ${WGSL_MIN_SAMPLES_PER_UNIT}`)
      .max(WGSL_MAX_SAMPLES_PER_UNIT, 'samplesPerUnit must be <= 2^31')
      .default(WGSL_DEFAULT_SAMPLES_PER_UNIT),
    /**
     * Relative tolerance replicas are compared within (wgslTolerance.ts). Absent: 0 (exact) for a
     * kernel of correctly rounded operations only, else 1e-3; the coordinator stores it resolved.
     */
    tolerance: z
      .number()
      .min(0, 'tolerance must be >= 0')
      .max(0.01, 'tolerance must be <= 0.01 (relative)')
      .optional(),
  })
  .strict()
  .refine((spec) => Math.ceil(spec.samples / spec.samplesPerUnit) <= WGSL_MAX_UNITS, {
    message: `samples / samplesPerUnit must give at most ${WGSL_MAX_UNITS} units: raise samplesPerUnit`,
    path: ['samplesPerUnit'],
  });
export type WgslSpec = z.infer<typeof wgslSpecSchema>;

/**
 * One unit (or one spot-check block of it): the global sample range [start, start + count) of
 * the workload's stream, with the kernel it runs. Any start: samples are not drawn in pairs.
 */
export const wgslTaskSchema = z
  .object({
    seed: seedSchema,
    start: z.number().int().min(0).max(WGSL_MAX_SAMPLES),
    count: z.number().int().min(1).max(WGSL_MAX_SAMPLES_PER_UNIT),
    source: wgslSourceSchema,
    outputs: wgslOutputsSchema,
  })
  .strict();
export type WgslTask = z.infer<typeof wgslTaskSchema>;

/**
 * Integers as canonical decimal digits (no leading zero, no "-0"), so that equal numbers are
 * equal strings and replicas compare with ===. 60 digits hold 2^199, past the largest
 * aggregate (2^50 samples of squares below 2^94).
 */
export const signedDecimalSchema = decimalStringSchema(60, true);
export const decimalSchema = decimalStringSchema(60);

/** One output's exact sums over the samples whose value was accepted. */
export const wgslOutputSumsSchema = z
  .object({
    /** Sum of trunc(x * 2^32). */
    sum: signedDecimalSchema,
    /** Sum of trunc(x^2 * 2^32). */
    sumSquares: decimalSchema,
    /** Samples whose value was NaN, infinite or |x| >= 2^31: counted here, summed nowhere. */
    rejected: z.number().int().min(0),
  })
  .strict();
export type WgslOutputSums = z.infer<typeof wgslOutputSumsSchema>;

/**
 * `names` echoes the task's outputs so the aggregate (and finalize) know them without the
 * spec; a result for another kernel's outputs is refused as implausible.
 */
export const wgslResultSchema = z
  .object({
    samples: z.number().int().min(1).max(WGSL_MAX_SAMPLES_PER_UNIT),
    names: z.array(z.string().regex(WGSL_OUTPUT_NAME)).min(1).max(WGSL_MAX_OUTPUTS),
    outputs: z.array(wgslOutputSumsSchema).min(1).max(WGSL_MAX_OUTPUTS),
  })
  .strict()
  .refine((result) => result.outputs.length === result.names.length, {
    message: 'outputs must hold one entry per name',
    path: ['outputs'],
  });
export type WgslResult = z.infer<typeof wgslResultSchema>;

/** Folded results; `names` and `outputs` are empty until the first fold. */
export const wgslAggregateSchema = z
  .object({
    samples: z.number().int().min(0),
    names: z.array(z.string().regex(WGSL_OUTPUT_NAME)).max(WGSL_MAX_OUTPUTS),
    outputs: z.array(wgslOutputSumsSchema).max(WGSL_MAX_OUTPUTS),
    units: z.number().int().min(0),
  })
  .strict();
export type WgslAggregate = z.infer<typeof wgslAggregateSchema>;

export interface WgslOutputEstimate {
  mean: number;
  stderr: number;
  ci95: [number, number];
  /** Samples whose value was NaN, infinite or |x| >= 2^31, left out of the mean. */
  rejected: number;
}

export interface WgslEstimate {
  outputs: Record<string, WgslOutputEstimate>;
  samples: number;
}
