// What `tessera submit --wait` does with a finished workload's result: its summary in words on
// stderr and nothing else by default (a gradient result's JSON runs to hundreds of lines), the
// JSON on stdout with --json or in a file with --out; and the flag mistakes around them.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { WorkloadResult } from '@tessera/shared';
import { deliverResult, destinationOf } from '../../src/cli/commands/result';
import { EXIT } from '../../src/cli/exitCodes';
import type { CliIO } from '../../src/cli/output';
import { main } from '../../src/cli/tessera';
import { quantitiesSummary, resultSummary } from '../../src/cli/workloadText';
import { tempDir } from '../support/testCoordinator';

function sinks(cwd: string) {
  const out = { stdout: '', stderr: '' };
  const io: CliIO = {
    stdout: { write: (text: string) => (out.stdout += text) },
    stderr: { write: (text: string) => (out.stderr += text) },
    // Nothing here may reach a coordinator: port 9 is refused before any connection.
    env: { TESSERA_URL: 'http://127.0.0.1:9', TESSERA_TOKEN: 'unused' },
    cwd,
    now: () => 0,
    onInterrupt: () => () => {},
  };
  return { io, out };
}

const base = { final: true, status: 'completed', unitsValidated: 7, unitsTotal: 7 } as const;

const PI: WorkloadResult = { ...base, estimate: 3.1416, stderr: 0.0021, samples: 400_000 };

const GRADIENT: WorkloadResult = {
  ...base,
  kind: 'gradient',
  version: 3,
  stepsTotal: 3,
  steps: [
    { step: 1, loss: 1.1 },
    { step: 2, loss: 0.9, accuracy: 0.61 },
    { step: 3, loss: 0.7 },
  ],
  loss: 0.7,
  accuracy: 0.61,
  parameterCount: 27,
  paramsUrl: '/api/workloads/g1/result?format=bin',
};

const ISING: WorkloadResult = {
  ...base,
  magnetization: { mean: 0.91234, stderr: 0.00121 },
  energy: { mean: -1.7452, stderr: null },
  susceptibility: { mean: null, stderr: null },
  chains: 8,
  sweepsPerChain: 1000,
  size: 32,
  temperature: 2,
};

describe('submit --wait: where the result goes', () => {
  const dir = tempDir('tessera-submit-result-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('by default the summary only, and how to get the JSON', () => {
    const { io, out } = sinks(dir);
    deliverResult('g1', GRADIENT, destinationOf(undefined, { to: 'none' }), io);
    assert.equal(out.stdout, '');
    assert.equal(
      out.stderr,
      'trained 3 steps: held-out accuracy 0.6100, final loss 0.700; 27 parameters\n' +
        'Its full result as JSON: tessera result g1\n',
    );
  });

  test('--json: the JSON on stdout, the summary still on stderr', () => {
    const { io, out } = sinks(dir);
    deliverResult('p1', PI, destinationOf(undefined, { to: 'stdout' }), io);
    assert.deepEqual(JSON.parse(out.stdout), PI);
    assert.equal(out.stderr, 'estimate 3.14160 ± 0.00210, 400,000 samples\n');
  });

  test('--out FILE: the JSON in the file, stdout empty', () => {
    const { io, out } = sinks(dir);
    deliverResult('g1', GRADIENT, destinationOf('g1.json', { to: 'none' }), io);
    assert.equal(out.stdout, '');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'g1.json'), 'utf8')), GRADIENT);
    assert.match(out.stderr, /\nWrote the result of workload g1 to .*g1\.json\n$/);
  });

  test('a result with no summary in words is still shown, as JSON', () => {
    const { io, out } = sinks(dir);
    const odd = { ...base, answer: [1, 2, 3] };
    assert.equal(resultSummary(odd), null);
    deliverResult('o1', odd, { to: 'none' }, io);
    assert.deepEqual(JSON.parse(out.stdout), odd);
    assert.equal(out.stderr, '');
  });

  test('quantities measured across chains are summed up too (the Ising model)', () => {
    assert.equal(
      quantitiesSummary(ISING),
      'magnetization   mean 0.91234 ± 0.00121\n' +
        'energy          mean -1.74520 (no standard error yet)\n' +
        'susceptibility  not measured yet\n' +
        '8 chains',
    );
    assert.equal(resultSummary(ISING), quantitiesSummary(ISING));
    assert.equal(quantitiesSummary(PI), null);
  });

  test('--json and --out need --wait, and exclude each other: exit 2, nothing sent', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['submit', 'x.json', '--json'],
        /^tessera: --interval, --json and --out only apply with --wait\n/,
      ],
      [['submit', 'x.json', '--out', 'r.json'], /only apply with --wait/],
      [
        ['submit', 'x.json', '--wait', '--json', '--out', 'r.json'],
        /^tessera: --json prints the result on stdout, --out writes it to FILE: give one\n/,
      ],
    ];
    for (const [argv, message] of cases) {
      const { io, out } = sinks(dir);
      assert.equal(await main(argv, io), EXIT.usage, argv.join(' '));
      assert.match(out.stderr, message);
      assert.equal(out.stdout, '');
    }
  });
});
