// PostgreSQL for tests: each run works in a schema of its own in the `test` database and drops
// it after. The tests never skip: without a reachable PostgreSQL they fail (CI starts one).
import { randomBytes } from 'node:crypto';
import { dropPgSchema, PgRepository } from '../../src/repository/postgres/pgRepository';

export const TEST_DATABASE_URL =
  process.env['TESSERA_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema name, unique to this run. */
export function testSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export function openPg(schema: string, instanceId?: string): Promise<PgRepository> {
  return PgRepository.open({
    url: TEST_DATABASE_URL,
    schema,
    poolSize: 4,
    log: () => {},
    ...(instanceId ? { instanceId } : {}),
  });
}

export function dropSchema(schema: string): Promise<void> {
  return dropPgSchema(TEST_DATABASE_URL, schema);
}
