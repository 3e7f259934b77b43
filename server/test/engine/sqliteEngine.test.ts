// The engine's contract, rule and gradient suites over the embedded SQLite repository, each on
// a file of its own in a temp folder, removed after (its kept platform counts and its canonical
// results stored once checked first).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';
import { assertCanonicalsStoredOnce, canonicalStorageSql } from '../support/canonicalStorage';
import { tempDir } from '../support/testCoordinator';
import { engineContract, type StoreHarness } from './engineContract';
import { engineGradient } from './engineGradient';
import { engineRules } from './engineRules';

/**
 * The platform counts kept as rows change (migration 12, SqliteTx.flush) equal the tables
 * counted, after everything a suite did: leases, results, catches, releases, expiries, restarts.
 */
function countsKept(file: string, canonicalsLeft: boolean): void {
  const db = new Database(file, { readonly: true });
  // A count of 0 and no row are the same count.
  const nonZero = (rows: unknown) =>
    Object.fromEntries(
      (rows as Array<{ name: string; n: number }>)
        .filter((r) => r.n !== 0)
        .map((r) => [r.name, r.n]),
    );
  try {
    const kept = nonZero(db.prepare('SELECT name, n FROM platform_counts').all());
    const counted = nonZero(
      db
        .prepare(
          `SELECT 'replicas:' || state AS name, COUNT(*) AS n FROM replicas GROUP BY state
           UNION ALL SELECT 'volunteers', COUNT(*) FROM volunteers
           UNION ALL SELECT 'in_flight:' || workload_id, COUNT(*) FROM replicas
             WHERE state = 'in_flight' GROUP BY workload_id`,
        )
        .all(),
    );
    assert.deepEqual(kept, counted, 'platform counts kept = tables counted');
    assertCanonicalsStoredOnce(
      db.prepare(canonicalStorageSql(null)).get() as Record<string, unknown>,
      canonicalsLeft,
    );
    const states = Object.keys(counted).filter((name) => name.startsWith('replicas:'));
    assert.ok(states.length >= 2, `the suite moved replicas through several states: ${states}`);
  } finally {
    db.close();
  }
}

/** `canonicalsLeft`: the suite leaves validated units (the gradient suite's rounds close). */
function sqliteHarness(prefix: string, canonicalsLeft = true): StoreHarness {
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
      try {
        countsKept(file, canonicalsLeft);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

engineContract('SQLite', sqliteHarness('tessera-sqlite-'));
engineRules('SQLite', sqliteHarness('tessera-sqlite-rules-'));
engineGradient('SQLite', sqliteHarness('tessera-sqlite-gradient-', false));
