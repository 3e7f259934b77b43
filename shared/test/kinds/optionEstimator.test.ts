// The european-option estimator without a GPU: the spec's refusals, the integer constants a
// unit derives from its floats, the split into units, the reference kernel's exactness
// (halves add up to the whole, sample-wise put-call parity in integers, golden values) and
// accuracy (each payoff and the whole pipeline against float64 on the same random words),
// the implausibility check, fold/unfold/finalize, and the statistics: prices within 5 standard
// errors of Black–Scholes over a grid, and put-call parity within its combined error.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalPair } from '../../src/fixedpoint/boxMuller';
import { blackScholesPrice } from '../../src/kinds/european-option/blackScholes';
import {
  exactDyadic,
  isqrtBig,
  optionConstants,
} from '../../src/kinds/european-option/optionConstants';
import { optionEstimator } from '../../src/kinds/european-option/optionEstimator';
import { optionPayoff } from '../../src/kinds/european-option/optionPayoff';
import { OPTION_STREAM, runOptionReference } from '../../src/kinds/european-option/optionReference';
import {
  OPTION_MAX_SAMPLES,
  OPTION_MAX_UNITS,
  optionSpecSchema,
  optionTaskSchema,
  type OptionParams,
  type OptionResult,
  type OptionTask,
} from '../../src/kinds/european-option/optionSpec';
import { philox4x32 } from '../../src/rng/philox';

const ATM: OptionParams = {
  spot: 100,
  strike: 100,
  rate: 0.05,
  volatility: 0.2,
  maturity: 1,
  type: 'call',
};

