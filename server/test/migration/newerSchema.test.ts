// A database migrated by a newer Tessera is refused at start, with a message that says why, and
// left as it was: SQLite (a data folder opened by an older coordinator) and PostgreSQL (a
// coordinator of an older version joining a cluster's database).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PG_MIGRATIONS } from '../../src/repository/postgres/pgMigrations';
import { SQLITE_MIGRATIONS } from '../../src/repository/sqlite/migrations';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';
import { dropSchema, openPg, TEST_DATABASE_URL, testSchema } from '../support/postgres';
import { tempDir } from '../support/testCoordinator';

const newest = (migrations: ReadonlyArray<{ version: number }>) =>
  Math.max(...migrations.map((m) => m.version));
const REFUSED =
  /schema version (\d+), written by a newer Tessera; this coordinator knows versions up to (\d+)/;

describe('a database of a newer schema', () => {
  const dir = tempDir('tessera-newer-schema-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('SQLite: refused at open, the file left as it was, and opened again once the version is known', async () => {
    const file = join(dir, 'tessera.sqlite');
    await new SqliteRepository(file).close();
    const future = newest(SQLITE_MIGRATIONS) + 1;
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(future);
    db.close();
    assert.throws(
      () => new SqliteRepository(file),
      (error: Error) => {
        const m = REFUSED.exec(error.message);
        assert.ok(m, error.message);
        assert.deepEqual([Number(m[1]), Number(m[2])], [future, newest(SQLITE_MIGRATIONS)]);
        return true;
      },
    );
    // Nothing was changed, and the file is not held open: removing the future version opens it.
    const again = new Database(file);
    assert.equal(
      (again.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v,
      future,
    );
    again.prepare('DELETE FROM schema_migrations WHERE version = ?').run(future);
    again.close();
    const reopened = new SqliteRepository(file);
    assert.equal(reopened.schemaVersion(), newest(SQLITE_MIGRATIONS));
    await reopened.close();
  });

  test('PostgreSQL: refused at open with the same words, the schema left as it was', async () => {
    const schema = testSchema('newer');
    try {
      await (await openPg(schema)).close();
      const future = newest(PG_MIGRATIONS) + 1;
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(
          `INSERT INTO "${schema}".schema_migrations (version, applied_at) VALUES ($1, 0)`,
          [future],
        );
        await assert.rejects(openPg(schema), (error: Error) => {
          const m = REFUSED.exec(error.message);
          assert.ok(m, error.message);
          assert.deepEqual([Number(m[1]), Number(m[2])], [future, newest(PG_MIGRATIONS)]);
          return true;
        });
        const { rows } = await client.query<{ v: number }>(
          `SELECT MAX(version) AS v FROM "${schema}".schema_migrations`,
        );
        assert.equal(rows[0]!.v, future);
      } finally {
        await client.end();
      }
    } finally {
      await dropSchema(schema);
    }
  });
});
