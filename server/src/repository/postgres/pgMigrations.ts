// The PostgreSQL schema, as numbered migrations applied in order at start. Several coordinator
// processes may start at once: the runner holds a transaction-scoped advisory lock while it
// applies what is missing, so exactly one applies each migration and the others wait and see it
// done. Columns match the SQLite tables (repository/rows.ts maps both): times are epoch
// milliseconds (BIGINT), JSON is kept as the exact text written, flags are 0/1 integers, ids
// compare byte by byte (COLLATE "C", as SQLite does) so orders agree with the embedded store.
import type { PoolClient } from 'pg';
import { refuseNewerSchema } from '../schemaVersions';

export interface PgMigration {
  version: number;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE tokens (
        id BIGSERIAL PRIMARY KEY,
        name TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        share INTEGER NOT NULL DEFAULT 1,
        created_at BIGINT NOT NULL
      );
      CREATE TABLE workloads (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        estimator TEXT NOT NULL,
        spec TEXT NOT NULL,
        redundancy TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        units_total INTEGER NOT NULL,
        units_validated INTEGER NOT NULL DEFAULT 0,
        units_failed INTEGER NOT NULL DEFAULT 0,
        aggregate TEXT NOT NULL,
        failure_reason TEXT,
        owner TEXT,
        priority INTEGER NOT NULL DEFAULT 0,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        completed_at BIGINT
      );
      CREATE INDEX workloads_active ON workloads (created_at, id)
        WHERE status IN ('queued', 'running');
      CREATE TABLE units (
        workload_id TEXT COLLATE "C" NOT NULL REFERENCES workloads (id),
        idx INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'validated', 'failed')),
        wanted INTEGER NOT NULL,
        quorum INTEGER NOT NULL,
        in_flight INTEGER NOT NULL DEFAULT 0,
        returned INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        work BIGINT NOT NULL,
        canonical BYTEA,
        verified INTEGER NOT NULL DEFAULT 1,
        round INTEGER NOT NULL DEFAULT 0,
        plan TEXT,
        lease_key TEXT COLLATE "C",
        pin INTEGER,
        backups INTEGER NOT NULL DEFAULT 0,
        validated_at BIGINT,
        open_slots INTEGER GENERATED ALWAYS AS (wanted - in_flight - returned) STORED,
        PRIMARY KEY (workload_id, idx)
      );
      CREATE INDEX units_leasable ON units (workload_id, round, idx)
        WHERE state = 'open' AND open_slots > 0;
      CREATE INDEX units_validated_at ON units (validated_at) WHERE validated_at IS NOT NULL;
      CREATE INDEX units_in_flight ON units (workload_id) WHERE state = 'open' AND in_flight > 0;
      CREATE INDEX units_lease_key ON units (lease_key) WHERE lease_key IS NOT NULL;
      CREATE INDEX units_stalled ON units (workload_id, idx)
        WHERE state = 'open' AND in_flight = 0 AND returned > 0;
      CREATE TABLE volunteers (
        id TEXT COLLATE "C" PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        display_name TEXT NOT NULL,
        credit_micro BIGINT NOT NULL DEFAULT 0,
        units_valid INTEGER NOT NULL DEFAULT 0,
        units_invalid INTEGER NOT NULL DEFAULT 0,
        units_errored INTEGER NOT NULL DEFAULT 0,
        consecutive_valid INTEGER NOT NULL DEFAULT 0,
        offenses INTEGER NOT NULL DEFAULT 0,
        suspended_until BIGINT,
        created_at BIGINT NOT NULL,
        last_seen BIGINT NOT NULL
      );
      CREATE INDEX volunteers_leaderboard ON volunteers (credit_micro DESC) WHERE units_valid > 0;
      CREATE TABLE replicas (
        id BIGSERIAL PRIMARY KEY,
        workload_id TEXT COLLATE "C" NOT NULL REFERENCES workloads (id),
        unit_idx INTEGER NOT NULL,
        volunteer_id TEXT COLLATE "C" NOT NULL REFERENCES volunteers (id),
        connection_id TEXT COLLATE "C" NOT NULL,
        instance_id TEXT,
        net_group TEXT,
        state TEXT NOT NULL
          CHECK (state IN ('in_flight', 'returned', 'timed_out', 'errored', 'valid', 'invalid')),
        leased_at BIGINT NOT NULL,
        deadline BIGINT NOT NULL,
        returned_at BIGINT,
        elapsed_ms DOUBLE PRECISION,
        result BYTEA,
        error TEXT,
        withdrawn INTEGER NOT NULL DEFAULT 0,
        withdrawn_by BIGINT,
        offense INTEGER NOT NULL DEFAULT 0,
        fault TEXT CHECK (fault IN ('volunteer', 'disconnect'))
      );
      CREATE INDEX replicas_unit ON replicas (workload_id, unit_idx);
      CREATE INDEX replicas_deadline ON replicas (deadline) WHERE state = 'in_flight';
      CREATE INDEX replicas_connection ON replicas (connection_id) WHERE state = 'in_flight';
      CREATE INDEX replicas_instance ON replicas (instance_id) WHERE state = 'in_flight';
      CREATE INDEX replicas_volunteer_valid ON replicas (volunteer_id) WHERE state = 'valid';
      CREATE INDEX replicas_volunteer_returned ON replicas (volunteer_id) WHERE state = 'returned';
      CREATE INDEX replicas_withdrawn_by ON replicas (withdrawn_by) WHERE withdrawn_by IS NOT NULL;
      CREATE TABLE workload_blobs (
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        name TEXT NOT NULL,
        bytes BYTEA NOT NULL,
        PRIMARY KEY (workload_id, name)
      );
      CREATE TABLE workload_records (
        workload_id TEXT NOT NULL REFERENCES workloads (id),
        seq INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (workload_id, seq)
      );
      -- [L5] One row per coordinator process; a process whose heartbeat stopped is dead.
      CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    sql: `
      -- Researchers' uploaded datasets (server/src/datasets/): immutable, named by content.
      CREATE TABLE datasets (
        id TEXT COLLATE "C" PRIMARY KEY,
        meta TEXT NOT NULL,
        bytes BYTEA NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 3,
    // A round's units by state (is the round done? Tx.unitsUnsettled), without walking every
    // unit of a long training run.
    sql: `CREATE INDEX units_round ON units (workload_id, round, state);`,
  },
  {
    version: 4,
    // Platform counts (replicas by state, volunteers, each workload's replicas in flight) kept
    // as rows change (PgTx), not counted over whole tables by every dashboard build and every
    // lease (fair share). One row per count and writing backend
    // (shard = pg_backend_pid()), so concurrent transactions never wait on each other's counts;
    // a count is the sum of its rows. Shard 0 holds what the tables held at this migration.
    sql: `
      CREATE TABLE platform_counts (
        name TEXT NOT NULL,
        shard INTEGER NOT NULL,
        n BIGINT NOT NULL,
        PRIMARY KEY (name, shard)
      );
      INSERT INTO platform_counts (name, shard, n)
        SELECT 'replicas:' || state, 0, COUNT(*) FROM replicas GROUP BY state;
      INSERT INTO platform_counts (name, shard, n) SELECT 'volunteers', 0, COUNT(*) FROM volunteers;
      INSERT INTO platform_counts (name, shard, n) SELECT 'in_flight:' || workload_id, 0, COUNT(*)
        FROM replicas WHERE state = 'in_flight' GROUP BY workload_id;
    `,
  },
  {
    version: 5,
    // A unit's canonical result that is one of its replicas' is stored once, on the replica:
    // the unit names it (a 200 KB gradient was written twice, and cleared twice, per unit).
    sql: `ALTER TABLE units ADD COLUMN canonical_replica BIGINT;`,
  },
];

/** Any fixed 64-bit number: the advisory lock all starting processes queue on. */
const MIGRATION_LOCK = 0x7e55e7a_0001;

/** Applies the migrations this database lacks, one process at a time. */
export async function migratePostgres(client: PoolClient): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const { rows } = await client.query<{ version: number }>(
      'SELECT version FROM schema_migrations',
    );
    const applied = new Set(rows.map((r) => r.version));
    refuseNewerSchema('PostgreSQL', applied, PG_MIGRATIONS);
    for (const m of PG_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        m.version,
        Date.now(),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  return Math.max(0, ...PG_MIGRATIONS.map((m) => m.version));
}
