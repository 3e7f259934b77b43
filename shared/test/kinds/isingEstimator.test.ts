// The ising-2d estimator without a GPU: the spec schema's refusals, how a spec splits into
// chains, the reference kernel against a site-by-site restatement of its stream layout, the
// implausibility check, and the exact across-chain fold and finalize.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { montecarloSpecSchema } from '../../src/kinds/registry';
import { philox4x32, splitUint53 } from '../../src/rng/philox';
import { isingEstimator } from '../../src/kinds/ising-2d/isingEstimator';
import {
  acceptanceThreshold,
  ISING_STREAM,
  runIsingReference,
} from '../../src/kinds/ising-2d/isingReference';
import {
  ISING_MAX_CHAINS,
  ISING_MAX_FLIPS_PER_CHAIN,
  ISING_MAX_SIZE,
  ISING_MAX_SWEEPS_PER_CHAIN,
  isingAggregateSchema,
  isingSpecSchema,
  isingTaskSchema,
  type IsingResult,
  type IsingTask,
} from '../../src/kinds/ising-2d/isingSpec';

function specIssues(input: unknown): string[] {
  const parsed = isingSpecSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const validParams = { size: 32, temperature: 2.0, sweeps: 1000, burnIn: 100 };
const valid = { estimator: 'ising-2d', params: validParams, chains: 8, seed: 42 };

describe('ising-2d spec schema', () => {
  test('accepts a valid spec, also through the registry union', () => {
    assert.deepEqual(specIssues(valid), []);
    assert.deepEqual(montecarloSpecSchema.parse(valid), valid);
  });

  test('accepts the largest lattice and the longest chain the caps allow', () => {
    const area = ISING_MAX_SIZE * ISING_MAX_SIZE;
    const longest = ISING_MAX_FLIPS_PER_CHAIN / area;
    const big = { ...validParams, size: ISING_MAX_SIZE, sweeps: longest - 10, burnIn: 10 };
    assert.deepEqual(specIssues({ ...valid, params: big }), []);
    const long = { ...validParams, size: 8, sweeps: ISING_MAX_SWEEPS_PER_CHAIN, burnIn: 0 };
    assert.deepEqual(specIssues({ ...valid, params: long, chains: ISING_MAX_CHAINS }), []);
  });

  const withParams = (params: object) => ({ ...valid, params: { ...validParams, ...params } });
  const refusals: Array<[what: string, input: object, field: string]> = [
    ['a size that is not a multiple of 8', withParams({ size: 12 }), 'size'],
    ['a size below 8', withParams({ size: 0 }), 'size'],
    ['a size above the cap', withParams({ size: ISING_MAX_SIZE + 8 }), 'size'],
    ['a fractional size', withParams({ size: 16.5 }), 'size'],
    ['a zero temperature', withParams({ temperature: 0 }), 'temperature'],
    ['a negative temperature', withParams({ temperature: -2 }), 'temperature'],
    ['a temperature above the cap', withParams({ temperature: 101 }), 'temperature'],
    ['a temperature given as a string', withParams({ temperature: '2.0' }), 'temperature'],
    ['zero sweeps', withParams({ sweeps: 0 }), 'sweeps'],
    ['fractional sweeps', withParams({ sweeps: 10.5 }), 'sweeps'],
    ['a negative burnIn', withParams({ burnIn: -1 }), 'burnIn'],
    [
      'burnIn + sweeps above the per-chain cap',
      withParams({ size: 8, sweeps: ISING_MAX_SWEEPS_PER_CHAIN, burnIn: 1 }),
      'sweeps',
    ],
    [
      'a chain of more than 2^25 spin updates',
      withParams({ size: 512, sweeps: 100, burnIn: 29 }),
      'sweeps',
    ],
    ['one chain (no stderr)', { ...valid, chains: 1 }, 'chains'],
    ['more chains than the cap', { ...valid, chains: ISING_MAX_CHAINS + 1 }, 'chains'],
    ['fractional chains', { ...valid, chains: 2.5 }, 'chains'],
    ['a negative seed', { ...valid, seed: -1 }, 'seed'],
    ['a seed of 2^53', { ...valid, seed: 2 ** 53 }, 'seed'],
    ['an unknown field in params', withParams({ field: 1 }), 'field'],
    ['an unknown top-level field', { ...valid, samples: 5 }, 'samples'],
    ['a missing burnIn', { ...valid, params: { size: 32, temperature: 2, sweeps: 9 } }, 'burnIn'],
  ];
  for (const [what, input, field] of refusals) {
    test(`refuses ${what}, naming ${field}`, () => {
      const issues = specIssues(input);
      assert.ok(issues.length > 0, 'the spec was accepted');
      for (const issue of issues) assert.match(issue, new RegExp(`\\b${field}\\b`), issue);
    });
  }

  test('the multiple-of-8 refusal says why', () => {
    assert.match(specIssues(withParams({ size: 20 })).join('\n'), /params\.size: .*multiple of 8/);
  });
});

describe('ising-2d split into chains', () => {
  test('one unit per chain, each task a valid lease with float64 thresholds', () => {
    const spec = isingSpecSchema.parse({ ...valid, chains: 5 });
    assert.equal(isingEstimator.unitCount(spec), 5);
    for (let chain = 0; chain < 5; chain++) {
      const task = isingEstimator.taskFor(spec, chain);
      assert.deepEqual(isingTaskSchema.parse(task), task);
      assert.equal(task.chain, chain);
      assert.equal(task.threshold4, Math.floor(Math.exp(-4 / 2.0) * 2 ** 32));
      assert.equal(task.threshold8, Math.floor(Math.exp(-8 / 2.0) * 2 ** 32));
      assert.equal(isingEstimator.workOf(task), 32 * 32 * 1100);
    }
  });

  test('thresholds stay u32 across the temperature range and order as the Boltzmann factors', () => {
    for (const t of [1e-3, 0.5, 2.269, 10, 100]) {
      const t4 = acceptanceThreshold(4, t);
      const t8 = acceptanceThreshold(8, t);
      assert.ok(Number.isInteger(t4) && t4 >= 0 && t4 < 2 ** 32, `T=${t}: ${t4}`);
      assert.ok(t8 <= t4, `T=${t}`);
    }
    assert.equal(acceptanceThreshold(4, 1e-3), 0, 'frozen: no uphill flip');
    assert.ok(acceptanceThreshold(4, 100) > 0.96 * 2 ** 32);
  });
});

/**
 * The chain restated site by site, independent of the reference's strip loop: site (x, y) of
 * half-sweep h's colour ((x + y + h) even) uses word floor((x mod 8) / 2) of the block for
 * strip y·(L/8) + floor(x / 8); thresholds recomputed here; E counts every neighbour pair twice.
 */
function naiveChain(task: IsingTask): IsingResult {
  const { size: n, temperature } = task;
  const [k0, k1] = splitUint53(task.seed);
  const spin = new Int8Array(n * n).fill(1);
  const at = (x: number, y: number) => spin[((y + n) % n) * n + ((x + n) % n)]!;
  const block = new Uint32Array(4);
  const sums = { sumAbsM: 0, sumM2: 0, sumE: 0, sumE2: 0 };
  for (let k = 0; k < task.burnIn + task.sweeps; k++) {
    for (const h of [2 * k, 2 * k + 1]) {
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          if ((x + y + h) % 2 !== 0) continue;
          const s = at(x, y);
          const deltaE = 2 * s * (at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1));
          philox4x32(h, task.chain, ISING_STREAM, y * (n / 8) + Math.floor(x / 8), k0, k1, block);
          const u = block[Math.floor((x % 8) / 2)]!;
          const threshold = Math.floor(Math.exp(-deltaE / temperature) * 2 ** 32);
          if (deltaE <= 0 || u < threshold) spin[y * n + x] = -s;
        }
      }
    }
    if (k < task.burnIn) continue;
    let m = 0;
    let pairs = 0;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        m += at(x, y);
        pairs += at(x, y) * (at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1));
      }
    }
    const e = -pairs / 2;
    sums.sumAbsM += Math.abs(m);
    sums.sumM2 += m * m;
    sums.sumE += e;
    sums.sumE2 += e * e;
  }
  return { chain: task.chain, size: n, temperature, sweeps: task.sweeps, ...sums };
}

