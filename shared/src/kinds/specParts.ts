// Schema parts every Monte Carlo estimator's spec shares: the seed, and integers too large for a
// JSON number carried as canonical decimal strings (no sign unless negative, no leading zero, so
// equal numbers are equal strings and replicas compare with ===).
import { z } from 'zod';

export const seedSchema = z
  .number()
  .int('seed must be an integer')
  .min(0, 'seed must be >= 0')
  .max(Number.MAX_SAFE_INTEGER, 'seed must be a safe integer (< 2^53)');

/** A decimal integer of at most `digits` digits; `signed` lets it be negative. */
export function decimalStringSchema(digits: number, signed = false) {
  const pattern = new RegExp(`^(0|${signed ? '-?' : ''}[1-9][0-9]{0,${digits - 1}})$`);
  const words = signed ? 'a decimal integer' : 'a non-negative decimal integer';
  return z.string().regex(pattern, `expected ${words} (at most ${digits} digits)`);
}
