// Researchers' datasets on PostgreSQL (the `datasets` table), so every coordinator of a
// cluster serves every dataset. Plain statements on the pool: a dataset is written once, whole,
// in one INSERT, and never changes.
import type pg from 'pg';
import type { DatasetStore, StoredDataset } from '../../datasets/datasetStore';

export class PgDatasetStore implements DatasetStore {
  constructor(private readonly pool: pg.Pool) {}

  async put(meta: StoredDataset, bytes: Uint8Array) {
    const inserted = await this.pool.query(
      `INSERT INTO datasets (id, meta, bytes, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO NOTHING`,
      [
        meta.id,
        JSON.stringify(meta),
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        meta.createdAt,
      ],
    );
    if (inserted.rowCount === 1) return { meta, created: true };
    const have = await this.meta(meta.id);
    if (!have) throw new Error(`dataset ${meta.id} vanished while it was stored`);
    return { meta: have, created: false };
  }

  async meta(id: string): Promise<StoredDataset | null> {
    const { rows } = await this.pool.query<{ meta: string }>(
      'SELECT meta FROM datasets WHERE id = $1',
      [id],
    );
    return rows[0] ? (JSON.parse(rows[0].meta) as StoredDataset) : null;
  }

  async bytes(id: string): Promise<Uint8Array | null> {
    const { rows } = await this.pool.query<{ bytes: Buffer }>(
      'SELECT bytes FROM datasets WHERE id = $1',
      [id],
    );
    return rows[0] ? new Uint8Array(rows[0].bytes) : null;
  }

  async list(): Promise<StoredDataset[]> {
    const { rows } = await this.pool.query<{ meta: string }>(
      'SELECT meta FROM datasets ORDER BY created_at, id',
    );
    return rows.map((r) => JSON.parse(r.meta) as StoredDataset);
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM datasets WHERE id = $1', [id]);
    return rowCount === 1;
  }
}
