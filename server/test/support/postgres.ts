// PostgreSQL for tests: each run works in a schema of its own in the `test` database and drops
// it after. The tests never skip: without a reachable PostgreSQL they fail (CI starts one).
import { randomBytes } from 'node:crypto';
import { dropPgSchema, PgRepository } from '../../src/repository/postgres/pgRepository';
import { TEST_TOKEN } from './testCoordinator';

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

export const TEST_REDIS_URL = process.env['TESSERA_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** The environment of a coordinator process in a test cluster on `schema` (one Redis prefix each call). */
export function clusterEnv(schema: string): Record<string, string> {
  return {
    DATABASE_URL: TEST_DATABASE_URL,
    TESSERA_DB_SCHEMA: schema,
    REDIS_URL: TEST_REDIS_URL,
    TESSERA_REDIS_PREFIX: `tessera-test-${randomBytes(4).toString('hex')}`,
    TESSERA_TOKEN: TEST_TOKEN,
    // Longer than a dead process takes to be noticed ([L5]): its leases go back as orphans,
    // nobody's fault, not as timeouts charged to its volunteers.
    TESSERA_LEASE_MS: '15000',
    LOG_LEVEL: 'warn',
  };
}
