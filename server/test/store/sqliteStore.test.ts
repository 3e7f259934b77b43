import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore';
import { tempDir } from '../support/testCoordinator';
import { storeContract } from './storeContract';

const dir = tempDir('tessera-sqlite-');
const file = join(dir, 'tessera.sqlite');

storeContract('SQLite', {
  async open() {
    return new SqliteStore(file);
  },
  async reopen(store) {
    await store.close();
    return new SqliteStore(file);
  },
  async dispose() {
    rmSync(dir, { recursive: true, force: true });
  },
});
