import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';
import { tempDir } from '../support/testCoordinator';
import { engineContract } from './engineContract';
import { engineGradient } from './engineGradient';
import { engineRules } from './engineRules';

const dir = tempDir('tessera-sqlite-');
const file = join(dir, 'tessera.sqlite');

engineContract('SQLite', {
  async open() {
    return new SqliteRepository(file);
  },
  async reopen(store) {
    await store.close();
    return new SqliteRepository(file);
  },
  async dispose() {
    rmSync(dir, { recursive: true, force: true });
  },
});

const rulesDir = tempDir('tessera-sqlite-rules-');
engineRules('SQLite', {
  async open() {
    return new SqliteRepository(join(rulesDir, 'tessera.sqlite'));
  },
  async reopen(repository) {
    await repository.close();
    return new SqliteRepository(join(rulesDir, 'tessera.sqlite'));
  },
  async dispose() {
    rmSync(rulesDir, { recursive: true, force: true });
  },
});

const gradientDir = tempDir('tessera-sqlite-gradient-');
engineGradient('SQLite', {
  async open() {
    return new SqliteRepository(join(gradientDir, 'tessera.sqlite'));
  },
  async reopen(repository) {
    await repository.close();
    return new SqliteRepository(join(gradientDir, 'tessera.sqlite'));
  },
  async dispose() {
    rmSync(gradientDir, { recursive: true, force: true });
  },
});
