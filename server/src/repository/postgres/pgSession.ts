// One PostgreSQL connection inside a transaction. The connection is pipelined (node-postgres
// `pipeline: true`): a write whose answer the engine does not need is sent at once and not
// waited for (`send`), so a transaction's writes cost no round trips; reads queue behind them on
// the wire, so they see them. Before COMMIT the transaction waits for every write (`settle`)
// and fails if any did. Statements are prepared once per connection (named by their text),
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

  /** Waits for every write sent; throws the first that failed. */
  async settle(): Promise<void> {
    await Promise.all(this.pending.splice(0));
    if (this.failure !== null) throw this.failure;
  }
}
