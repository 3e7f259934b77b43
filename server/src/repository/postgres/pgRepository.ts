// The repository on PostgreSQL (`DATABASE_URL`): what several coordinator processes share. Each
// transaction runs on a pooled connection at READ COMMITTED, locking what it changes (the lock
// order is in pgRecords.ts). A transaction PostgreSQL aborts to break a deadlock or a
// serialization conflict is run again from the start: the engine's work builds its ledger inside
// the transaction, so a rerun decides afresh. Connection failures (PostgreSQL restarting) come out
// as UNAVAILABLE errors (503 on REST) and the pool reconnects when the server is back.
//
// [L5] Each process is an instance with a heartbeat row; its leases carry its instance id, so a
// survivor can tell the leases of a dead process (no heartbeat for INSTANCE_DEAD_MS) from live ones.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import type { Repository, Tx } from '../../engine/repository';
import { PgDatasetStore } from './pgDatasetStore';
import { migratePostgres } from './pgMigrations';
import { PgSession } from './pgSession';
import { PgTx } from './pgTx';

// [L5] A heartbeat a second; a process silent for INSTANCE_DEAD_MS (5 s) is dead.
const HEARTBEAT_MS = 1_000;
/** How often gone backends' platform counts are folded into shard 0 (foldCounts). */
const FOLD_COUNTS_MS = 60_000;
const MAX_ATTEMPTS = 8;
/** PostgreSQL aborts one of two transactions that deadlock or conflict: run it again. */
const RETRYABLE = new Set(['40P01', '40001', '55P03']);
/** SQLSTATE classes and codes that mean the server is out of reach or going away. */
const UNAVAILABLE = /^(08|57P0[1-3]|53300)/;
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);

export interface PgRepositoryOptions {
  url: string;
  /** A schema of its own (tests, several deployments in one database); created when missing. */
  schema?: string;
  instanceId?: string;
  poolSize?: number;
  log?: (message: string) => void;
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

/** True when the error says PostgreSQL cannot be reached (not that a statement was wrong). */
export function isUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (code && (UNAVAILABLE.test(code) || NETWORK.has(code))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
    message,
  );
}

export class PgRepository implements Repository {
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;
  readonly datasets: PgDatasetStore;
  private foldedAt = 0;

  private constructor(
    private readonly pool: pg.Pool,
    readonly instanceId: string,
    readonly schema: string | null,
    private readonly log: (message: string) => void,
  ) {
    this.datasets = new PgDatasetStore(pool);
  }

  /** Connects, creates or migrates the schema (one process at a time), registers the instance. */
  static async open(options: PgRepositoryOptions): Promise<PgRepository> {
    const schema = options.schema ?? null;
    if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${schema}`);
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      // Writes go out without waiting for each answer (pgSession.ts).
      pipeline: true,
      // 64-bit counts and times fit a double exactly far past any value Tessera writes.
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === 20 || oid === 1700
            ? (value: string) => Number(value)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    const log = options.log ?? ((m: string) => console.error(m));
    // An idle connection dropped by a restarting server must not take the process down.
    pool.on('error', (error) => log(`postgres: idle connection lost: ${error.message}`));
    const instanceId =
      options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const client = await pool.connect();
    try {
      if (schema) {
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [`tessera-schema:${schema}`]);
        try {
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [
            `tessera-schema:${schema}`,
          ]);
        }
      }
      await migratePostgres(client);
    } catch (error) {
      client.release();
      await pool.end();
      throw error;
    }
    client.release();
    const repository = new PgRepository(pool, instanceId, schema, log);
    await repository.beat();
    repository.heartbeat = setInterval(() => {
      repository
        .beat()
        .catch((error: unknown) => log(`postgres: heartbeat failed: ${String(error)}`));
    }, HEARTBEAT_MS);
    repository.heartbeat.unref();
    return repository;
  }

  /** [L5] This process is alive; instances silent for an hour are forgotten. */
  private async beat(): Promise<void> {
    await this.pool.query(
      `INSERT INTO instances (id) VALUES ($1)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
      [this.instanceId],
    );
    await this.pool.query(`DELETE FROM instances WHERE heartbeat_at < now() - interval '1 hour'`);
    if (Date.now() - this.foldedAt >= FOLD_COUNTS_MS) {
      this.foldedAt = Date.now();
      await this.foldCounts();
    }
  }

  /**
   * Folds the platform counts of backends that are gone into shard 0 (sums unchanged), so the
   * rows per count stay as many as live connections. A row its backend (or a new one with the
   * same pid) writes meanwhile is either left alone or moved whole with what it holds.
   */
  async foldCounts(): Promise<void> {
    await this.pool.query(
      `WITH gone AS (
         DELETE FROM platform_counts c WHERE c.shard <> 0
           AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = c.shard)
         RETURNING name, n)
       INSERT INTO platform_counts (name, shard, n) SELECT name, 0, SUM(n) FROM gone GROUP BY name
       ON CONFLICT (name, shard) DO UPDATE SET n = platform_counts.n + EXCLUDED.n`,
    );
  }

  async transaction<T>(now: number, work: (tx: Tx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new Error('the repository is closed');
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw this.unavailable(error);
      }
      let broken = false;
      try {
        const session = new PgSession(client);
        session.send('BEGIN');
        const tx = new PgTx(session, now, this.instanceId);
        const result = await work(tx);
        await tx.flush();
        await session.commit();
        return result;
      } catch (error) {
        broken = isUnavailable(error);
        if (!broken) await client.query('ROLLBACK').catch(() => undefined);
        if (RETRYABLE.has(codeOf(error) ?? '') && attempt < MAX_ATTEMPTS) {
          // Jitter only (which retry goes first), never part of a result.
          await new Promise((resume) => setTimeout(resume, 2 + Math.random() * 8 * attempt));
          continue;
        }
        throw broken ? this.unavailable(error) : error;
      } finally {
        client.release(broken);
      }
    }
  }

  private unavailable(error: unknown): TesseraError {
    const message = error instanceof Error ? error.message : String(error);
    return new TesseraError(
      ERROR_CODES.unavailable,
      `the database is unavailable, try again shortly (${message})`,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    // Its connections are gone: survivors may time out its leases at once.
    await this.pool.query('DELETE FROM instances WHERE id = $1', [this.instanceId]).catch(() => {});
    await this.pool.end();
  }
}

/** Drops a schema and everything in it (a test run's own schema, after the run). */
export async function dropPgSchema(url: string, schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
