// What both SQLite stores (Monte Carlo and gradient) do the same way over their own tables: a
// cache of prepared statements, and taking in-flight replicas out of flight (a lease expired, a
// connection closed, the coordinator restarted) one by one, noting the workloads that failed.
import type Database from 'better-sqlite3';
import type { ReleaseOutcome } from '../store';

/** Prepared once, reused: compiling SQL costs more than running these small statements. */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(source: string): Database.Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
  }
}

export type ReplicaTable = 'replicas' | 'gradient_replicas';

/**
 * Closes each of `rows` still in flight with `close` (which returns the id of a workload it
 * failed, if any). A workload failing inside the loop has already closed its other replicas,
 * so each row's state is read again first.
 */
export function closeInFlight<R extends { id: number }>(
  sql: StatementCache,
  table: ReplicaTable,
  rows: readonly R[],
  close: (row: R) => string | null,
): ReleaseOutcome {
  const failed = new Set<string>();
  for (const row of rows) {
    const current = sql.get(`SELECT state FROM ${table} WHERE id = ?`).get(row.id) as {
      state: string;
    };
    if (current.state !== 'in_flight') continue;
    const id = close(row);
    if (id) failed.add(id);
  }
  return { released: rows.length, failedWorkloads: [...failed] };
}

/** In one transaction: the in-flight replicas that `filter` (SQL, may be empty) also selects. */
export function timeOutInFlight<R extends { id: number }>(
  db: Database.Database,
  sql: StatementCache,
  table: ReplicaTable,
  filter: string,
  args: readonly unknown[],
  close: (rows: R[]) => ReleaseOutcome,
): ReleaseOutcome {
  return db.transaction((): ReleaseOutcome => {
    const rows = sql
      .get(`SELECT * FROM ${table} WHERE state = 'in_flight'${filter} ORDER BY id`)
      .all(...args) as R[];
    return close(rows);
  })();
}
