// Where the CLI finds the data folder and the researcher token: TESSERA_DATA and --data as given,
// else the nearest data/ holding the coordinator's files from the current folder up to the root
// of the Tessera checkout (so `npx tessera` works from the root and from server/), and the
// token create command writing where the coordinator reads.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveConnection } from '../../src/cli/connection';
import { findDataDir } from '../../src/cli/dataDir';
import type { CliIO } from '../../src/cli/output';
import { main } from '../../src/cli/tessera';
import { tempDir } from '../support/testCoordinator';

/**
 * outer/
 *   data/researcher.token            (above the checkout: never found from inside it)
 *   checkout/package.json            {"name": "tessera"}
 *   checkout/data/researcher.token
 *   checkout/server/package.json     {"name": "@tessera/server"}
 *   checkout/server/src/cli/
 *   checkout/e2e/data/fixture.csv    (a data/ folder without the coordinator's files)
 */
function layout(root: string) {
  const checkout = join(root, 'checkout');
  const write = (path: string, text: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  };
  write(join(root, 'data', 'researcher.token'), 'outer-token\n');
  write(join(checkout, 'package.json'), JSON.stringify({ name: 'tessera' }));
  write(join(checkout, 'data', 'researcher.token'), 'checkout-token\n');
  write(join(checkout, 'server', 'package.json'), JSON.stringify({ name: '@tessera/server' }));
  mkdirSync(join(checkout, 'server', 'src', 'cli'), { recursive: true });
  write(join(checkout, 'e2e', 'data', 'fixture.csv'), 'x\n1\n');
  return checkout;
}

describe('the data folder', () => {
  let root: string;
  let checkout: string;
  before(() => {
    root = tempDir('tessera-datadir-');
    checkout = layout(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('found from the checkout root and from any folder inside it', () => {
    const expected = { path: join(checkout, 'data'), source: 'found' };
    for (const cwd of [
      checkout,
      join(checkout, 'server'),
      join(checkout, 'server', 'src', 'cli'),
      join(checkout, 'e2e'),
    ]) {
      assert.deepEqual(findDataDir({ env: {}, cwd }), expected, cwd);
    }
  });

  test('TESSERA_DATA and --data are used as given, relative to the current folder', () => {
    const cwd = join(checkout, 'server');
    assert.deepEqual(findDataDir({ env: { TESSERA_DATA: 'elsewhere' }, cwd }), {
      path: join(cwd, 'elsewhere'),
      source: 'TESSERA_DATA',
    });
    assert.deepEqual(findDataDir({ flag: '/srv/tessera', env: { TESSERA_DATA: 'x' }, cwd }), {
      path: '/srv/tessera',
      source: '--data',
    });
    // Empty means unset, as for the coordinator.
    assert.equal(findDataDir({ env: { TESSERA_DATA: '' }, cwd }).source, 'found');
  });

  test('the search stops at the checkout root: a data folder above it is not its own', () => {
    rmSync(join(checkout, 'data'), { recursive: true });
    try {
      // Nothing yet: the checkout root's data/, where `npm start` would put it.
      assert.deepEqual(findDataDir({ env: {}, cwd: join(checkout, 'server') }), {
        path: join(checkout, 'data'),
        source: 'default',
      });
    } finally {
      mkdirSync(join(checkout, 'data'));
      writeFileSync(join(checkout, 'data', 'researcher.token'), 'checkout-token\n');
    }
  });

  test('outside any checkout: the nearest data/ above, else ./data', () => {
    const loose = join(root, 'loose', 'deeper');
    mkdirSync(loose, { recursive: true });
    assert.deepEqual(findDataDir({ env: {}, cwd: loose }), {
      path: join(root, 'data'),
      source: 'found',
    });
    const bare = tempDir('tessera-datadir-bare-');
    try {
      assert.deepEqual(findDataDir({ env: {}, cwd: bare }), {
        path: join(bare, 'data'),
        source: 'default',
      });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  test('the token is read from the data folder found, and says where it came from', () => {
    const fromServer = resolveConnection({ env: {}, cwd: join(checkout, 'server') });
    assert.equal(fromServer.token, 'checkout-token');
    assert.equal(fromServer.tokenSource, join(checkout, 'data', 'researcher.token'));
    const flagged = resolveConnection({ token: 'given', env: {}, cwd: checkout });
    assert.equal(flagged.token, 'given');
    assert.equal(flagged.tokenFile, null);
    const named = resolveConnection({ env: { TESSERA_DATA: 'nowhere' }, cwd: checkout });
    assert.equal(named.token, undefined);
    assert.equal(named.tokenSource, null);
    assert.equal(named.tokenFile, join(checkout, 'nowhere', 'researcher.token'));
  });

  test('token create from server/ writes into the checkout data folder', async () => {
    let stdout = '';
    let stderr = '';
    const io: CliIO = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      cwd: join(checkout, 'server'),
      now: () => 0,
      onInterrupt: () => () => {},
    };
    const code = await main(['token', 'create', '--name', 'lab laptop'], io);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^tsr_/);
    assert.ok(existsSync(join(checkout, 'data', 'tessera.sqlite')));
    assert.ok(!existsSync(join(checkout, 'server', 'data')));
    assert.match(stderr, new RegExp(`created in ${join(checkout, 'data')} with share 1`));
  });
});
