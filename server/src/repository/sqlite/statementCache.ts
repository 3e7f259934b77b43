// Prepared statements, compiled once per connection and reused: compiling SQL costs more than
// running these small statements.
//
// Rows of the hot queries are read as arrays (better-sqlite3's raw mode) and shaped into objects
// by a function made once per statement from its column names: building each row object through
// the driver's native property setters costs about as much as running the query itself.
import type Database from 'better-sqlite3';

/** A statement whose rows come back as plain objects keyed by column name. */
export interface RowStatement<Row> {
  all(...params: unknown[]): Row[];
  get(...params: unknown[]): Row | undefined;
}

type Shape = (values: unknown[]) => unknown;

/** A function that turns one raw row into an object with a fixed shape (one hidden class). */
function shapeOf(columns: readonly string[]): Shape {
  const fields = columns.map((name, i) => `${JSON.stringify(name)}: v[${i}]`).join(', ');
  // Column names come from the statement's own SQL text (no outside input reaches them).
  return new Function('v', `return { ${fields} };`) as Shape;
}

export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly shaped = new Map<string, RowStatement<unknown>>();

  constructor(readonly db: Database.Database) {}

  get(source: string): Database.Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
  }

  /** A row-returning statement read in raw mode and shaped in JavaScript. */
  rows<Row>(source: string): RowStatement<Row> {
    let statement = this.shaped.get(source);
    if (!statement) {
      const raw = this.db.prepare(source).raw(true);
      const shape = shapeOf(raw.columns().map((c) => c.name));
      statement = {
        all: (...params) => (raw.all(...params) as unknown[][]).map(shape),
        get: (...params) => {
          const values = raw.get(...params) as unknown[] | undefined;
          return values === undefined ? undefined : shape(values);
        },
      };
      this.shaped.set(source, statement);
    }
    return statement as RowStatement<Row>;
  }
}
