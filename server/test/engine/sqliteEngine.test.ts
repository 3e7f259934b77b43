// The engine's contract, rule and gradient suites over the embedded SQLite repository, each on
// a file of its own in a temp folder, removed after.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';
import { tempDir } from '../support/testCoordinator';
import { engineContract, type StoreHarness } from './engineContract';
import { engineGradient } from './engineGradient';
import { engineRules } from './engineRules';

function sqliteHarness(prefix: string): StoreHarness {
  const dir = tempDir(prefix);
  const file = join(dir, 'tessera.sqlite');
  return {
    async open() {
      return new SqliteRepository(file);
    },
    async reopen(repository) {
      await repository.close();
      return new SqliteRepository(file);
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

engineContract('SQLite', sqliteHarness('tessera-sqlite-'));
engineRules('SQLite', sqliteHarness('tessera-sqlite-rules-'));
engineGradient('SQLite', sqliteHarness('tessera-sqlite-gradient-'));
