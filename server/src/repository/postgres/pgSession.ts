// One PostgreSQL connection inside a transaction. The connection is pipelined (node-postgres
// `pipeline: true`): a write whose answer the engine does not need is sent at once and not
// waited for (`send`), so a transaction's writes cost no round trips; reads queue behind them on
// the wire, so they see them. COMMIT goes down the same pipe behind the writes (`commit`): if any
// write failed, PostgreSQL has aborted the transaction and turns the COMMIT into a rollback, and
// the failure is thrown. Statements are prepared once per connection (named by their text),
// except those asked to be planned with their values each time.
import type { PoolClient, QueryResultRow } from 'pg';

const names = new Map<string, string>();

/** A stable statement name per SQL text (the same text is prepared once per connection). */
function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `t${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

export class PgSession {
  private readonly pending: Array<Promise<unknown>> = [];
  private failure: unknown = null;

  constructor(private readonly client: PoolClient) {}

  /**
   * `plan: 'each'` plans the statement with its values every time (an unnamed statement): for
   * queries whose best plan depends on the values (a generic plan can scan a whole table).
   */
  async rows<T extends QueryResultRow>(
    text: string,
    values: unknown[] = [],
    plan: 'once' | 'each' = 'once',
  ): Promise<T[]> {
    const config = plan === 'once' ? { name: nameOf(text), text, values } : { text, values };
    const result = await this.client.query<T>(config);
    return result.rows;
  }

  async row<T extends QueryResultRow>(text: string, values: unknown[] = []): Promise<T | null> {
    return (await this.rows<T>(text, values))[0] ?? null;
  }

  async run(text: string, values: unknown[] = []): Promise<number> {
    const result = await this.client.query({ name: nameOf(text), text, values });
    return result.rowCount ?? 0;
  }

  /** A write sent now and not waited for; its failure fails the transaction at `settle`. */
  send(text: string, values: unknown[] = []): void {
    this.pending.push(
      this.client.query({ name: nameOf(text), text, values }).catch((error: unknown) => {
        this.failure ??= error;
      }),
    );
  }

  /**
   * COMMIT behind the writes, in one round trip with them. A failed write has aborted the
   * transaction (its COMMIT answers ROLLBACK): that write's error is thrown.
   */
  async commit(): Promise<void> {
    const committed = this.client.query('COMMIT');
    await Promise.all(this.pending.splice(0));
    await committed;
    if (this.failure !== null) throw this.failure;
  }
}
