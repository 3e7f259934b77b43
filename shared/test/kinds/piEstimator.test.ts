// The pi estimator without a GPU: the spec schema's refusals, how a spec splits into units,
// the reference kernel against a BigInt restatement of the stream layout, the implausibility
// check, and finalize's estimate, stderr and ci95.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { philox4x32 } from '../../src/rng/philox';
import { piEstimator } from '../../src/kinds/pi/piEstimator';
import { insideQuarterCircle, PI_STREAM, runPiReference } from '../../src/kinds/pi/piReference';
import {
  PI_MAX_UNITS,
  PI_MIN_SAMPLES_PER_UNIT,
  piSpecSchema,
  piTaskSchema,
  type PiResult,
  type PiTask,
} from '../../src/kinds/pi/piSpec';
import { lcg32 } from '../rng/philoxVectors';

const Z95 = 1.959963984540054;

/** The issues zod reports for `input` as "path: message" lines; empty when it parses. */
function specIssues(input: unknown): string[] {
  const parsed = piSpecSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('pi spec schema', () => {
  const valid = { estimator: 'pi', samples: 1_000_000, seed: 42, samplesPerUnit: 4096 };

  test('accepts a valid spec and fills in the default samplesPerUnit', () => {
    assert.deepEqual(specIssues(valid), []);
    const { samplesPerUnit: _, ...withoutPerUnit } = valid;
    assert.ok(piSpecSchema.parse(withoutPerUnit).samplesPerUnit >= PI_MIN_SAMPLES_PER_UNIT);
  });

  const refusals: Array<[what: string, input: object, field: string]> = [
    ['an odd samplesPerUnit', { ...valid, samplesPerUnit: 4097 }, 'samplesPerUnit'],
    ['a fractional samplesPerUnit', { ...valid, samplesPerUnit: 4096.5 }, 'samplesPerUnit'],
    ['a samplesPerUnit given as a string', { ...valid, samplesPerUnit: '4096' }, 'samplesPerUnit'],
    ['samples given as a string', { ...valid, samples: '1000' }, 'samples'],
    ['a negative seed', { ...valid, seed: -1 }, 'seed'],
    ['a fractional seed', { ...valid, seed: 1.5 }, 'seed'],
    ['a seed of 2^53', { ...valid, seed: 2 ** 53 }, 'seed'],
    ['zero samples', { ...valid, samples: 0 }, 'samples'],
    [
      'more units than the cap',
      { ...valid, samples: (PI_MAX_UNITS + 1) * 4096, samplesPerUnit: 4096 },
      'samplesPerUnit',
    ],
    ['an unknown field', { ...valid, sampels: 5 }, 'sampels'],
  ];
  for (const [what, input, field] of refusals) {
    test(`refuses ${what}, naming ${field}`, () => {
      const issues = specIssues(input);
      assert.ok(issues.length > 0, 'the spec was accepted');
      for (const issue of issues) {
        // The API shows each issue as "path: message" (server/src/api/parseBody.ts): the
        // field must appear there, in the path or (for an unknown key) in the message.
        assert.match(issue, new RegExp(`\\b${field}\\b`), issue);
      }
    });
  }

  test('accepts exactly the unit cap', () => {
    assert.deepEqual(specIssues({ ...valid, samples: PI_MAX_UNITS * 4096 }), []);
  });
});

describe('pi split into units', () => {
  const shapes: Array<[samples: number, samplesPerUnit: number]> = [
    [1, 1024],
    [1023, 1024],
    [1024, 1024],
    [1025, 1024],
    [10_000_001, 1_000_000],
    [2 ** 31 + 3, 2 ** 31],
    [12_345_678_901, 2 ** 24],
  ];
  for (const [samples, samplesPerUnit] of shapes) {
    test(`${samples} samples in units of ${samplesPerUnit} cover [0, ${samples}) once`, () => {
      const spec = piSpecSchema.parse({ estimator: 'pi', samples, seed: 9, samplesPerUnit });
      const units = piEstimator.unitCount(spec);
      assert.equal(units, Math.ceil(samples / samplesPerUnit));
      let next = 0;
      for (let unit = 0; unit < units; unit++) {
        const task = piEstimator.taskFor(spec, unit);
        // Each task must pass the schema a volunteer's lease is checked with.
        assert.deepEqual(piTaskSchema.parse(task), task);
        assert.equal(task.start, next, `unit ${unit} starts where unit ${unit - 1} ended`);
        assert.equal(task.seed, spec.seed);
        if (unit < units - 1) assert.equal(task.count, samplesPerUnit, `unit ${unit} is full`);
        next = task.start + task.count;
      }
      assert.equal(next, samples);
    });
  }
});

/** The pi stream restated with BigInt, independent of mulhi32 and of the pair arithmetic. */
function piHitsBigInt(task: PiTask): number {
  const seed = BigInt(task.seed);
  const out = new Uint32Array(4);
  let hits = 0;
  for (let s = task.start; s < task.start + task.count; s++) {
    const pair = BigInt(Math.floor(s / 2));
    philox4x32(
      Number(pair & 0xffffffffn),
      Number(pair >> 32n),
      PI_STREAM,
      0,
      Number(seed & 0xffffffffn),
      Number(seed >> 32n),
      out,
    );
    const [x, y] = s % 2 === 0 ? [out[0]!, out[1]!] : [out[2]!, out[3]!];
    if (BigInt(x) ** 2n + BigInt(y) ** 2n < 2n ** 64n) hits++;
  }
  return hits;
}

describe('pi reference kernel', () => {
  const tasks: PiTask[] = [
    { seed: 0, start: 0, count: 1 },
    { seed: 42, start: 0, count: 1001 },
    { seed: Number.MAX_SAFE_INTEGER, start: 2 * (2 ** 32 - 5), count: 21 },
    { seed: 2 ** 32 + 7, start: 2 ** 40, count: 999 },
  ];
  for (const task of tasks) {
    test(`matches the BigInt restatement: seed ${task.seed}, start ${task.start}, count ${task.count}`, () => {
      assert.deepEqual(runPiReference(task), { hits: piHitsBigInt(task), samples: task.count });
    });
  }

  test('insideQuarterCircle is exact at the boundary and against BigInt on a seeded sweep', () => {
    const inside = (x: number, y: number) =>
      BigInt(x) ** 2n + BigInt(y) ** 2n < 2n ** 64n ? 1 : 0;
    // (2^32 - 1)^2 + y^2 < 2^64 exactly while y^2 < 2^33 - 1, i.e. y <= 92681.
    const edges: Array<[number, number]> = [
      [0, 0],
      [0xffffffff, 0],
      [0xffffffff, 1],
      [0xffffffff, 92681],
      [0xffffffff, 92682],
      [0xffffffff, 0xffffffff],
      [0xb504f333, 0xb504f333],
      [0xb504f334, 0xb504f334],
    ];
    for (const [x, y] of edges) {
      assert.equal(
        insideQuarterCircle(x, y),
        inside(x, y),
        `(0x${x.toString(16)}, 0x${y.toString(16)})`,
      );
    }
    const next = lcg32(31337);
    for (let i = 0; i < 50_000; i++) {
      const x = (next() ^ (next() >>> 9)) >>> 0;
      const y = (next() ^ (next() >>> 9)) >>> 0;
      if (insideQuarterCircle(x, y) !== inside(x, y))
        assert.fail(`(0x${x.toString(16)}, 0x${y.toString(16)})`);
    }
  });

  test('a unit split in two halves gives the hits of the whole', () => {
    const whole = runPiReference({ seed: 11, start: 2000, count: 5000 });
    const a = runPiReference({ seed: 11, start: 2000, count: 2500 });
    const b = runPiReference({ seed: 11, start: 4500, count: 2500 });
    assert.equal(a.hits + b.hits, whole.hits);
  });
});

describe('pi implausibility', () => {
  const task: PiTask = { seed: 1, start: 0, count: 1000 };
  test('accepts a result within range', () => {
    assert.equal(piEstimator.implausibility(task, { hits: 785, samples: 1000 }), null);
    assert.equal(piEstimator.implausibility(task, { hits: 1000, samples: 1000 }), null);
  });
  test('catches more hits than samples', () => {
    assert.match(piEstimator.implausibility(task, { hits: 1001, samples: 1000 }) ?? '', /hits/);
  });
  test('catches a result covering the wrong number of samples', () => {
    assert.match(piEstimator.implausibility(task, { hits: 10, samples: 999 }) ?? '', /999.*1000/);
    assert.match(piEstimator.implausibility(task, { hits: 10, samples: 1001 }) ?? '', /1001.*1000/);
  });
});

describe('pi fold and finalize', () => {
  const results: PiResult[] = [
    { hits: 7853, samples: 10_000 },
    { hits: 7861, samples: 10_000 },
    { hits: 3, samples: 5 },
  ];

  test('estimate, stderr and ci95 agree with each other', () => {
    const aggregate = results.reduce(piEstimator.fold, piEstimator.emptyAggregate());
    assert.deepEqual(aggregate, { hits: 15_717, samples: 20_005, units: 3 });
    const { estimate, stderr, ci95, samples } = piEstimator.finalize(aggregate);
    const p = 15_717 / 20_005;
    assert.equal(samples, 20_005);
    assert.equal(estimate, 4 * p);
    assert.ok(Math.abs(stderr - 4 * Math.sqrt((p * (1 - p)) / 20_005)) < 1e-15);
    assert.ok(Math.abs(ci95[1] - ci95[0] - 2 * Z95 * stderr) < 1e-12, 'ci95 is ±1.96 stderr');
    assert.ok(Math.abs((ci95[0] + ci95[1]) / 2 - estimate) < 1e-12, 'ci95 is centred');
  });

  test('the aggregate is the same in whatever order results arrive', () => {
    const forward = results.reduce(piEstimator.fold, piEstimator.emptyAggregate());
    const backward = [...results].reverse().reduce(piEstimator.fold, piEstimator.emptyAggregate());
    assert.deepEqual(piEstimator.finalize(backward), piEstimator.finalize(forward));
  });

  test('no samples yet: infinite stderr, not NaN', () => {
    const { estimate, stderr } = piEstimator.finalize(piEstimator.emptyAggregate());
    assert.equal(estimate, 0);
    assert.equal(stderr, Number.POSITIVE_INFINITY);
  });

  test('a seeded run of 4M samples puts pi inside its ci95', () => {
    const spec = piSpecSchema.parse({
      estimator: 'pi',
      samples: 2 ** 22,
      seed: 2024,
      samplesPerUnit: 2 ** 20,
    });
    let aggregate = piEstimator.emptyAggregate();
    for (let unit = 0; unit < piEstimator.unitCount(spec); unit++) {
      const task = piEstimator.taskFor(spec, unit);
      const result = runPiReference(task);
      assert.equal(piEstimator.implausibility(task, result), null);
      aggregate = piEstimator.fold(aggregate, result);
    }
    const { estimate, stderr, ci95 } = piEstimator.finalize(aggregate);
    // Deterministic (fixed seed), so this cannot flake; it would catch a biased hit test.
    assert.ok(
      ci95[0] < Math.PI && Math.PI < ci95[1],
      `pi outside [${ci95}] (estimate ${estimate})`,
    );
    assert.ok(stderr > 0 && stderr < 1e-3);
  });
});
