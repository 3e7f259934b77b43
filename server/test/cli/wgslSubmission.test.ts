// `tessera submit --wgsl`: the body built from a bare .wgsl file and flags, the strict reading of
// counts (1e8, 2^27), every flag mistake as a usage error (exit 2, nothing sent), a refused
// kernel's compile error with its line and column, and a kernel's result in words.
import assert from 'node:assert/strict';
import type { WorkloadView } from '@tessera/shared';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fieldErrorLine } from '../../src/cli/commands/submit';
import { EXIT } from '../../src/cli/exitCodes';
import type { CliIO } from '../../src/cli/output';
import { main } from '../../src/cli/tessera';
import { parseOutputNames, parseWholeNumber, wgslWorkloadBody } from '../../src/cli/wgslSubmission';
import { outputsSummary, resultSummary, workloadDetail } from '../../src/cli/workloadText';

const PI_KERNEL = `fn sample() -> array<f32, 1> {
  let x = uniform();
  let y = uniform();
  return array<f32, 1>(select(0.0, 4.0, x * x + y * y < 1.0));
}
`;

describe('wgsl submission: numbers', () => {
  test('whole numbers as researchers write them', () => {
    const cases: Array<[string, number]> = [
      ['100000000', 1e8],
      ['1e8', 1e8],
      ['1E8', 1e8],
      ['1e+8', 1e8],
      ['2.5e6', 2_500_000],
      ['2^27', 2 ** 27],
      ['1_000_000', 1_000_000],
      ['1,000,000', 1_000_000],
      [' 42 ', 42],
      ['0', 0],
      ['9007199254740991', Number.MAX_SAFE_INTEGER],
    ];
    for (const [text, value] of cases) assert.equal(parseWholeNumber(text, '--samples', 0), value);
  });

  test('anything else is refused with the flag named', () => {
    const refused: Array<[string, RegExp]> = [
      ['', /--samples must be a whole number \(e\.g\./],
      ['abc', /--samples must be a whole number \(e\.g\. --samples 100000000, 1e8 or 2\^27\)/],
      ['1.5', /--samples must be a whole number/],
      ['-5', /--samples must be a whole number/],
      ['+5', /--samples must be a whole number/],
      ['0x10', /--samples must be a whole number/],
      ['1e-3', /--samples must be a whole number/],
      ['1.25e1', /--samples must be a whole number, got "1\.25e1" \(= 12\.5\)/],
      ['1e16', /at most 2\^53 - 1/],
      ['2^60', /at most 2\^53 - 1/],
      ['1e400', /must be a whole number/],
      ['1__000', /must be a whole number/],
      ['0', /--samples must be >= 1, got "0"/],
    ];
    for (const [text, message] of refused) {
      assert.throws(
        () => parseWholeNumber(text, '--samples', 1),
        (error: Error) => error.name === 'UsageError' && message.test(error.message),
        text,
      );
    }
  });

  test('output names: comma-separated, trimmed, none empty or twice, at most 8', () => {
    assert.deepEqual(parseOutputNames('hit, steps'), ['hit', 'steps']);
    assert.deepEqual(parseOutputNames('pi'), ['pi']);
    assert.throws(() => parseOutputNames('hit,,steps'), /has an empty name/);
    assert.throws(() => parseOutputNames('hit,'), /has an empty name/);
    assert.throws(() => parseOutputNames('a,b,a'), /names "a" twice/);
    assert.throws(() => parseOutputNames('a,b,c,d,e,f,g,h,i'), /9 outputs; .* at most 8/);
    assert.equal(parseOutputNames('a,b,c,d,e,f,g,h').length, 8);
  });
});

describe('wgsl submission: the body', () => {
  test('the spec of DESIGN.md section 3, named after the file', () => {
    const body = wgslWorkloadBody({
      file: 'kernels/walk.wgsl',
      source: PI_KERNEL,
      outputs: 'hit,steps',
      samples: '1e8',
      seed: '1',
      samplesPerUnit: '2^22',
    });
    assert.deepEqual(body, {
      name: 'walk.wgsl (WGSL kernel)',
      kind: 'montecarlo',
      spec: {
        estimator: 'wgsl',
        source: PI_KERNEL,
        outputs: ['hit', 'steps'],
        samples: 100_000_000,
        seed: 1,
        samplesPerUnit: 4_194_304,
      },
    });
  });

  test('samples per unit left out is left to the coordinator; --name names it', () => {
    const body = wgslWorkloadBody({
      file: 'pi.wgsl',
      source: PI_KERNEL,
      outputs: 'pi',
      samples: '1000',
      seed: '0',
      name: 'my pi',
    });
    assert.equal(body.name, 'my pi');
    assert.equal('samplesPerUnit' in body.spec, false);
    assert.equal('tolerance' in body.spec, false);
    assert.equal(body.spec.seed, 0);
  });

  test('--tolerance is the relative tolerance replicas are compared within', () => {
    const flags = { file: 'k.wgsl', source: PI_KERNEL, outputs: 'a', samples: '10', seed: '1' };
    assert.equal(wgslWorkloadBody({ ...flags, tolerance: '1e-4' }).spec.tolerance, 1e-4);
    assert.equal(wgslWorkloadBody({ ...flags, tolerance: '0' }).spec.tolerance, 0);
  });

  test('each missing flag is named with an example; an empty file is refused', () => {
    const base = { file: 'k.wgsl', source: PI_KERNEL, outputs: 'a', samples: '10', seed: '1' };
    assert.throws(
      () => wgslWorkloadBody({ ...base, outputs: undefined }),
      /submit --wgsl needs --outputs \(the names of the values sample\(\) returns, e\.g\. hit,steps\)/,
    );
    assert.throws(() => wgslWorkloadBody({ ...base, samples: undefined }), /needs --samples/);
    assert.throws(() => wgslWorkloadBody({ ...base, seed: ' ' }), /needs --seed/);
    assert.throws(() => wgslWorkloadBody({ ...base, samplesPerUnit: '1.5' }), /--samples-per-unit/);
    for (const bad of ['-1e-4', '0.5', 'exact', '']) {
      assert.throws(() => wgslWorkloadBody({ ...base, tolerance: bad }), /--tolerance must be/);
    }
    assert.throws(
      () => wgslWorkloadBody({ ...base, source: ' \n' }),
      /k\.wgsl is empty: no kernel to run/,
    );
  });
});

/** `main` with string sinks: what a person would see, and the exit code. */
async function run(argv: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    // Nothing here may reach a coordinator: port 9 is refused before any connection.
    env: { TESSERA_URL: 'http://127.0.0.1:9', TESSERA_TOKEN: 'unused' },
    cwd,
    now: () => 0,
    onInterrupt: () => () => {},
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('wgsl submission: the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-wgsl-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pi.wgsl'), PI_KERNEL);
  const flags = ['--outputs', 'pi', '--samples', '1e6', '--seed', '1'];

  test('flag mistakes are usage errors (exit 2) with the usage text; nothing is sent', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['submit', '--wgsl', 'pi.wgsl', '--samples', '1e6', '--seed', '1'], /needs --outputs/],
      [['submit', '--wgsl', 'pi.wgsl', ...flags.slice(0, 2), '--seed', '1'], /needs --samples/],
      [
        ['submit', '--wgsl', 'nope.wgsl', ...flags],
        /^tessera: cannot read nope\.wgsl: no such file/,
      ],
      [['submit', '--wgsl', '.', ...flags], /cannot read \.: it is a folder/],
      [['submit', '--wgsl', 'pi.wgsl', 'extra.json', ...flags], /either FILE \(JSON\) or --wgsl/],
      [['submit', 'pi.json', '--outputs', 'pi'], /--outputs describe a kernel given with --wgsl/],
      [['submit', '--wgsl', 'pi.wgsl', ...flags, '--samples', 'lots'], /--samples must be/],
      [['submit', '--wgsl', 'pi.wgsl', ...flags, '--out', 'r.json'], /only apply with --wait/],
      [['submit', '--wgsl'], /argument missing|requires an argument|--wgsl/],
    ];
    for (const [argv, message] of cases) {
      const result = await run(argv, dir);
      assert.equal(result.code, EXIT.usage, `${argv.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, argv.join(' '));
      assert.match(result.stderr, /Usage: tessera/);
      assert.equal(result.stdout, '');
    }
  });

  test('with good flags the body goes to the coordinator (unreachable here: exit 3)', async () => {
    const result = await run(['submit', '--wgsl', 'pi.wgsl', ...flags], dir);
    assert.equal(result.code, EXIT.unreachable, result.stderr);
    assert.match(result.stderr, /cannot reach the coordinator/);
  });

  test('the help names the kernel form of submit', async () => {
    const result = await run(['--help'], dir);
    assert.match(result.stdout, /submit --wgsl KERNEL\.wgsl --outputs NAMES --samples N --seed S/);
  });
});

describe('wgsl submission: what comes back', () => {
  test("a refused kernel's compile error reads with its line and column", () => {
    assert.equal(
      fieldErrorLine({
        path: 'spec.source',
        message: "line 3, column 10: cannot convert 'i32' to 'f32'",
        line: 3,
        column: 10,
      }),
      "spec.source line 3, column 10: cannot convert 'i32' to 'f32'",
    );
    assert.equal(
      fieldErrorLine({ path: 'spec.source', message: 'line 7: no fn sample()', line: 7 }),
      'spec.source line 7: no fn sample()',
    );
    // An error at no line, and every other field, read as before.
    assert.equal(
      fieldErrorLine({ path: 'spec.source', message: 'fn sample() is missing' }),
      'spec.source: fn sample() is missing',
    );
    assert.equal(
      fieldErrorLine({ path: 'spec.samples', message: 'samples must be >= 1' }),
      'spec.samples: samples must be >= 1',
    );
  });

  test("a kernel's result: each output's mean ± stderr and 95% interval, then the samples", () => {
    const result = {
      outputs: {
        hit: { mean: 0.785412, stderr: 0.000411, ci95: [0.784606, 0.786218], rejected: 0 },
        steps: { mean: 12.3141, stderr: 0.0123, ci95: [12.29, 12.3382], rejected: 3 },
      },
      samples: 100_000_000,
      final: true,
      status: 'completed' as const,
      unitsValidated: 6,
      unitsTotal: 6,
    };
    const expected =
      'hit    mean 0.785412 ± 0.000411 (95% CI 0.784606 to 0.786218)\n' +
      'steps  mean 12.3141 ± 0.0123 (95% CI 12.2900 to 12.3382), 3 samples rejected\n' +
      '100,000,000 samples';
    assert.equal(outputsSummary(result), expected);
    assert.equal(resultSummary(result), expected);
    // Not a kernel's result: left to the other summaries.
    assert.equal(outputsSummary({ ...result, outputs: undefined }), null);
  });

  test('status shows the capable tabs and the source by its size, not its text', () => {
    const view = {
      id: 'k1',
      name: 'walk.wgsl (WGSL kernel)',
      kind: 'montecarlo',
      status: 'running',
      progress: {
        unitsTotal: 4,
        unitsValidated: 1,
        unitsInFlight: 2,
        unitsFailed: 0,
        fraction: 0.25,
      },
      spec: {
        estimator: 'wgsl',
        source: PI_KERNEL,
        outputs: ['pi'],
        samples: 4096,
        seed: 1,
        samplesPerUnit: 1024,
      },
      redundancy: { quorum: 2, maxReplicas: 10, maxErrors: 8, adaptive: false },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      completedAt: null,
      failureReason: null,
      capableVolunteers: 2,
    } as WorkloadView;
    const text = workloadDetail(view, 'http://x/workloads/k1');
    assert.match(text, /^Volunteers {2}2 WebGPU tabs online can run its units$/m);
    assert.match(
      text,
      /^Spec {8}montecarlo wgsl: source \(6 lines\), outputs \["pi"\], samples 4,096/m,
    );
    assert.doesNotMatch(text, /uniform\(\)/);
    assert.match(
      workloadDetail({ ...view, capableVolunteers: 0 }, 'u'),
      /^Volunteers {2}no WebGPU tab online \(kernel units run only where WebGPU is\): its units wait$/m,
    );
    assert.doesNotMatch(workloadDetail({ ...view, status: 'completed' }, 'u'), /^Volunteers/m);
  });
});