function taskOf(
  shape: { size: number; temperature: number; sweeps: number; burnIn: number },
  seed: number,
  chain: number,
): IsingTask {
  const spec = isingSpecSchema.parse({
    estimator: 'ising-2d',
    params: shape,
    chains: Math.max(2, chain + 1),
    seed,
  });
  return isingEstimator.taskFor(spec, chain);
}

describe('ising-2d reference kernel', () => {
  const tasks: IsingTask[] = [
    taskOf({ size: 8, temperature: 2.0, sweeps: 5, burnIn: 0 }, 0, 0),
    taskOf({ size: 16, temperature: 3.0, sweeps: 7, burnIn: 3 }, 2 ** 53 - 1, 9_999),
    taskOf({ size: 24, temperature: 1.2, sweeps: 4, burnIn: 2 }, 2 ** 32 + 5, 3),
  ];
  for (const task of tasks) {
    test(`matches the site-by-site restatement: L ${task.size}, T ${task.temperature}, chain ${task.chain}`, () => {
      const result = runIsingReference(task);
      assert.deepEqual(result, naiveChain(task));
      assert.equal(isingEstimator.implausibility(task, result), null);
    });
  }

  test('chains are independent units: chain 1 of a 2-chain spec is chain 1 of a 9-chain spec', () => {
    const shape = { estimator: 'ising-2d', params: validParams, seed: 7 } as const;
    const a = isingEstimator.taskFor(isingSpecSchema.parse({ ...shape, chains: 2 }), 1);
    const b = isingEstimator.taskFor(isingSpecSchema.parse({ ...shape, chains: 9 }), 1);
    assert.deepEqual(a, b);
  });

  test('different chains and seeds give different chains', () => {
    const shape = { size: 16, temperature: 2.5, sweeps: 20, burnIn: 0 };
    const base = runIsingReference(taskOf(shape, 1, 0));
    assert.notDeepEqual(runIsingReference(taskOf(shape, 1, 1)).sumE, base.sumE);
    assert.notDeepEqual(runIsingReference(taskOf(shape, 2, 0)).sumE, base.sumE);
  });

  test('at T -> 0 nothing flips: the cold start stays fully magnetized', () => {
    const task = taskOf({ size: 16, temperature: 1e-3, sweeps: 3, burnIn: 1 }, 5, 0);
    const result = runIsingReference(task);
    assert.equal(result.sumAbsM, 3 * 256);
    assert.equal(result.sumE, 3 * -512);
  });
});

