// `npm run simulate`'s command line (server/src/sim/simulateCli.ts): lists of seeds and bad shares
// become one run each, every run valid for the simulator; several reports print as a table.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simulationOptionsSchema, type SimulationReport } from '../../src/sim/hostileSimulation';
import { commandFromArgs, formatReport, formatTable } from '../../src/sim/simulateCli';

describe('npm run simulate: arguments', () => {
  test('--seeds and a list of --bad shares give one run each, bad shares outermost', () => {
    const { runs } = commandFromArgs([
      '--mode',
      'timed-colluders',
      '--volunteers',
      '40',
      '--seeds',
      '1,2,3',
      '--bad',
      '0.1,0.2',
      '--hold-ms',
      '500',
    ]);
    assert.deepEqual(
      runs.map((r) => [r.bad, r.seed]),
      [
        [0.1, 1],
        [0.1, 2],
        [0.1, 3],
        [0.2, 1],
        [0.2, 2],
        [0.2, 3],
      ],
    );
    for (const run of runs) {
      const options = simulationOptionsSchema.parse(run);
      assert.equal(options.mode, 'timed-colluders');
      assert.equal(options.volunteers, 40);
      assert.equal(options.holdMs, 500);
    }
  });

  test('one --seed and one --bad: one run, as before', () => {
    const { runs } = commandFromArgs(['--mode', 'error-saboteur', '--seed', '7', '--bad', '0.3']);
    assert.equal(runs.length, 1);
    const options = simulationOptionsSchema.parse(runs[0]);
    assert.deepEqual([options.mode, options.seed, options.bad], ['error-saboteur', 7, 0.3]);
  });

  test('defaults when neither is given', () => {
    const { runs } = commandFromArgs(['--mode', 'random']);
    assert.equal(runs.length, 1);
    const options = simulationOptionsSchema.parse(runs[0]);
    assert.deepEqual([options.seed, options.bad], [1, 0.2]);
  });

  test('bad lists and a seed together with seeds are refused', () => {
    assert.throws(() => commandFromArgs(['--mode', 'random', '--seeds', '1,x']), /--seeds/);
    assert.throws(() => commandFromArgs(['--mode', 'random', '--bad', '0.1,']), /--bad/);
    assert.throws(
      () => commandFromArgs(['--mode', 'random', '--seed', '1', '--seeds', '2,3']),
      /--seed and --seeds/,
    );
  });
});

/** A report with the figures the text shows; the rest does not matter here. */
function report(bad: number, seed: number, wrong: number): SimulationReport {
  const options = simulationOptionsSchema.parse({ mode: 'timed-colluders', bad, seed });
  return {
    options,
    dataDir: '/tmp/x',
    scheduler: {},
    completed: wrong === 0,
    workloadsByStatus: wrong === 0 ? { completed: 1 } : { failed: 1 },
    unitsFailed: wrong === 0 ? 0 : 1,
    unitsOpen: 0,
    spotChecks: {},
    timedOut: false,
    seconds: 12.5,
    audit: {
      workloads: [],
      unitsTotal: 100,
      unitsValidated: 99,
      wrongAccepted: wrong,
      resultBearing: 200,
      replicasByState: { valid: 198, invalid: 2 },
      loneUnits: 0,
      secondHalf: { units: 50, resultBearing: 100 },
    },
    efficiency: 0.495,
    efficiencyAfterWarmup: 0.5,
    unitsPerSecond: 8,
    refused: {},
    hostile: {
      behavior: 'timedColluder',
      total: 4,
      detected: 3,
      suspended: 2,
      honestPenalized: 1,
      honestSuspended: wrong,
    },
    crowd: {
      leases: 210,
      results: 200,
      closed: 0,
      dropped: 0,
      flooded: 0,
      floodAnswers: {},
      errorsReported: 5,
    },
    ring: { honestReturns: 150, lies: 9, agreements: 3, handedBack: 5, snipes: 27 },
  };
}

describe('npm run simulate: output', () => {
  test('one run prints the attack figures', () => {
    const text = formatReport(report(0.2, 3, 2));
    assert.match(text, /wrong results accepted +2 /);
    assert.match(text, /failed 1, left open 0; workloads failed 1/);
    assert.match(text, /honest volunteers +1 with an invalid verdict, 2 wrongly suspended/);
    assert.match(text, /colluder ring +9 lies after an honest result, 3 agreements/);
    assert.match(text, /errors reported 5/);
  });

  test('several runs print one table row each', () => {
    const text = formatTable([report(0.1, 1, 0), report(0.1, 2, 4), report(0.2, 1, 0)]);
    const rows = text.split('\n').filter((line) => /^\| \d/.test(line));
    assert.equal(rows.length, 3);
    const cells = rows.map((row) =>
      row
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
    assert.deepEqual(
      cells.map((c) => [c[0], c[1], c[2], c[5], c[6]]),
      [
        ['0.1', '1', 'completed 1', '0', '0'],
        ['0.1', '2', 'failed 1', '4', '4'],
        ['0.2', '1', 'completed 1', '0', '0'],
      ],
    );
    assert.match(text, /\| bad +\| seed +\| workloads/);
  });
});
