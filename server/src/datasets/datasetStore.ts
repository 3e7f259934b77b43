// Where researchers' datasets live: content-addressed bytes (datasetCodec.ts) beside a small
// JSON description. Embedded (SQLite) coordinators keep them as files in the data folder
// (FileDatasetStore); coordinators on PostgreSQL keep them in a table (PgDatasetStore), so
// every node of a cluster serves every dataset. A dataset never changes once stored; a second
// upload of the same numbers finds the first.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetDetail } from '@tessera/shared/api/datasetSchemas';
import { DATASET_ID } from './datasetCodec';

/** A dataset's description as stored: the public detail and who uploaded it. */
export interface StoredDataset extends DatasetDetail {
  /** The researcher token's id (null: the environment token). */
  owner: string | null;
}

export interface DatasetStore {
  /** Stores a new dataset; when its id is stored already, returns that one (created false). */
  put(meta: StoredDataset, bytes: Uint8Array): Promise<{ meta: StoredDataset; created: boolean }>;
  meta(id: string): Promise<StoredDataset | null>;
  bytes(id: string): Promise<Uint8Array | null>;
  /** Every dataset, oldest first. */
  list(): Promise<StoredDataset[]>;
  /** False when there was none. */
  delete(id: string): Promise<boolean>;
}

function missing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/** Files `<id>.bin` and `<id>.json` in one folder; each written whole, then renamed in place. */
export class FileDatasetStore implements DatasetStore {
  constructor(readonly dir: string) {}

  private path(id: string, ext: 'bin' | 'json'): string {
    if (!DATASET_ID.test(id)) throw new RangeError(`bad dataset id ${id}`);
    return join(this.dir, `${id}.${ext}`);
  }

  private async writeWhole(path: string, data: Uint8Array | string): Promise<void> {
    // A name of its own: two uploads of the same content may be written at once.
    const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.part`;
    await writeFile(temporary, data);
    await rename(temporary, path);
  }

  async put(meta: StoredDataset, bytes: Uint8Array) {
    const have = await this.meta(meta.id);
    if (have) return { meta: have, created: false };
    await mkdir(this.dir, { recursive: true });
    // Bytes first: a description on disk always has its bytes.
    await this.writeWhole(this.path(meta.id, 'bin'), bytes);
    await this.writeWhole(this.path(meta.id, 'json'), JSON.stringify(meta));
    return { meta, created: true };
  }

  async meta(id: string): Promise<StoredDataset | null> {
    if (!DATASET_ID.test(id)) return null;
    try {
      return JSON.parse(await readFile(this.path(id, 'json'), 'utf8')) as StoredDataset;
    } catch (error) {
      if (missing(error)) return null;
      throw error;
    }
  }

  async bytes(id: string): Promise<Uint8Array | null> {
    if (!DATASET_ID.test(id)) return null;
    try {
      return new Uint8Array(await readFile(this.path(id, 'bin')));
    } catch (error) {
      if (missing(error)) return null;
      throw error;
    }
  }

  async list(): Promise<StoredDataset[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (missing(error)) return [];
      throw error;
    }
    const ids = names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
    const metas = await Promise.all(ids.map((id) => this.meta(id)));
    return metas
      .filter((m): m is StoredDataset => m !== null)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async delete(id: string): Promise<boolean> {
    if (!(await this.meta(id))) return false;
    // Description first: a dataset without one is not listed, whatever happens next.
    await rm(this.path(id, 'json'), { force: true });
    await rm(this.path(id, 'bin'), { force: true });
    return true;
  }
}
