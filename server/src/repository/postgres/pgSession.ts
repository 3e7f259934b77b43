// One PostgreSQL connection inside a transaction: statements by text, prepared once per
// connection (node-postgres names them; the server keeps the plan), rows back as objects.
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
  constructor(private readonly client: PoolClient) {}

  async rows<T extends QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
    const result = await this.client.query<T>({ name: nameOf(text), text, values });
    return result.rows;
  }

  async row<T extends QueryResultRow>(text: string, values: unknown[] = []): Promise<T | null> {
    return (await this.rows<T>(text, values))[0] ?? null;
  }

  async run(text: string, values: unknown[] = []): Promise<number> {
    const result = await this.client.query({ name: nameOf(text), text, values });
    return result.rowCount ?? 0;
  }
}
