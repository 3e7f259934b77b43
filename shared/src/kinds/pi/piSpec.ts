// The `pi` estimator's spec, unit task and result, as schemas: the single source of truth for
// what a researcher may submit and what a volunteer may return.
import { z } from 'zod';
import { seedSchema } from '../specParts';

/** Hits fit a u32 accumulator only while a unit holds at most 2^31 samples. */
export const PI_MAX_SAMPLES_PER_UNIT = 2 ** 31;
export const PI_MIN_SAMPLES_PER_UNIT = 2 ** 10;
/** About a second of work on a laptop GPU, a few on SwiftShader or the CPU fallback. */
export const PI_DEFAULT_SAMPLES_PER_UNIT = 2 ** 24;
/** 2^50 samples: far beyond any useful precision, and keeps every index a safe integer. */
export const PI_MAX_SAMPLES = 2 ** 50;
export const PI_MAX_UNITS = 100_000;

export const piSpecSchema = z
  .object({
    estimator: z.literal('pi'),
    samples: z
      .number()
      .int('samples must be an integer')
      .min(1, 'samples must be >= 1')
      .max(PI_MAX_SAMPLES, `samples must be <= 2^50`),
    seed: seedSchema,
    samplesPerUnit: z
      .number()
      .int()
      .min(PI_MIN_SAMPLES_PER_UNIT, `samplesPerUnit must be >= ${PI_MIN_SAMPLES_PER_UNIT}`)
      .max(PI_MAX_SAMPLES_PER_UNIT, `samplesPerUnit must be <= 2^31`)
      .refine((n) => n % 2 === 0, 'samplesPerUnit must be even (samples are drawn in pairs)')
      .default(PI_DEFAULT_SAMPLES_PER_UNIT),
  })
  .strict()
  .refine((spec) => Math.ceil(spec.samples / spec.samplesPerUnit) <= PI_MAX_UNITS, {
    message: `samples / samplesPerUnit must give at most ${PI_MAX_UNITS} units: raise samplesPerUnit`,
    path: ['samplesPerUnit'],
  });
export type PiSpec = z.infer<typeof piSpecSchema>;

/** One unit: the global sample range [start, start + count) of the workload's stream. */
export const piTaskSchema = z
  .object({
    seed: seedSchema,
    start: z.number().int().min(0).max(PI_MAX_SAMPLES),
    count: z.number().int().min(1).max(PI_MAX_SAMPLES_PER_UNIT),
  })
  .strict()
  .refine((task) => task.start % 2 === 0, 'start must be even');
export type PiTask = z.infer<typeof piTaskSchema>;

export const piResultSchema = z
  .object({
    hits: z.number().int().min(0).max(PI_MAX_SAMPLES_PER_UNIT),
    samples: z.number().int().min(1).max(PI_MAX_SAMPLES_PER_UNIT),
  })
  .strict();
export type PiResult = z.infer<typeof piResultSchema>;

export const piAggregateSchema = z
  .object({
    hits: z.number().int().min(0),
    samples: z.number().int().min(0),
    units: z.number().int().min(0),
  })
  .strict();
export type PiAggregate = z.infer<typeof piAggregateSchema>;

export interface PiEstimate {
  estimate: number;
  stderr: number;
  ci95: [number, number];
  samples: number;
}
