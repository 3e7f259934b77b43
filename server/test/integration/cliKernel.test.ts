// `tessera submit --wgsl` with the real binary against a real coordinator (its compile check
// included): a bare .wgsl file and flags become the workload DESIGN.md section 3 describes; a
// kernel that does not compile, given either way (--wgsl, or a JSON spec), is refused with the
// compiler's line and column (exit 1, nothing created); status names the WebGPU tabs that can
// run it.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  TEST_TOKEN,
  api,
  startTestCoordinator,
  tempDir,
  type TestCoordinator,
} from '../support/testCoordinator';
import { tesseraBinary } from '../support/tesseraBinary';

const PI_KERNEL = `fn sample() -> array<f32, 1> {
  let x = uniform();
  let y = uniform();
  return array<f32, 1>(select(0.0, 4.0, x * x + y * y < 1.0));
}
`;
/** A type error on line 2: an i32 `let` initialised with an f32. */
const BAD_KERNEL = `fn sample() -> array<f32, 1> {
  let x: i32 = uniform();
  return array<f32, 1>(f32(x));
}
`;

const tessera = tesseraBinary;

describe('tessera submit --wgsl', { timeout: 120_000 }, () => {
  let c: TestCoordinator;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    c = await startTestCoordinator();
    dir = tempDir('tessera-cli-kernel-');
    writeFileSync(join(dir, 'pi.wgsl'), PI_KERNEL);
    writeFileSync(join(dir, 'bad.wgsl'), BAD_KERNEL);
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({
        kind: 'montecarlo',
        spec: { estimator: 'wgsl', source: BAD_KERNEL, outputs: ['x'], samples: 4096, seed: 1 },
      }),
    );
    env = { TESSERA_URL: c.url, TESSERA_TOKEN: TEST_TOKEN };
  });
  after(async () => {
    await c.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a .wgsl file and flags become the kernel workload; status names the capable tabs', async () => {
    const run = await tessera(
      [
        'submit',
        '--wgsl',
        'pi.wgsl',
        '--outputs',
        'pi',
        '--samples',
        '1e6',
        '--seed',
        '7',
        '--samples-per-unit',
        '2^18',
      ],
      env,
      dir,
    );
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.trim();
    assert.match(run.stderr, /^Submitted workload \S+ "pi\.wgsl \(WGSL kernel\)": 4 units\./);
    const view = await api(c.url, 'GET', `/api/workloads/${id}`);
    assert.equal(view.status, 200);
    assert.deepEqual(view.body.spec, {
      estimator: 'wgsl',
      source: PI_KERNEL,
      outputs: ['pi'],
      samples: 1_000_000,
      seed: 7,
      samplesPerUnit: 2 ** 18,
      // Resolved by the coordinator: + * < on f32 round the same everywhere, so replicas agree exactly.
      tolerance: 0,
    });
    assert.equal(view.body.capableVolunteers, 0);

    const status = await tessera(['status', id], env, dir);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^Spec +montecarlo wgsl: source \(6 lines\), outputs \["pi"\]/m);
    assert.match(status.stdout, /^Volunteers +no WebGPU tab online .*: its units wait$/m);
    assert.equal((await api(c.url, 'DELETE', `/api/workloads/${id}`)).status, 200);
  });

  test("a kernel that does not compile is refused with the compiler's line and column", async () => {
    const before = (await api(c.url, 'GET', '/api/workloads')).body.length;
    const flags = ['--outputs', 'x', '--samples', '4096', '--seed', '1'];
    for (const [args, label] of [
      [['submit', '--wgsl', 'bad.wgsl', ...flags], 'bad.wgsl'],
      [['submit', 'bad.json'], 'bad.json'],
    ] as const) {
      const run = await tessera([...args], env, dir);
      assert.equal(run.code, 1, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `^tessera: the coordinator refused ${label.replace('.', '\\.')} \\(INVALID_SPEC\\):\\n  spec\\.source line 2, column \\d+: \\S.*\\n$`,
        ),
      );
      assert.equal(run.stdout, '');
    }
    assert.equal((await api(c.url, 'GET', '/api/workloads')).body.length, before);
  });
});