function specIssues(input: unknown): string[] {
  const parsed = optionSpecSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** Every unit of a spec through the reference, folded in unit order, then finalized. */
function price(params: OptionParams, samples: number, seed: number, samplesPerUnit: number) {
  const spec = optionSpecSchema.parse({
    estimator: 'european-option',
    params,
    samples,
    seed,
    samplesPerUnit,
  });
  let aggregate = optionEstimator.emptyAggregate();
  for (let unit = 0; unit < optionEstimator.unitCount(spec); unit++) {
    const task = optionEstimator.taskFor(spec, unit);
    const result = runOptionReference(task);
    assert.equal(optionEstimator.implausibility(task, result), null, `unit ${unit}`);
    aggregate = optionEstimator.fold(aggregate, result);
  }
  return { aggregate, ...optionEstimator.finalize(aggregate) };
}

describe('european-option spec schema', () => {
  const valid = {
    estimator: 'european-option',
    params: ATM,
    samples: 1_000_000,
    seed: 42,
    samplesPerUnit: 4096,
  };

  test('accepts a valid spec and fills in the default samplesPerUnit', () => {
    assert.deepEqual(specIssues(valid), []);
    const { samplesPerUnit: _, ...withoutPerUnit } = valid;
    assert.ok(optionSpecSchema.parse(withoutPerUnit).samplesPerUnit >= 1024);
  });

  test('accepts the edges of every range', () => {
    const edges: Array<Partial<OptionParams>> = [
      { rate: -0.25 },
      { rate: 0.25 },
      { volatility: 1 },
      { maturity: 10 },
      { volatility: 1e-9, maturity: 1e-9 },
      { strike: 0.1, spot: 100 },
      { strike: 100_000, spot: 100 },
      { type: 'put' },
    ];
    for (const edge of edges) {
      assert.deepEqual(
        specIssues({ ...valid, params: { ...ATM, ...edge } }),
        [],
        JSON.stringify(edge),
      );
    }
  });

  const withParam = (field: string, value: unknown) => ({
    ...valid,
    params: { ...ATM, [field]: value },
  });
  const refusals: Array<[what: string, input: object, field: string]> = [
    ['a zero spot', withParam('spot', 0), 'spot'],
    ['a negative spot', withParam('spot', -100), 'spot'],
    ['a zero strike', withParam('strike', 0), 'strike'],
    ['a strike given as a string', withParam('strike', '100'), 'strike'],
    ['a strike 1001 times the spot', withParam('strike', 100_100), 'strike'],
    ['a strike under a thousandth of the spot', withParam('strike', 0.09), 'strike'],
    ['a rate above 0.25', withParam('rate', 0.26), 'rate'],
    ['a rate below -0.25', withParam('rate', -0.3), 'rate'],
    ['a zero volatility', withParam('volatility', 0), 'volatility'],
    ['a volatility above 1', withParam('volatility', 1.5), 'volatility'],
    ['a zero maturity', withParam('maturity', 0), 'maturity'],
    ['a maturity above 10 years', withParam('maturity', 10.5), 'maturity'],
    ['an unknown type', withParam('type', 'straddle'), 'type'],
    ['an unknown parameter', withParam('dividend', 0.02), 'dividend'],
    ['missing params', { ...valid, params: undefined }, 'params'],
    ['a missing maturity', { ...valid, params: { ...ATM, maturity: undefined } }, 'maturity'],
    ['zero samples', { ...valid, samples: 0 }, 'samples'],
    ['samples above 2^40', { ...valid, samples: OPTION_MAX_SAMPLES + 2 }, 'samples'],
    ['an odd samplesPerUnit', { ...valid, samplesPerUnit: 4097 }, 'samplesPerUnit'],
    [
      'more units than the cap',
      { ...valid, samples: (OPTION_MAX_UNITS + 1) * 4096 },
      'samplesPerUnit',
    ],
    ['a negative seed', { ...valid, seed: -1 }, 'seed'],
    ['an unknown top-level field', { ...valid, sampels: 5 }, 'sampels'],
  ];
  for (const [what, input, field] of refusals) {
    test(`refuses ${what}, naming ${field}`, () => {
      const issues = specIssues(input);
      assert.ok(issues.length > 0, 'the spec was accepted');
      for (const issue of issues) assert.match(issue, new RegExp(`\\b${field}\\b`), issue);
    });
  }
});

describe('european-option constants from the float parameters', () => {
  test('exactDyadic returns the exact binary value, subnormals and negatives included', () => {
    for (const x of [1, 0.1, -0.25, 1 / 3, 5e-324, 2 ** -1074 * 12345, 1e300, -7.5]) {
      const { m, e } = exactDyadic(x);
      // Two steps, since 2^-1074 itself is below the smallest double.
      const back = Number(m) * 2 ** Math.ceil(e / 2) * 2 ** Math.floor(e / 2);
      assert.equal(back, x, `${x}`);
    }
    assert.throws(() => exactDyadic(Number.POSITIVE_INFINITY));
  });

  test('isqrtBig is floor(sqrt(n))', () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 99n, 100n, 2n ** 140n - 1n, 2n ** 140n, 3n ** 90n]) {
      const r = isqrtBig(n);
      assert.ok(r * r <= n && (r + 1n) * (r + 1n) > n, `${n}`);
    }
  });

  const grid: OptionParams[] = [
    ATM,
    { spot: 101.37, strike: 97.5, rate: 0.031, volatility: 0.237, maturity: 0.75, type: 'put' },
    { spot: 1, strike: 1000, rate: -0.25, volatility: 1, maturity: 10, type: 'call' },
    { spot: 3e-7, strike: 1e-9, rate: 0.25, volatility: 1e-3, maturity: 1 / 365, type: 'put' },
  ];
  for (const params of grid) {
    test(`drift, volatility and strike within their rounding of float64: ${JSON.stringify(params)}`, () => {
      const k = optionConstants(params);
      const drift = ((k.driftHi | 0) * 2 ** 32 + k.driftLo) * 2 ** -40;
      const wantDrift = (params.rate - params.volatility ** 2 / 2) * params.maturity * Math.LOG2E;
      assert.ok(Math.abs(drift - wantDrift) <= 2 ** -41 + 1e-15 * Math.abs(wantDrift));
      const vol = k.volMantissa * 2 ** -(k.volShift + 12);
      const wantVol = params.volatility * Math.sqrt(params.maturity) * Math.LOG2E;
      assert.ok(k.volMantissa >= 2 ** 31 && k.volMantissa < 2 ** 32);
      assert.ok(Math.abs(vol / wantVol - 1) <= 2 ** -32 + 1e-15);
      const strike = (k.strikeHi * 2 ** 32 + k.strikeLo) * 2 ** -40;
      const wantStrike = params.strike / params.spot;
      assert.ok(Math.abs(strike - wantStrike) <= 2 ** -41 + 1e-15 * wantStrike);
      assert.equal(k.put, params.type === 'put');
    });
  }

  test('a volatility too small to move y gets a zero mantissa rather than a wrong shift', () => {
    const k = optionConstants({ ...ATM, volatility: 1e-15, maturity: 1e-9 });
    assert.deepEqual([k.volMantissa, k.volShift], [0, 63]);
  });
});

