// Every Monte Carlo estimator the platform runs. Adding one: a folder beside `pi/` and a line here.
import { z } from 'zod';
import type { AnyEstimator } from './estimator';
import { optionEstimator } from './european-option/optionEstimator';
import { optionSpecSchema } from './european-option/optionSpec';
import { isingEstimator } from './ising-2d/isingEstimator';
import { isingSpecSchema } from './ising-2d/isingSpec';
import { piEstimator } from './pi/piEstimator';
import { piSpecSchema } from './pi/piSpec';
import { wgslEstimator } from './wgsl-kernel/wgslEstimator';
import { wgslSpecSchema } from './wgsl-kernel/wgslSpec';

export const ESTIMATORS = {
  pi: piEstimator as AnyEstimator,
  'ising-2d': isingEstimator as AnyEstimator,
  'european-option': optionEstimator as AnyEstimator,
  wgsl: wgslEstimator as AnyEstimator,
} as const satisfies Record<string, AnyEstimator>;
export type EstimatorName = keyof typeof ESTIMATORS;

export const montecarloSpecSchema = z.discriminatedUnion('estimator', [
  piSpecSchema,
  isingSpecSchema,
  optionSpecSchema,
  wgslSpecSchema,
]);
export type MontecarloSpec = z.infer<typeof montecarloSpecSchema>;

export function isEstimatorName(name: string): name is EstimatorName {
  return Object.hasOwn(ESTIMATORS, name);
}

export function estimatorFor(name: string): AnyEstimator {
  if (!isEstimatorName(name)) throw new Error(`unknown estimator "${name}"`);
  return ESTIMATORS[name];
}
