// The embedded repository: one SQLite file (WAL) under the data folder. better-sqlite3 runs
// statements synchronously on one connection, so the repository runs one transaction at a time,
// in the order they were asked for. Group commit: the transactions asked for in one turn of the
// event loop (results and lease requests of many tabs arriving together) run in one SQLite
// transaction, each inside a savepoint of its own, and commit together: one COMMIT, each page
// written to the WAL once, instead of one per tab. Each engine transaction still commits whole or
// not at all (a failure rolls back its savepoint alone), and none is answered before the COMMIT
// that holds it. A SIGKILL leaves either all of a state change or none of it.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { FileDatasetStore } from '../../datasets/datasetStore';
import type { Repository, Tx } from '../../engine/repository';
import { refuseNewerSchema } from '../schemaVersions';
import { SQLITE_MIGRATIONS } from './migrations';
import { SqliteTx } from './sqliteTx';
import { StatementCache } from './statementCache';

/** Engine transactions in one SQLite transaction at most. */
export const MAX_GROUP = 64;

interface Waiting<T> {
  now: number;
  work: (tx: Tx) => Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export class SqliteRepository implements Repository {
  private readonly db: Database.Database;
  private readonly sql: StatementCache;
  /** Transactions asked for and not yet run, oldest first. */
  private readonly waiting: Array<Waiting<unknown>> = [];
  /** The groups running, from the first waiting transaction until none waits. */
  private draining: Promise<void> | null = null;
  private closed = false;
  /** [L5] This process; leases of any other instance in the file were granted before a restart. */
  readonly instanceId = `sqlite:${process.pid}:${randomBytes(4).toString('hex')}`;
  /** Researchers' datasets: files in `datasets/` beside the database file. */
  readonly datasets: FileDatasetStore;

  constructor(readonly path: string) {
    this.datasets = new FileDatasetStore(join(dirname(path), 'datasets'));
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (SIGKILL); only power loss can undo a commit.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Small transactions commit many times a second: checkpoint the WAL into the database (the
    // only step that syncs to disk) every ~16 MiB of WAL instead of every 4 MiB.
    this.db.pragma('wal_autocheckpoint = 4000');
    this.db.pragma('temp_store = memory');
    this.sql = new StatementCache(this.db);
    this.migrate();
  }

  /** The schema version this file is at (the last migration applied). */
  schemaVersion(): number {
    const row = this.sql.get('SELECT MAX(version) AS v FROM schema_migrations').get() as {
      v: number | null;
    };
    return row.v ?? 0;
  }

  private migrate(): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    const applied = new Set(
      (
        this.db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>
      ).map((row) => row.version),
    );
    try {
      refuseNewerSchema('SQLite', applied, SQLITE_MIGRATIONS);
    } catch (error) {
      this.db.close();
      throw error;
    }
    for (const migration of SQLITE_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
          .run(migration.version, Date.now());
      })();
    }
  }

  transaction<T>(now: number, work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the repository is closed'));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ now, work, resolve, reject } as Waiting<unknown>);
      // After this turn's I/O callbacks, so transactions asked for together run as one group.
      this.draining ??= new Promise<void>((start) => setImmediate(start)).then(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) await this.runGroup();
    } finally {
      this.draining = null;
    }
  }

  /** One SQLite transaction for the transactions waiting now (at most MAX_GROUP). */
  private async runGroup(): Promise<void> {
    const group = this.waiting.splice(0, MAX_GROUP);
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      if (this.closed) throw new Error('the repository is closed');
      this.sql.get('BEGIN IMMEDIATE').run();
      for (const item of group) {
        this.sql.get('SAVEPOINT engine_tx').run();
        try {
          const tx = new SqliteTx(this.sql, item.now, this.instanceId, this.datasets);
          const value = await item.work(tx);
          tx.flush();
          this.sql.get('RELEASE engine_tx').run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          // SQLite rolled the whole transaction back itself (a full disk): the group is lost.
          if (!this.db.inTransaction) throw error;
          this.sql.get('ROLLBACK TO engine_tx').run();
          this.sql.get('RELEASE engine_tx').run();
          outcomes.push({ ok: false, error });
        }
      }
      this.sql.get('COMMIT').run();
    } catch (error) {
      if (this.db.inTransaction) this.sql.get('ROLLBACK').run();
      // Nothing of the group was committed: every transaction in it failed.
      for (const item of group) item.reject(error);
      return;
    }
    for (const [i, item] of group.entries()) {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    }
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining;
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
