// The engine's contract, rule and gradient suites over PostgreSQL, each in a schema of its own,
// dropped after (its kept platform counts and canonical results stored once checked first): the
// same suites as sqliteEngine.test.ts, so both repositories keep one contract.
import assert from 'node:assert/strict';
import pg from 'pg';
import type { StoreHarness } from './engineContract';
import { engineContract } from './engineContract';
import { engineGradient } from './engineGradient';
import { engineRules } from './engineRules';
import { assertCanonicalsStoredOnce, canonicalStorageSql } from '../support/canonicalStorage';
import { dropSchema, openPg, TEST_DATABASE_URL, testSchema } from '../support/postgres';

/**
 * The platform counts kept as rows change (migration 4, PgTx: one row per count and backend)
 * equal the tables counted, after everything a suite did.
 */
async function countsKept(schema: string, canonicalsLeft: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const kept = await client.query<{ name: string; n: string }>(
      `SELECT name, SUM(n)::text AS n FROM "${schema}".platform_counts GROUP BY name`,
    );
    const counted = await client.query<{ name: string; n: string }>(
      `SELECT 'replicas:' || state AS name, COUNT(*)::text AS n FROM "${schema}".replicas
         GROUP BY state
       UNION ALL SELECT 'volunteers', COUNT(*)::text FROM "${schema}".volunteers
       UNION ALL SELECT 'in_flight:' || workload_id, COUNT(*)::text FROM "${schema}".replicas
         WHERE state = 'in_flight' GROUP BY workload_id`,
    );
    const byName = (rows: Array<{ name: string; n: string }>) =>
      Object.fromEntries(rows.filter((r) => r.n !== '0').map((r) => [r.name, Number(r.n)]));
    assert.deepEqual(
      byName(kept.rows),
      byName(counted.rows),
      'platform counts kept = tables counted',
    );
    assert.ok(counted.rows.length >= 3, JSON.stringify(counted.rows));
    assertCanonicalsStoredOnce(
      (await client.query(canonicalStorageSql(schema))).rows[0],
      canonicalsLeft,
    );
  } finally {
    await client.end();
  }
}

/** `canonicalsLeft`: the suite leaves validated units (the gradient suite's rounds close). */
function pgHarness(prefix: string, canonicalsLeft = true): StoreHarness {
  const schema = testSchema(prefix);
  return {
    open: () => openPg(schema),
    async reopen(repository) {
      await repository.close();
      return openPg(schema);
    },
    async dispose() {
      try {
        await countsKept(schema, canonicalsLeft);
      } finally {
        await dropSchema(schema);
      }
    },
  };
}

engineContract('PostgreSQL', pgHarness('contract'));
engineRules('PostgreSQL', pgHarness('rules'));
engineGradient('PostgreSQL', pgHarness('gradient', false));
