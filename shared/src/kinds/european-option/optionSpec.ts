// The `european-option` estimator's spec, unit task, result and aggregate, as schemas: what a
// researcher may submit and what a volunteer may return. The caps are what make the
// fixed-point kernel exact: with them every per-sample payoff fits 72 bits and every unit's
// sums fit the kernel's 4 + 6 accumulator words (see optionReference.ts for the arithmetic).
import { z } from 'zod';
import { decimalStringSchema, seedSchema } from '../specParts';

/** Per year, continuously compounded: covers every rate seen in practice, negative ones too. */
export const OPTION_RATE_RANGE = [-0.25, 0.25] as const;
/** Per square root of a year: 100%, beyond which a lognormal price is a poor model anyway. */
export const OPTION_MAX_VOLATILITY = 1;
/** Years. With the volatility cap, sigma sqrt(T) <= sqrt(10), so S_T / S0 < 2^40 always. */
export const OPTION_MAX_MATURITY = 10;
/** strike / spot within [1/1000, 1000]: the strike is carried as a 50-bit fixed-point ratio. */
export const OPTION_MONEYNESS_RANGE = [0.001, 1000] as const;

/** The kernel's sums fit 4 and 6 u32 words while a unit holds at most 2^31 samples. */
export const OPTION_MAX_SAMPLES_PER_UNIT = 2 ** 31;
export const OPTION_MIN_SAMPLES_PER_UNIT = 2 ** 10;
/** About a second on a laptop GPU, a few on the CPU fallback (see npm run bench). */
export const OPTION_DEFAULT_SAMPLES_PER_UNIT = 2 ** 22;
/**
 * 2^40 samples: the fixed-point bias (below 2e-11 * spot, see optionReference.ts) stays under
 * a tenth of the standard error up to this count for any option whose payoff's standard
 * deviation exceeds 2e-4 * spot.
 */
export const OPTION_MAX_SAMPLES = 2 ** 40;
export const OPTION_MAX_UNITS = 100_000;

export const OPTION_TYPES = ['call', 'put'] as const;
export type OptionType = (typeof OPTION_TYPES)[number];

const [minRate, maxRate] = OPTION_RATE_RANGE;
const [minMoneyness, maxMoneyness] = OPTION_MONEYNESS_RANGE;

export const optionParamsSchema = z
  .object({
    spot: z.number().positive('spot must be > 0'),
    strike: z.number().positive('strike must be > 0'),
    rate: z
      .number()
      .min(minRate, `rate must be >= ${minRate} (per year, continuously compounded)`)
      .max(maxRate, `rate must be <= ${maxRate} (per year, continuously compounded)`),
    volatility: z
      .number()
      .positive('volatility must be > 0')
      .max(OPTION_MAX_VOLATILITY, `volatility must be <= ${OPTION_MAX_VOLATILITY} (per year)`),
    maturity: z
      .number()
      .positive('maturity must be > 0')
      .max(OPTION_MAX_MATURITY, `maturity must be <= ${OPTION_MAX_MATURITY} (years)`),
    type: z.enum(OPTION_TYPES, { message: 'type must be "call" or "put"' }),
  })
  .strict()
  .refine((p) => p.strike / p.spot >= minMoneyness && p.strike / p.spot <= maxMoneyness, {
    message: `strike / spot must lie in [${minMoneyness}, ${maxMoneyness}]`,
    path: ['strike'],
  });
export type OptionParams = z.infer<typeof optionParamsSchema>;

export const optionSpecSchema = z
  .object({
    estimator: z.literal('european-option'),
    params: optionParamsSchema,
    samples: z
      .number()
      .int('samples must be an integer')
      .min(1, 'samples must be >= 1')
      .max(OPTION_MAX_SAMPLES, 'samples must be <= 2^40'),
    seed: seedSchema,
    samplesPerUnit: z
      .number()
      .int('samplesPerUnit must be an integer')
      .min(OPTION_MIN_SAMPLES_PER_UNIT, `samplesPerUnit must be >= ${OPTION_MIN_SAMPLES_PER_UNIT}`)
      .max(OPTION_MAX_SAMPLES_PER_UNIT, 'samplesPerUnit must be <= 2^31')
      .refine((n) => n % 2 === 0, 'samplesPerUnit must be even (samples are drawn in pairs)')
      .default(OPTION_DEFAULT_SAMPLES_PER_UNIT),
  })
  .strict()
  .refine((spec) => Math.ceil(spec.samples / spec.samplesPerUnit) <= OPTION_MAX_UNITS, {
    message: `samples / samplesPerUnit must give at most ${OPTION_MAX_UNITS} units: raise samplesPerUnit`,
    path: ['samplesPerUnit'],
  });
export type OptionSpec = z.infer<typeof optionSpecSchema>;

/** One unit: the global sample range [start, start + count) of the workload's stream. */
export const optionTaskSchema = z
  .object({
    seed: seedSchema,
    start: z.number().int().min(0).max(OPTION_MAX_SAMPLES),
    count: z.number().int().min(1).max(OPTION_MAX_SAMPLES_PER_UNIT),
    params: optionParamsSchema,
  })
  .strict()
  .refine((task) => task.start % 2 === 0, { message: 'start must be even', path: ['start'] });
export type OptionTask = z.infer<typeof optionTaskSchema>;

/**
 * A non-negative integer as its canonical decimal digits (no sign, no leading zero), so that
 * equal numbers are equal strings and replicas compare with ===. 70 digits hold 2^232, past
 * the largest aggregate (2^40 samples of squares below 2^160).
 */
export const decimalSchema = decimalStringSchema(70);

/**
 * Sums of the per-sample payoffs p (an integer in units of spot / 2^40) over the unit: JSON
 * numbers stop being exact at 2^53, these reach 2^111 and 2^191, hence decimal strings.
 * `params` echoes the task's option so the aggregate (and finalize) know the spot and discount
 * without the spec; a result for another option is refused as implausible.
 */
export const optionResultSchema = z
  .object({
    samples: z.number().int().min(1).max(OPTION_MAX_SAMPLES_PER_UNIT),
    sum: decimalSchema,
    sumSquares: decimalSchema,
    params: optionParamsSchema,
  })
  .strict();
export type OptionResult = z.infer<typeof optionResultSchema>;

export const optionAggregateSchema = z
  .object({
    samples: z.number().int().min(0),
    sum: decimalSchema,
    sumSquares: decimalSchema,
    units: z.number().int().min(0),
    /** The option every folded result priced; null until the first one. */
    params: optionParamsSchema.nullable(),
  })
  .strict();
export type OptionAggregate = z.infer<typeof optionAggregateSchema>;

export interface OptionEstimate {
  estimate: number;
  stderr: number;
  ci95: [number, number];
  samples: number;
}