describe('ising-2d implausibility', () => {
  const task = taskOf({ size: 16, temperature: 2.5, sweeps: 40, burnIn: 5 }, 11, 1);
  const honest = runIsingReference(task);

  test('accepts the honest result and the simulated liar (Σ E moved by 4 toward 0)', () => {
    assert.equal(isingEstimator.implausibility(task, honest), null);
    const lie = { ...honest, sumE: honest.sumE + (honest.sumE < 0 ? 4 : -4) };
    assert.equal(isingEstimator.implausibility(task, lie), null);
    assert.equal(isingEstimator.sameResult(honest, lie), false);
  });

  const wrong: Array<[what: string, change: Partial<IsingResult>, pattern: RegExp]> = [
    ['another chain', { chain: 2 }, /chain 2.*1/],
    ['another size', { size: 24 }, /size 24/],
    ['another temperature', { temperature: 2.4 }, /temperature/],
    ['another sweep count', { sweeps: 39 }, /sweeps 39/],
    ['Σ|M| above sweeps × L²', { sumAbsM: 40 * 256 + 2 }, /Σ\|M\| exceeds/],
    ['an odd Σ|M|', { sumAbsM: honest.sumAbsM + 1 }, /even/],
    ['Σ M² below (Σ|M|)²/N', { sumM2: 0 }, /Σ M² is below/],
    ['Σ E outside ±2·N·L²', { sumE: -2 * 40 * 256 - 4 }, /\|Σ E\| exceeds/],
    ['Σ E not a multiple of 4', { sumE: honest.sumE + 2 }, /multiple of 4/],
    ['Σ E² below (Σ E)²/N', { sumE2: 16 }, /Σ E² is below/],
  ];
  for (const [what, change, pattern] of wrong) {
    test(`catches ${what}`, () => {
      assert.match(isingEstimator.implausibility(task, { ...honest, ...change }) ?? '', pattern);
    });
  }
});