describe('european-option split into units', () => {
  const shapes: Array<[samples: number, samplesPerUnit: number]> = [
    [1, 1024],
    [1025, 1024],
    [10_000_001, 1_000_000],
    [2 ** 31 + 3, 2 ** 31],
  ];
  for (const [samples, samplesPerUnit] of shapes) {
    test(`${samples} samples in units of ${samplesPerUnit} cover [0, ${samples}) once`, () => {
      const spec = optionSpecSchema.parse({
        estimator: 'european-option',
        params: ATM,
        samples,
        seed: 9,
        samplesPerUnit,
      });
      const units = optionEstimator.unitCount(spec);
      let next = 0;
      for (let unit = 0; unit < units; unit++) {
        const task = optionEstimator.taskFor(spec, unit);
        assert.deepEqual(optionTaskSchema.parse(task), task);
        assert.equal(task.start, next);
        assert.deepEqual(task.params, ATM);
        next = task.start + task.count;
      }
      assert.equal(next, samples);
    });
  }
});

describe('european-option reference kernel: exact integers', () => {
  test('a unit split in two halves gives the sums of the whole, odd counts included', () => {
    for (const [count, half] of [
      [5000, 2500],
      [1001, 500],
      [7, 2],
    ] as const) {
      const task: OptionTask = { seed: 11, start: 2000, count, params: ATM };
      const whole = runOptionReference(task);
      const a = runOptionReference({ ...task, count: half });
      const b = runOptionReference({ ...task, start: task.start + half, count: count - half });
      assert.equal(BigInt(a.sum) + BigInt(b.sum), BigInt(whole.sum), `count ${count}`);
      assert.equal(BigInt(a.sumSquares) + BigInt(b.sumSquares), BigInt(whole.sumSquares));
    }
  });

  test('sample-wise put-call parity, in integers: (C - P) at one strike minus another is n (K2 - K1)', () => {
    const task = (strike: number, type: 'call' | 'put'): OptionTask => ({
      seed: 77,
      start: 0,
      count: 4001,
      params: { ...ATM, strike, type },
    });
    const difference = (strike: number) =>
      BigInt(runOptionReference(task(strike, 'call')).sum) -
      BigInt(runOptionReference(task(strike, 'put')).sum);
    const strikeUnits = (strike: number) => {
      const k = optionConstants({ ...ATM, strike });
      return (BigInt(k.strikeHi) << 32n) + BigInt(k.strikeLo);
    };
    // c - p = S_T - K for every sample, so the S_T terms cancel between the two strikes.
    assert.equal(difference(90) - difference(110), 4001n * (strikeUnits(110) - strikeUnits(90)));
  });

  test('golden values: a unit whose block index crosses 2^32, with a 41-bit seed', () => {
    // Volunteers running different versions must agree: a change here breaks quorums.
    const params: OptionParams = {
      spot: 101.37,
      strike: 97.5,
      rate: 0.031,
      volatility: 0.237,
      maturity: 0.75,
      type: 'put',
    };
    const task: OptionTask = { seed: 2 ** 40 + 17, start: 2 * (2 ** 32 - 3), count: 1001, params };
    const put = runOptionReference(task);
    const call = runOptionReference({ ...task, params: { ...params, type: 'call' } });
    assert.deepEqual(
      [put.sum, put.sumSquares, call.sum, call.sumSquares],
      [
        '58039696783820',
        '12026863891136437882051576',
        '127162639945650',
        '49073862725098857510070028',
      ],
    );
  });
});

/** -2 ln u in float64 for u = ((hi:lo) | 1) / 2^64, accurate near u = 1 too. */
function minusTwoLogU(hi: number, lo: number): number {
  const low = (lo | 1) >>> 0;
  if (hi < 0x80000000) return -2 * Math.log((hi * 2 ** 32 + low) * 2 ** -64);
  const w = ((0xffffffff - hi) * 2 ** 32 + (2 ** 32 - low)) * 2 ** -64;
  return -2 * Math.log1p(-w);
}

