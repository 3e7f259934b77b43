// The engine's contract, rule and gradient suites over the embedded SQLite repository, each on
// a file of its own in a temp folder, removed after (its kept platform counts checked first).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';
import { tempDir } from '../support/testCoordinator';
import { engineContract, type StoreHarness } from './engineContract';
import { engineGradient } from './engineGradient';
import { engineRules } from './engineRules';

/**
 * The platform counts kept as rows change (migration 12, SqliteTx.flush) equal the tables
 * counted, after everything a suite did: leases, results, catches, releases, expiries, restarts.
 */
function countsKept(file: string): void {
  const db = new Database(file, { readonly: true });
  try {
    const kept = Object.fromEntries(
      (
        db.prepare('SELECT name, n FROM platform_counts').all() as Array<{
          name: string;
          n: number;
        }>
      ).map((c) => [c.name, c.n]),
    );
    const counted: Record<string, number> = { volunteers: 0 };
    for (const state of ['in_flight', 'returned', 'timed_out', 'errored', 'valid', 'invalid']) {
      counted[`replicas:${state}`] = 0;
    }
    const rows = db
      .prepare('SELECT state, COUNT(*) AS n FROM replicas GROUP BY state')
      .all() as Array<{
      state: string;
      n: number;
    }>;
    for (const r of rows) counted[`replicas:${r.state}`] = r.n;
    const inFlight = db
      .prepare(
        `SELECT workload_id, COUNT(*) AS n FROM replicas WHERE state = 'in_flight'
         GROUP BY workload_id`,
      )
      .all() as Array<{ workload_id: string; n: number }>;
    for (const r of inFlight) counted[`in_flight:${r.workload_id}`] = r.n;
    // A workload with nothing in flight may keep a count of 0.
    for (const [name, n] of Object.entries(kept)) {
      if (name.startsWith('in_flight:') && n === 0) counted[name] ??= 0;
    }
    counted.volunteers = (
      db.prepare('SELECT COUNT(*) AS n FROM volunteers').get() as { n: number }
    ).n;
    assert.deepEqual(kept, counted, 'platform counts kept = tables counted');
    assert.ok(
      rows.length >= 2,
      `the suite moved replicas through several states: ${JSON.stringify(rows)}`,
    );
  } finally {
    db.close();
  }
}

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
      try {
        countsKept(file);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

engineContract('SQLite', sqliteHarness('tessera-sqlite-'));
engineRules('SQLite', sqliteHarness('tessera-sqlite-rules-'));
engineGradient('SQLite', sqliteHarness('tessera-sqlite-gradient-'));
