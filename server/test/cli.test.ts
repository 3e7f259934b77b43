// The real `tessera` binary against a real data folder and a real coordinator.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { api, startTestCoordinator, tempDir } from './support/testCoordinator';

const BIN = fileURLToPath(new URL('../bin/tessera.mjs', import.meta.url));

function tessera(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('tessera CLI', () => {
  const dataDir = tempDir('tessera-cli-');
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('token create makes a token the coordinator accepts', async () => {
    const run = tessera(['token', 'create', '--name', 'lab laptop', '--data', dataDir]);
    assert.equal(run.code, 0, run.stderr);
    const token = run.stdout.trim();
    assert.match(token, /^tsr_[A-Za-z0-9_-]{32}$/);
    assert.match(run.stderr, /Token "lab laptop" created/);
    const c = await startTestCoordinator({ dataDir });
    try {
      const ok = await api(
        c.url,
        'POST',
        '/api/workloads',
        { kind: 'montecarlo', spec: { estimator: 'pi', samples: 1000, seed: 1 } },
        token,
      );
      assert.equal(ok.status, 201);
      const bad = await api(
        c.url,
        'POST',
        '/api/workloads',
        { kind: 'montecarlo', spec: { estimator: 'pi', samples: 1000, seed: 1 } },
        `${token}x`,
      );
      assert.equal(bad.status, 401);
    } finally {
      await c.stop();
    }
  });

  test('usage errors exit 2 with the usage text', () => {
    const missing = tessera(['token', 'create', '--data', join(dataDir, 'x')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs --name/);
    assert.match(missing.stderr, /Usage: tessera/);
    assert.equal(tessera(['frobnicate']).code, 2);
    assert.equal(tessera(['token', 'create', '--name', 'a', '--bogus']).code, 2);
    const help = tessera(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /token create --name NAME/);
  });
});
