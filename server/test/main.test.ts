// `npm start`'s entry point as a real process: first-start token, restart, clean shutdown.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/testCoordinator';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Starts the coordinator, resolves with its output once it listens, and a stop function. */
function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      TESSERA_TOKEN: '',
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on http:\/\/\S+:(\d+)/.test(output)) resolve(output);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)));
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { listening, exited, stop: () => child.kill('SIGTERM') };
}

describe('coordinator process', () => {
  const dataDir = tempDir('tessera-main-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('the first start mints a researcher token, prints it once and saves it with mode 0600', async () => {
    const first = startMain({ TESSERA_DATA: dataDir });
    const output = await first.listening;
    const file = join(dataDir, 'researcher.token');
    const token = readFileSync(file, 'utf8').trim();
    assert.match(token, /^tsr_/);
    assert.ok(output.includes(token), 'printed once on the first start');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const port = /:(\d+) \(data/.exec(output)![1];
    const res = await fetch(`http://127.0.0.1:${port}/api/workloads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'montecarlo',
        spec: { estimator: 'pi', samples: 100, seed: 1 },
      }),
    });
    assert.equal(res.status, 201);
    first.stop();
    assert.equal(await first.exited, 0, 'SIGTERM shuts down cleanly');

    const second = startMain({ TESSERA_DATA: dataDir });
    const again = await second.listening;
    assert.ok(!again.includes(token), 'never printed again');
    assert.doesNotMatch(again, /Researcher token/);
    second.stop();
    await second.exited;
  });

  test('a bad environment variable stops the start with a message naming it', async () => {
    const bad = startMain({ TESSERA_DATA: dataDir, PORT: 'eighty' });
    await assert.rejects(bad.listening, /PORT/);
    assert.equal(await bad.exited, 1);
  });
});