describe('ising-2d fold and finalize', () => {
  const shape = { size: 16, temperature: 2.5, sweeps: 30, burnIn: 10 };
  const results = [0, 1, 2, 3].map((chain) => runIsingReference(taskOf(shape, 99, chain)));
  const foldAll = (list: IsingResult[]) =>
    list.reduce(
      (aggregate, result) =>
        // Through JSON each time, as the store keeps it.
        isingEstimator.fold(JSON.parse(JSON.stringify(aggregate)), result),
      isingEstimator.emptyAggregate(),
    );

  test('the aggregate is the same in whatever order chains arrive, and passes its schema', () => {
    const forward = foldAll(results);
    const backward = foldAll([...results].reverse());
    const shuffled = foldAll([results[2]!, results[0]!, results[3]!, results[1]!]);
    assert.deepEqual(backward, forward);
    assert.deepEqual(shuffled, forward);
    assert.deepEqual(isingAggregateSchema.parse(forward), forward);
    assert.deepEqual(isingEstimator.finalize(shuffled), isingEstimator.finalize(forward));
  });

  test('finalize is the mean of per-chain means with the stderr across chains', () => {
    const n = shape.sweeps;
    const area = shape.size ** 2;
    const t = shape.temperature;
    const perChain = results.map((r) => ({
      m: r.sumAbsM / n / area,
      e: r.sumE / n / area,
      chi: (r.sumM2 / n - (r.sumAbsM / n) ** 2) / area / t,
      heat: (r.sumE2 / n - (r.sumE / n) ** 2) / area / t ** 2,
    }));
    const stats = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
      return { mean, stderr: Math.sqrt(variance / xs.length) };
    };
    const got = isingEstimator.finalize(foldAll(results));
    const close = (a: number | null, b: number, what: string) =>
      assert.ok(
        a !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)),
        `${what}: ${a} vs ${b}`,
      );
    for (const [key, field] of [
      ['m', 'magnetization'],
      ['e', 'energy'],
      ['chi', 'susceptibility'],
      ['heat', 'specificHeat'],
    ] as const) {
      const expected = stats(perChain.map((c) => c[key]));
      close(got[field].mean, expected.mean, `${field} mean`);
      close(got[field].stderr, expected.stderr, `${field} stderr`);
    }
    assert.equal(got.chains, 4);
    assert.equal(got.sweepsPerChain, 30);
    assert.equal(got.size, 16);
    assert.equal(got.temperature, 2.5);
    assert.ok(got.energy.mean! < 0 && got.magnetization.mean! > 0);
  });

  test('unfold takes a chain back out exactly, down to the empty aggregate', () => {
    const all = foldAll(results);
    const withoutSecond = isingEstimator.unfold!(all, results[1]!);
    assert.deepEqual(withoutSecond, foldAll([results[0]!, results[2]!, results[3]!]));
    const emptied = results.reduce(
      (aggregate, result) => isingEstimator.unfold!(aggregate, result),
      all,
    );
    assert.deepEqual(emptied, isingEstimator.emptyAggregate());
  });

  test('no chains: null means; one chain: a mean but a null stderr', () => {
    const empty = isingEstimator.finalize(isingEstimator.emptyAggregate());
    assert.deepEqual(empty.energy, { mean: null, stderr: null });
    assert.equal(empty.chains, 0);
    const one = isingEstimator.finalize(foldAll(results.slice(0, 1)));
    assert.equal(one.energy.stderr, null);
    assert.equal(one.energy.mean, results[0]!.sumE / 30 / 256);
  });

  test('identical chains with sums past 2^53 give a stderr of exactly 0 (exact moments)', () => {
    // Σ E² of a 512² lattice over 256 sweeps: ~2^46 per chain (past the cap, for the
    // arithmetic); its square is ~2^92.
    const big: IsingResult = {
      chain: 0,
      size: 512,
      temperature: 1.0,
      sweeps: 256,
      sumAbsM: 256 * 262_144 - 2,
      sumM2: 256 * 262_144 ** 2 - 4 * 262_144,
      sumE: -(256 * 524_288) + 4,
      sumE2: 256 * 524_288 ** 2 - 16 * 524_288,
    };
    const finalized = isingEstimator.finalize(foldAll([big, big, big]));
    assert.equal(finalized.magnetization.stderr, 0);
    assert.equal(finalized.energy.stderr, 0);
    assert.equal(finalized.specificHeat.stderr, 0);
  });
});
