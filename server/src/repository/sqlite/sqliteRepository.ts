// The embedded repository: one SQLite file (WAL) under the data folder. better-sqlite3 runs
// statements synchronously on one connection, so the repository runs one transaction at a time:
// each waits its turn (a promise queue), opens BEGIN IMMEDIATE, and commits when the engine's
// work resolves. A SIGKILL leaves either all of a state change or none of it.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { FileDatasetStore } from '../../datasets/datasetStore';
import type { Repository, Tx } from '../../engine/repository';
import { SQLITE_MIGRATIONS } from './migrations';
import { SqliteTx } from './sqliteTx';
import { StatementCache } from './statementCache';

export class SqliteRepository implements Repository {
  private readonly db: Database.Database;
  private readonly sql: StatementCache;
  /** The tail of the queue of transactions waiting for the connection. */
  private queue: Promise<unknown> = Promise.resolve();
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
    const run = async (): Promise<T> => {
      if (this.closed) throw new Error('the repository is closed');
      this.sql.get('BEGIN IMMEDIATE').run();
      try {
        const tx = new SqliteTx(this.sql, now, this.instanceId);
        const result = await work(tx);
        tx.flush();
        this.sql.get('COMMIT').run();
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.sql.get('ROLLBACK').run();
        throw error;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
