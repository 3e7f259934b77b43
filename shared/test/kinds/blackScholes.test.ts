// The float64 Black–Scholes the european-option Monte Carlo is checked against, itself checked
// against values computed with mpmath at 200-bit precision (erfc, the normal CDF deep into the
// tail, and prices including Hull's textbook example), and against put-call parity.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { blackScholesPrice, erfc, normalCdf } from '../../src/kinds/european-option/blackScholes';
import type { OptionParams } from '../../src/kinds/european-option/optionSpec';

function assertRelative(got: number, want: number, tolerance: number, what: string): void {
  const error = want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
  assert.ok(error <= tolerance, `${what}: ${got} vs ${want} (relative error ${error})`);
}

describe('erfc and the normal CDF', () => {
  // mpmath.erfc at prec = 200, rounded to float64.
  const erfcValues: Array<[number, number]> = [
    [0, 1],
    [0.1, 0.887537083981715],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [1.5, 0.033894853524689274],
    [1.99, 0.004888586800383003],
    [2, 0.004677734981047266],
    [2.5, 0.0004069520174449589],
    [3, 2.209049699858544e-5],
    [5, 1.537459794428035e-12],
    [10, 2.088487583762545e-45],
    [20, 5.395865611607901e-176],
    [26, 5.663192408856143e-296],
  ];
  test('erfc within 1e-13 relative (6e-14 just below 2, where 1 - erf cancels)', () => {
    for (const [x, want] of erfcValues) assertRelative(erfc(x), want, 1e-13, `erfc(${x})`);
    assertRelative(erfc(-1), 2 - 0.15729920705028513, 1e-15, 'erfc(-1)');
  });

  // mpmath.ncdf at prec = 200.
  const cdfValues: Array<[number, number]> = [
    [-30, 4.906713927148187e-198],
    [-20, 2.7536241186062337e-89],
    [-10, 7.619853024160525e-24],
    [-5, 2.866515718791939e-7],
    [-3, 0.0013498980316300946],
    [-2.5, 0.006209665325776135],
    [-1.96, 0.024997895148220435],
    [-1, 0.15865525393145705],
    [-0.5, 0.3085375387259869],
    [0, 0.5],
    [0.5, 0.6914624612740131],
    [1, 0.8413447460685429],
    [1.96, 0.9750021048517795],
    [3, 0.9986501019683699],
    [8, 0.9999999999999993],
  ];
  test('normal CDF within 1e-13 relative, from -30 to 8', () => {
    for (const [x, want] of cdfValues) assertRelative(normalCdf(x), want, 1e-13, `Phi(${x})`);
  });

  test('normal CDF is symmetric: Phi(x) + Phi(-x) = 1', () => {
    for (let x = -6; x <= 6; x += 0.37) {
      assert.ok(Math.abs(normalCdf(x) + normalCdf(-x) - 1) < 1e-15, `x = ${x}`);
    }
  });
});

describe('Black–Scholes prices', () => {
  const option = (
    spot: number,
    strike: number,
    rate: number,
    volatility: number,
    maturity: number,
    type: 'call' | 'put',
  ): OptionParams => ({ spot, strike, rate, volatility, maturity, type });

  // mpmath at prec = 200; the first two are Hull's example (Options, Futures and Other
  // Derivatives, Example 15.6: 4.76 and 0.81).
  const prices: Array<[OptionParams, number]> = [
    [option(42, 40, 0.1, 0.2, 0.5, 'call'), 4.759422392871533],
    [option(42, 40, 0.1, 0.2, 0.5, 'put'), 0.8085993729000936],
    [option(100, 100, 0.05, 0.2, 1, 'call'), 10.450583572185568],
    [option(100, 100, 0.05, 0.2, 1, 'put'), 5.573526022256968],
    [option(100, 150, 0.03, 0.3, 2, 'call'), 5.832291518350457],
    [option(100, 60, -0.01, 0.5, 0.25, 'put'), 0.14957957515600132],
    [option(100, 100, 0, 1, 10, 'call'), 88.6153701993342],
  ];
  for (const [params, want] of prices) {
    test(`${params.type} S=${params.spot} K=${params.strike} r=${params.rate} sigma=${params.volatility} T=${params.maturity}`, () => {
      assertRelative(blackScholesPrice(params), want, 1e-12, 'price');
    });
  }

  test('put-call parity holds to rounding: C - P = S - K exp(-rT)', () => {
    for (const [params] of prices) {
      const call = blackScholesPrice({ ...params, type: 'call' });
      const put = blackScholesPrice({ ...params, type: 'put' });
      const forward = params.spot - params.strike * Math.exp(-params.rate * params.maturity);
      assert.ok(Math.abs(call - put - forward) < 1e-12 * params.spot, JSON.stringify(params));
    }
  });
});