describe('european-option reference kernel: accuracy against float64 on the same words', () => {
  const cases: OptionParams[] = [
    ATM,
    { spot: 100, strike: 60, rate: 0.05, volatility: 0.01, maturity: 0.01, type: 'call' },
    { spot: 100, strike: 110, rate: 0.25, volatility: 0.3, maturity: 2, type: 'put' },
    { spot: 100, strike: 130, rate: -0.02, volatility: 1, maturity: 10, type: 'call' },
  ];
  const BLOCKS = 2 ** 16;
  for (const params of cases) {
    test(`per sample within 3e-9 + 1.2e-8 sigma sqrt(T) of max(S0, S_T); mean error within 4 se + 2e-11 * spot: ${JSON.stringify(params)}`, () => {
      const k = optionConstants(params);
      const drift = (params.rate - params.volatility ** 2 / 2) * params.maturity;
      const vol = params.volatility * Math.sqrt(params.maturity);
      const strike = params.strike / params.spot;
      const block = new Uint32Array(4);
      const normals = new Uint32Array(4);
      const payoff = new Uint32Array(3);
      let max = 0;
      let sum = 0;
      let sumSquares = 0;
      for (let i = 0; i < BLOCKS; i++) {
        philox4x32(i, 0, OPTION_STREAM, 0, 2024, 0, block);
        normalPair(block[0]!, block[1]!, block[2]!, normals);
        const radius = Math.sqrt(minusTwoLogU(block[0]!, block[1]!));
        const theta = 2 * Math.PI * block[2]! * 2 ** -32;
        const z = [radius * Math.cos(theta), radius * Math.sin(theta)];
        for (let j = 0; j < 2; j++) {
          optionPayoff(normals[j]!, normals[2 + j]!, k, payoff);
          const got = (payoff[0]! + payoff[1]! * 2 ** 32 + payoff[2]! * 2 ** 64) * 2 ** -40;
          const st = Math.exp(drift + vol * z[j]!);
          const want = params.type === 'call' ? Math.max(st - strike, 0) : Math.max(strike - st, 0);
          const error = got - want;
          max = Math.max(max, Math.abs(error) / Math.max(1, st));
          sum += error;
          sumSquares += error * error;
        }
      }
      const n = 2 * BLOCKS;
      const mean = sum / n;
      const se = Math.sqrt((sumSquares / n - mean * mean) / n);
      // The payoff arithmetic errs by < 3e-9; Z's error (< 1.2e-8) scales with sigma sqrt(T).
      assert.ok(max < 3e-9 + 1.2e-8 * vol, `max error ${max} (in units of max(S0, S_T))`);
      // Per-sample errors come from rounding and average out; a bias would show here.
      assert.ok(Math.abs(mean) < 4 * se + 2e-11, `mean error ${mean} * spot, se ${se}`);
    });
  }
});

describe('european-option implausibility', () => {
  const task: OptionTask = { seed: 1, start: 0, count: 2000, params: { ...ATM, type: 'put' } };
  const honest = runOptionReference(task);

  test('accepts the honest result', () => {
    assert.equal(optionEstimator.implausibility(task, honest), null);
  });
  test('catches a result covering the wrong number of samples', () => {
    assert.match(
      optionEstimator.implausibility(task, { ...honest, samples: 1999 }) ?? '',
      /1999.*2000/,
    );
  });
  test('catches a result for another option', () => {
    const other = { ...honest, params: { ...honest.params, strike: 101 } };
    assert.match(optionEstimator.implausibility(task, other) ?? '', /another option/);
  });
  test('catches a put payoff sum above samples * strike', () => {
    const k = optionConstants(task.params);
    const strike = (BigInt(k.strikeHi) << 32n) + BigInt(k.strikeLo);
    const sum = (2000n * strike + 1n).toString();
    assert.match(optionEstimator.implausibility(task, { ...honest, sum }) ?? '', /payoff sum/);
  });
  test('catches sums of squares that no payoffs could have', () => {
    const tooSmall = { ...honest, sumSquares: '1' };
    assert.match(optionEstimator.implausibility(task, tooSmall) ?? '', /below/);
    const tooLarge = { ...honest, sumSquares: (BigInt(honest.sumSquares) * 10n ** 20n).toString() };
    assert.match(optionEstimator.implausibility(task, tooLarge) ?? '', /above/);
  });
});

