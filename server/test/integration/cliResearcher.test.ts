// The real `tessera` binary (bin/tessera.mjs) against a real coordinator on port 0, with
// simulated volunteers computing: submit (--wait to the end), status, result, cancel, a gradient
// workload trained to the end (its step, loss and accuracy, its summary in words, its parameters
// as bytes), the token found from inside a checkout, and every way it can go wrong, each with its
// message and exit code.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GradientVolunteer } from '../../src/sim/gradientVolunteer';
import { SimulatedVolunteer } from '../../src/sim/simulatedVolunteer';
import {
  TEST_TOKEN,
  api,
  startTestCoordinator,
  tempDir,
  waitFor,
  type TestCoordinator,
} from '../support/testCoordinator';

const BIN = fileURLToPath(new URL('../../bin/tessera.mjs', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment with every TESSERA_* variable removed, so only what a test sets counts. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TESSERA_')),
  );
  return { ...env, ...extra };
}

/** Runs the binary without blocking this process's event loop (the coordinator lives here). */
function tessera(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; onStderr?: (text: string) => void } = {},
): Promise<Run> & { pid: () => number | undefined; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: cleanEnv(options.env ?? {}),
    cwd: options.cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    options.onStderr?.(stderr);
  });
  // A hung binary must not outlive its test.
  const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return Object.assign(done, { pid: () => child.pid, kill: (s: NodeJS.Signals) => child.kill(s) });
}

const PI_BODY = {
  kind: 'montecarlo',
  name: 'cli pi',
  spec: { estimator: 'pi', samples: 400_000, seed: 5, samplesPerUnit: 65_536 },
};
const UNITS = Math.ceil(400_000 / 65_536);
const CHILD_TIMEOUT_MS = 60_000;

/** A small softmax on synthetic blobs: 8 inputs, 3 classes, so 8 * 3 + 3 = 27 parameters. */
const BLOBS_BODY = {
  kind: 'gradient',
  name: 'cli blobs',
  spec: {
    model: 'softmax',
    dataset: 'blobs',
    blobs: { train: 600, test: 200, inputSize: 8, classes: 3, seed: 5 },
    optimizer: { name: 'adam', lr: 0.05 },
    batchSize: 64,
    steps: 40,
    shards: 2,
    seed: 77,
    evalEvery: 4,
  },
};
const BLOBS_PARAMETERS = 27;

/** Gradient volunteers working until stopped; a run that throws is kept for the assertion. */
async function gradientCrew(url: string, size: number) {
  const crew = Array.from(
    { length: size },
    (_, i) => new GradientVolunteer({ url, displayName: `cli-gradient-${i}` }),
  );
  await Promise.all(crew.map((v) => v.connect()));
  const failures: unknown[] = [];
  const working = crew.map((v) => v.run().catch((error: unknown) => failures.push(error)));
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= (async () => {
        crew.forEach((v) => v.close());
        await Promise.all(working);
        assert.deepEqual(failures, []);
      })();
      return stopped;
    },
  };
}

