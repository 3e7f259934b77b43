// Black–Scholes prices in float64: the closed form the european-option Monte Carlo is checked
// against. The normal CDF comes from erfc, computed to ~1e-15 relative: a series for erf with
// positive terms only below x = 2 (erfc = 1 - erf loses at most ~5e-14 there), Laplace's
// continued fraction above, and exp(-x^2) split so that x^2's rounding does not get amplified
// in the far tail.
import type { OptionParams } from './optionSpec';

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
const SQRT1_2 = Math.SQRT1_2;

/** exp(-x^2) without the error that rounding x^2 brings at large x (Cody's split). */
function expMinusSquare(x: number): number {
  // s has at most 26 significant bits, so s * s is exact; the remainder term is small.
  const s = Math.round(x * 67108864) / 67108864;
  return Math.exp(-s * s) * Math.exp(-(x - s) * (x + s));
}

/** erf(x) for 0 <= x < 2: (2/sqrt(pi)) exp(-x^2) sum_n (2x^2)^n x / (1 * 3 * ... * (2n + 1)). */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
}

/** erfc(x) for x >= 2: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))). */
function erfcContinuedFraction(x: number): number {
  // Evaluated from the tail backwards; 120 levels converge to full precision for x >= 2.
  let tail = x;
  for (let k = 120; k >= 1; k--) tail = x + k / 2 / tail;
  return (ONE_OVER_SQRT_PI * expMinusSquare(x)) / tail;
}

/** The complementary error function, for any finite x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  return x < 2 ? 1 - erfSeries(x) : erfcContinuedFraction(x);
}

/** The standard normal CDF, accurate in relative terms far into the lower tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * SQRT1_2);
}

/** The Black–Scholes price of a European call or put (no dividends). */
export function blackScholesPrice(params: OptionParams): number {
  const { spot, strike, rate, volatility, maturity, type } = params;
  const volSqrtT = volatility * Math.sqrt(maturity);
  const d1 =
    (Math.log(spot / strike) + (rate + (volatility * volatility) / 2) * maturity) / volSqrtT;
  const d2 = d1 - volSqrtT;
  const discountedStrike = strike * Math.exp(-rate * maturity);
  return type === 'call'
    ? spot * normalCdf(d1) - discountedStrike * normalCdf(d2)
    : discountedStrike * normalCdf(-d2) - spot * normalCdf(-d1);
}
