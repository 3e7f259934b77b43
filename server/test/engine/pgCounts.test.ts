// PostgreSQL's kept platform counts (migration 4): one row per count and writing backend, summed
// when read; rows of backends that are gone are folded into shard 0 with their sums unchanged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { PgRepository } from '../../src/repository/postgres/pgRepository';
import { dropSchema, openPg, TEST_DATABASE_URL, testSchema } from '../support/postgres';

const schema = testSchema('counts');
let repository: PgRepository;
let client: pg.Client;

before(async () => {
  repository = await openPg(schema);
  client = new pg.Client({
    connectionString: TEST_DATABASE_URL,
    options: `-c search_path=${schema}`,
  });
  await client.connect();
});
after(async () => {
  await client.end();
  await repository.close();
  await dropSchema(schema);
});

async function rows(): Promise<Array<{ name: string; shard: number; n: number }>> {
  const { rows } = await client.query<{ name: string; shard: number; n: string }>(
    `SELECT name, shard, n::text FROM platform_counts WHERE name = 'volunteers' ORDER BY shard`,
  );
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

test('counts written by backends that are gone fold into shard 0, sums unchanged', async () => {
  for (const id of ['va', 'vb', 'vc']) {
    await repository.transaction(0, (tx) =>
      tx.insertVolunteer({ id, secretHash: 'h', displayName: id }),
    );
  }
  // A backend that is gone: a pid no live session has.
  const { rows: live } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity');
  let dead = 4_000_000;
  while (live.some((r) => r.pid === dead)) dead += 1;
  await client.query(`INSERT INTO platform_counts (name, shard, n) VALUES ('volunteers', $1, 4)`, [
    dead,
  ]);
  const before = await rows();
  assert.ok(before.some((r) => r.shard === dead));
  assert.ok(
    before.some((r) => r.shard !== dead && r.shard !== 0),
    'a live backend wrote its own row',
  );
  const sum = (rs: Array<{ n: number }>) => rs.reduce((a, r) => a + r.n, 0);
  assert.equal(sum(before), 3 + 4);

  await repository.foldCounts();
  const folded = await rows();
  assert.equal(sum(folded), 3 + 4, 'the sum is unchanged');
  assert.ok(!folded.some((r) => r.shard === dead), 'the gone backend has no row left');
  assert.equal(folded.find((r) => r.shard === 0)?.n, 4, 'shard 0 holds what it wrote');
  const counts = await repository.transaction(0, (tx) => tx.counts(10_000));
  assert.equal(counts.volunteersTotal, 7);
});