describe('european-option fold, unfold and finalize', () => {
  const results: OptionResult[] = [0, 1, 2].map((unit) =>
    runOptionReference({ seed: 5, start: unit * 3000, count: 3000 - unit, params: ATM }),
  );

  test('the aggregate is the same in whatever order results arrive, and unfold inverts fold', () => {
    const forward = results.reduce(optionEstimator.fold, optionEstimator.emptyAggregate());
    const backward = [...results]
      .reverse()
      .reduce(optionEstimator.fold, optionEstimator.emptyAggregate());
    assert.deepEqual(backward, forward);
    const without = optionEstimator.unfold!(forward, results[1]!);
    assert.deepEqual(
      without,
      [results[0]!, results[2]!].reduce(optionEstimator.fold, optionEstimator.emptyAggregate()),
    );
    const none = results.reduce(optionEstimator.unfold!, forward);
    assert.deepEqual(none, optionEstimator.emptyAggregate());
  });

  test('estimate, stderr and ci95 follow from the exact sums', () => {
    const aggregate = results.reduce(optionEstimator.fold, optionEstimator.emptyAggregate());
    const { estimate, stderr, ci95, samples } = optionEstimator.finalize(aggregate);
    const n = 8997;
    assert.equal(samples, n);
    const unit = 100 * Math.exp(-0.05) * 2 ** -40;
    const sum = Number(BigInt(aggregate.sum));
    const mean = sum / n;
    const variance = (Number(BigInt(aggregate.sumSquares)) - n * mean * mean) / (n - 1);
    assert.ok(Math.abs(estimate - unit * mean) < 1e-12 * estimate);
    assert.ok(Math.abs(stderr - unit * Math.sqrt(variance / n)) < 1e-9 * stderr);
    assert.ok(Math.abs(ci95[1] - ci95[0] - 2 * 1.959963984540054 * stderr) < 1e-12);
  });

  test('no samples yet: infinite stderr, not NaN', () => {
    const { estimate, stderr } = optionEstimator.finalize(optionEstimator.emptyAggregate());
    assert.equal(estimate, 0);
    assert.equal(stderr, Number.POSITIVE_INFINITY);
  });

  test('sameResult compares every field exactly', () => {
    const a = results[0]!;
    assert.ok(optionEstimator.sameResult(a, { ...a, params: { ...a.params } }));
    assert.ok(!optionEstimator.sameResult(a, { ...a, sum: (BigInt(a.sum) - 1n).toString() }));
    assert.ok(!optionEstimator.sameResult(a, { ...a, sumSquares: '0' }));
    assert.ok(!optionEstimator.sameResult(a, { ...a, params: { ...a.params, rate: 0.0500001 } }));
  });
});

describe('european-option prices against Black–Scholes', () => {
  // In, at and out of the money; short and long; calls and puts; some with odd rates.
  const grid: OptionParams[] = [];
  for (const [maturity, volatility, rate] of [
    [0.1, 0.4, 0.03],
    [3, 0.2, -0.01],
  ] as const) {
    for (const strike of [80, 100, 125]) {
      for (const type of ['call', 'put'] as const) {
        grid.push({ spot: 100, strike, rate, volatility, maturity, type });
      }
    }
  }
  const SAMPLES = 2 ** 17;

  for (const [i, params] of grid.entries()) {
    test(`within 5 stderr: ${params.type} K=${params.strike} T=${params.maturity} sigma=${params.volatility} r=${params.rate}`, () => {
      // Fixed seeds: deterministic, so this cannot flake, yet a bias of a few stderr fails it.
      const { estimate, stderr } = price(params, SAMPLES + 1, 1000 + i, 2 ** 15);
      const exact = blackScholesPrice(params);
      assert.ok(stderr > 0 && stderr < 0.02 * exact + 0.01, `stderr ${stderr}`);
      assert.ok(
        Math.abs(estimate - exact) < 5 * stderr,
        `${estimate} vs ${exact}: ${((estimate - exact) / stderr).toFixed(2)} stderr`,
      );
    });
  }

  test('at the money with 2^20 samples: within 5 stderr (stderr about 0.014)', () => {
    const { estimate, stderr } = price(ATM, 2 ** 20, 31337, 2 ** 18);
    const exact = blackScholesPrice(ATM);
    assert.ok(stderr < 0.02, `stderr ${stderr}`);
    assert.ok(Math.abs(estimate - exact) < 5 * stderr, `${estimate} vs ${exact} ± ${stderr}`);
  });

  test('put-call parity with one seed: C - P = S - K exp(-rT) within 5 combined stderr', () => {
    for (const params of grid.filter((p) => p.type === 'call')) {
      const call = price(params, SAMPLES, 555, 2 ** 15);
      const put = price({ ...params, type: 'put' }, SAMPLES, 555, 2 ** 15);
      // c p = 0 sample by sample, so Var(c - p) = Var(c) + Var(p) + 2 E[c] E[p].
      const se = Math.sqrt(
        call.stderr ** 2 + put.stderr ** 2 + (2 * call.estimate * put.estimate) / SAMPLES,
      );
      const forward = params.spot - params.strike * Math.exp(-params.rate * params.maturity);
      const gap = call.estimate - put.estimate - forward;
      assert.ok(
        Math.abs(gap) < 5 * se,
        `K=${params.strike} T=${params.maturity}: ${gap} vs se ${se}`,
      );
    }
  });
});