describe('tessera researcher commands', { timeout: 240_000 }, () => {
  let c: TestCoordinator;
  let dir: string;
  let piFile: string;
  let auth: Record<string, string>;
  before(async () => {
    c = await startTestCoordinator({ scheduler: { retryAfterMs: 20 } });
    dir = tempDir('tessera-cli-files-');
    piFile = join(dir, 'pi.json');
    writeFileSync(piFile, JSON.stringify(PI_BODY));
    auth = { TESSERA_URL: c.url, TESSERA_TOKEN: TEST_TOKEN };
  });
  after(async () => {
    await c.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('submit --wait --json follows the workload to the end and prints its result', async () => {
    const crew = [0, 1].map((i) => new SimulatedVolunteer({ url: c.url, displayName: `cli${i}` }));
    await Promise.all(crew.map((v) => v.connect()));
    const working = crew.map((v) => v.run());
    let run: Run;
    try {
      run = await tessera(['submit', piFile, '--wait', '--interval', '0.1', '--json'], {
        env: auth,
      });
    } finally {
      crew.forEach((v) => v.close());
      await Promise.all(working);
    }
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.final, true);
    assert.equal(result.samples, 400_000);
    assert.equal(result.unitsValidated, UNITS);
    assert.ok(Math.abs(result.estimate - Math.PI) < 5 * result.stderr);
    assert.match(run.stderr, /^Submitted workload \S+ "cli pi": 7 units\. Live view: http:/);
    // Not a terminal: plain progress lines, the last one at 100%.
    assert.match(
      run.stderr,
      new RegExp(`\\d\\d:\\d\\d:\\d\\d completed ${UNITS}/${UNITS} units \\(100\\.0%\\), done\\n`),
    );
    assert.doesNotMatch(run.stderr, /\r/);
    assert.match(
      run.stderr,
      /estimate 3\.\d+ ± 0\.\d+ \(95% CI 3\.\d+ to 3\.\d+\), 400,000 samples/,
    );
  });

  test('submit prints the id; status, result and cancel act on it', async () => {
    const submitted = await tessera(['submit', piFile], { env: auth });
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    assert.match(id, /^[\w-]+$/);

    const one = await tessera(['status', id], { env: auth });
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, new RegExp(`^Workload +${id} +"cli pi"$`, 'm'));
    assert.match(one.stdout, /^Status +queued$/m);
    assert.match(
      one.stdout,
      new RegExp(`^Progress +0 / ${UNITS} units validated \\(0\\.0%\\)`, 'm'),
    );
    assert.match(
      one.stdout,
      /^Spec +montecarlo pi: samples 400,000, seed 5, samplesPerUnit 65,536$/m,
    );
    assert.match(one.stdout, new RegExp(`^Live view +${c.url}/workloads/${id}$`, 'm'));

    const table = await tessera(['status', '--url', c.url]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID +NAME +STATUS +PROGRESS +CREATED$/m);
    assert.match(
      table.stdout,
      new RegExp(`^${id} +cli pi +queued +0/${UNITS} 0\\.0% +\\d{4}-`, 'm'),
    );
    const json = await tessera(['status', id, '--json'], { env: auth });
    assert.equal(JSON.parse(json.stdout).id, id);

    const early = await tessera(['result', id], { env: auth });
    assert.equal(early.code, 1);
    assert.match(early.stderr, /has no validated units yet \(status queued\) \(NOT_READY\)/);

    const cancelled = await tessera(['cancel', id], { env: auth });
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(cancelled.stdout, `${id} cancelled\n`);
    assert.equal((await api(c.url, 'GET', `/api/workloads/${id}`)).body.status, 'cancelled');
    const again = await tessera(['cancel', id], { env: auth });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already cancelled \(CONFLICT\)/);

    const missing = await tessera(['status', 'no-such-id'], { env: auth });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no workload with id no-such-id \(NOT_FOUND\)/);
  });

  test('result --out writes the JSON to a file, stdout stays empty', async () => {
    const id = (await api(c.url, 'POST', '/api/workloads', PI_BODY)).body.id as string;
    const volunteer = new SimulatedVolunteer({ url: c.url });
    const other = new SimulatedVolunteer({ url: c.url });
    await Promise.all([volunteer.connect(), other.connect()]);
    const isDone = async () =>
      (await api(c.url, 'GET', `/api/workloads/${id}`)).body.status === 'completed';
    let finished = false;
    const working = [volunteer, other].map((v) => v.run(() => finished));
    while (!(await isDone())) await new Promise((r) => setTimeout(r, 50));
    finished = true;
    [volunteer, other].forEach((v) => v.close());
    await Promise.all(working);

    const out = join(dir, 'result.json');
    const run = await tessera(['result', id, '--out', out], { env: auth });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, new RegExp(`Wrote the result of workload ${id} to ${out}`));
    const written = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(written, (await api(c.url, 'GET', `/api/workloads/${id}/result`)).body);
  });

  describe('gradient workloads', () => {
    let blobsFile: string;
    let trainedId: string;
    before(() => {
      blobsFile = join(dir, 'blobs.json');
      writeFileSync(blobsFile, JSON.stringify(BLOBS_BODY));
    });

    test('submit --wait shows step, loss and accuracy while it trains, then only the model in words', async () => {
      // A log line mid-run: it comes at most every 5 s, so the first crew stops after the first
      // held-out evaluation and the second starts once that line is out.
      const midRun =
        /\d\d:\d\d:\d\d running \d+\/\d+ units \(\d+\.\d%\), step \d+\/40, loss \d+\.\d+, accuracy 0\.\d{4}, (ETA|waiting)/;
      let announced!: (id: string) => void;
      const submitted = new Promise<string>((resolve) => (announced = resolve));
      let logged!: () => void;
      const sawMidRun = new Promise<void>((resolve) => (logged = resolve));
      const first = await gradientCrew(c.url, 2);
      const run = tessera(['submit', blobsFile, '--wait', '--interval', '0.1'], {
        env: auth,
        onStderr: (text) => {
          const id = /Submitted workload (\S+)/.exec(text)?.[1];
          if (id) announced(id);
          if (midRun.test(text)) logged();
        },
      });
      let second: Awaited<ReturnType<typeof gradientCrew>> | null = null;
      try {
        const id = await Promise.race([submitted, run.then(() => 'exited')]);
        assert.notEqual(id, 'exited');
        await waitFor(
          async () => {
            const result = await api(c.url, 'GET', `/api/workloads/${id}/result`);
            return result.status === 200 && result.body.accuracy !== null;
          },
          20_000,
          'the first held-out evaluation',
        );
        await first.stop();
        assert.equal(
          await Promise.race([sawMidRun.then(() => 'seen'), run.then(() => 'exited')]),
          'seen',
        );
        second = await gradientCrew(c.url, 2);
      } finally {
        await first.stop();
      }
      const done = await run;
      await second?.stop();

      assert.equal(done.code, 0, done.stderr);
      // The summary in words only: the JSON, a line per step, is for --json or --out.
      assert.equal(done.stdout, '');
      trainedId = /Submitted workload (\S+) "cli blobs"/.exec(done.stderr)![1]!;
      const result = (await api(c.url, 'GET', `/api/workloads/${trainedId}/result`)).body;
      assert.equal(result.kind, 'gradient');
      assert.equal(result.final, true);
      assert.equal(result.version, 40);
      assert.equal(result.stepsTotal, 40);
      assert.equal(result.steps.length, 40);
      assert.equal(result.parameterCount, BLOBS_PARAMETERS);
      assert.ok(
        done.stderr.endsWith(`Its full result as JSON: tessera result ${trainedId}\n`),
        done.stderr,
      );
      assert.doesNotMatch(done.stderr, /\r/);
      assert.match(
        done.stderr,
        /\d\d:\d\d:\d\d completed (\d+)\/\1 units \(100\.0%\), step 40\/40, loss \d+\.\d+, accuracy 0\.\d{4}, done\n/,
      );
      assert.ok(
        done.stderr.includes(
          `trained 40 steps: held-out accuracy ${result.accuracy.toFixed(4)}, final loss ${result.loss.toPrecision(3)}; 27 parameters\n`,
        ),
        done.stderr,
      );
    });

    test('status shows where training stands', async () => {
      const run = await tessera(['status', trainedId], { env: auth });
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        /^Training +step 40\/40, loss \d+\.\d+, accuracy 0\.\d{4}; 27 parameters$/m,
      );
      assert.match(
        run.stdout,
        /^Spec +gradient softmax on blobs: blobs \{"train":600,.*steps 40, shards 2, seed 77, aggregation mean, tolerance 0\.0001, evalEvery 4, maxStaleness 0$/m,
      );

      const fresh = (await api(c.url, 'POST', '/api/workloads', BLOBS_BODY)).body.id as string;
      try {
        const untouched = await tessera(['status', fresh], { env: auth });
        assert.equal(untouched.code, 0, untouched.stderr);
        assert.match(untouched.stdout, /^Training +no unit validated yet$/m);
        // The parameters exist from the start (the initial ones), unlike the JSON result.
        const out = join(dir, 'initial.bin');
        const bin = await tessera(['result', fresh, '--format', 'bin', '--out', out], {
          env: auth,
        });
        assert.equal(bin.code, 0, bin.stderr);
        assert.equal(readFileSync(out).byteLength, 4 * BLOBS_PARAMETERS);
        assert.match(bin.stderr, /at step 0 \(not final: workload queued\) to /);
      } finally {
        await api(c.url, 'DELETE', `/api/workloads/${fresh}`);
      }
    });

    test('result --format bin writes the parameters as float32 bytes', async () => {
      const out = join(dir, 'params.bin');
      const run = await tessera(['result', trainedId, '--format', 'bin', '--out', out], {
        env: auth,
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, '');
      const bytes = readFileSync(out);
      assert.equal(bytes.byteLength, 4 * BLOBS_PARAMETERS);
      const served = await fetch(`${c.url}/api/workloads/${trainedId}/result?format=bin`);
      assert.deepEqual(new Uint8Array(bytes), new Uint8Array(await served.arrayBuffer()));
      assert.equal(
        run.stderr,
        `Wrote 27 float32 parameters (108 bytes, little-endian) of workload ${trainedId} at step 40, final, to ${out}\n`,
      );
    });

    test('--format bin is refused without --out, and for a workload that is not gradient', async () => {
      const noOut = await tessera(['result', trainedId, '--format', 'bin'], { env: auth });
      assert.equal(noOut.code, 2);
      assert.equal(noOut.stdout, '');
      assert.match(
        noOut.stderr,
        /^tessera: --format bin writes binary \(float32 bytes\): give --out FILE\n/,
      );

      const badFormat = await tessera(['result', trainedId, '--format', 'xml'], { env: auth });
      assert.equal(badFormat.code, 2);
      assert.match(badFormat.stderr, /^tessera: --format must be json, bin or csv\n/);
      const csv = await tessera(['result', trainedId, '--format', 'csv'], { env: auth });
      assert.equal(csv.code, 1);
      assert.match(csv.stderr, /format=csv is for inference workloads/);

      const pi = (await api(c.url, 'POST', '/api/workloads', PI_BODY)).body.id as string;
      try {
        const out = join(dir, 'pi.bin');
        const refused = await tessera(['result', pi, '--format', 'bin', '--out', out], {
          env: auth,
        });
        assert.equal(refused.code, 1);
        assert.equal(
          refused.stderr,
          `tessera: workload ${pi} is a montecarlo workload: --format bin downloads the parameters of gradient workloads; its result is JSON (tessera result ${pi})\n`,
        );
        assert.throws(() => readFileSync(out), { code: 'ENOENT' });
      } finally {
        await api(c.url, 'DELETE', `/api/workloads/${pi}`);
      }
    });
  });

  test('a file that cannot be read as JSON is a usage error: exit 2, nothing sent', async () => {
    const before = (await api(c.url, 'GET', '/api/workloads')).body.length;
    const missing = await tessera(['submit', join(dir, 'nope.json')], { env: auth });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^tessera: cannot read .*nope\.json: no such file\n/);
    const garbled = join(dir, 'garbled.json');
    writeFileSync(garbled, '{ "kind": "montecarlo", ');
    const notJson = await tessera(['submit', garbled], { env: auth });
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /garbled\.json is not valid JSON/);
    assert.equal((await api(c.url, 'GET', '/api/workloads')).body.length, before);
  });

  test("a bad spec shows the server's field errors and exits 1", async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ kind: 'montecarlo', spec: { estimator: 'pi', samples: 0, seed: 1.5 } }),
    );
    const run = await tessera(['submit', bad], { env: auth });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr,
      `tessera: the coordinator refused ${bad} (INVALID_SPEC):\n` +
        '  spec.samples: samples must be >= 1\n' +
        '  spec.seed: seed must be an integer\n',
    );
    assert.equal(run.stdout, '');
  });

  test('an unreachable coordinator exits 3 and says so in words', async () => {
    const gone = await startTestCoordinator();
    await gone.cleanup();
    const run = await tessera(['status', '--url', gone.url]);
    assert.equal(run.code, 3);
    assert.match(
      run.stderr,
      new RegExp(
        `^tessera: cannot reach the coordinator at ${gone.url}: connection refused .*\\(ECONNREFUSED\\)\\n`,
      ),
    );
    assert.match(
      run.stderr,
      /Start one with `npm start`, or point at one with --url or TESSERA_URL/,
    );
    const badUrl = await tessera(['status', '--url', 'localhost:8080']);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /is not an http\(s\) URL/);
  });

  test('a refused token exits 3 and names where the token came from', async () => {
    const flag = await tessera(['submit', piFile, '--url', c.url, '--token', 'wrong']);
    assert.equal(flag.code, 3);
    assert.match(flag.stderr, /a researcher token is required.*\(UNAUTHORIZED\)/);
    assert.match(
      flag.stderr,
      new RegExp(`The coordinator at ${c.url} does not accept the token from --token`),
    );
    const none = await tessera(['cancel', 'x', '--url', c.url], { cwd: dir });
    assert.equal(none.code, 3);
    assert.match(none.stderr, /No token was given/);
  });

  test('without flags or TESSERA_TOKEN the token is read from data/researcher.token, from the checkout root or a folder inside it', async () => {
    const root = join(dir, 'project');
    mkdirSync(join(root, 'data'), { recursive: true });
    mkdirSync(join(root, 'server'), { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'tessera' }));
    writeFileSync(join(root, 'data', 'researcher.token'), `${TEST_TOKEN}\n`);
    for (const cwd of [root, join(root, 'server')]) {
      const run = await tessera(['submit', piFile], { cwd, env: { TESSERA_URL: c.url } });
      assert.equal(run.code, 0, `${cwd}: ${run.stderr}`);
      const id = run.stdout.trim();
      assert.equal((await api(c.url, 'GET', `/api/workloads/${id}`)).status, 200);
      // Nothing left queued for the volunteers of later tests.
      assert.equal((await api(c.url, 'DELETE', `/api/workloads/${id}`)).status, 200);
    }
  });

  test('every example in examples/ is accepted by the coordinator', async () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
    assert.ok(files.includes('pi.json'));
    // Its own coordinator: these are full-size workloads no test volunteer should pick up.
    const own = await startTestCoordinator();
    try {
      for (const file of files) {
        const run = await tessera(['submit', join(EXAMPLES, file)], {
          env: { TESSERA_URL: own.url, TESSERA_TOKEN: TEST_TOKEN },
        });
        assert.equal(run.code, 0, `${file}: ${run.stderr}`);
      }
    } finally {
      await own.cleanup();
    }
  });

  test('Ctrl-C while waiting leaves the workload running and exits 130', async () => {
    let submitted!: () => void;
    const seen = new Promise<void>((resolve) => (submitted = resolve));
    const run = tessera(['submit', piFile, '--wait'], {
      env: auth,
      onStderr: (text) => text.includes('Submitted workload') && submitted(),
    });
    await seen;
    run.kill('SIGINT');
    const result = await run;
    assert.equal(result.code, 130, result.stderr);
    assert.match(
      result.stderr,
      /No volunteers are online yet: open http:\/\/127\.0\.0\.1:\d+\/ in a browser tab/,
    );
    const id = /Stopped waiting; workload (\S+) goes on/.exec(result.stderr)?.[1];
    assert.ok(id, result.stderr);
    assert.equal((await api(c.url, 'GET', `/api/workloads/${id}`)).body.status, 'queued');
    assert.equal((await api(c.url, 'DELETE', `/api/workloads/${id}`)).status, 200);
  });

  test(
    'on a terminal the progress is one line redrawn in place',
    { skip: !hasScript() },
    async () => {
      const crew = [0, 1].map(() => new SimulatedVolunteer({ url: c.url }));
      await Promise.all(crew.map((v) => v.connect()));
      const working = crew.map((v) => v.run());
      let run: Run;
      try {
        // `script` gives the binary a pseudo-terminal, as an interactive shell would.
        const command = [process.execPath, BIN, 'submit', piFile, '--wait', '--interval', '0.1']
          .map((a) => `'${a}'`)
          .join(' ');
        run = await new Promise<Run>((resolve) => {
          const child = spawn('script', ['-qec', command, '/dev/null'], {
            env: cleanEnv(auth),
            stdio: ['ignore', 'pipe', 'pipe'],
            detached: true,
          });
          let stdout = '';
          child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
          const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), CHILD_TIMEOUT_MS);
          child.on('close', (code, signal) => {
            clearTimeout(killer);
            resolve({ code, signal, stdout, stderr: '' });
          });
        });
      } finally {
        crew.forEach((v) => v.close());
        await Promise.all(working);
      }
      assert.equal(run.code, 0, run.stdout);
      assert.match(
        run.stdout,
        new RegExp(`\\r\\[█{30}\\]  ${UNITS}/${UNITS} units  100\\.0%  done\\x1b\\[K`),
      );
      assert.match(run.stdout, /\r\[[█░]{30}\]  \d\/7 units  \d+\.\d%  (ETA|waiting)/);
      assert.doesNotMatch(
        run.stdout,
        /\d\d:\d\d:\d\d (running|completed) /,
        'no plain lines on a terminal',
      );
    },
  );
});

function hasScript(): boolean {
  return spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
}
