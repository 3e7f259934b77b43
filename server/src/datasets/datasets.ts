// Researchers' datasets as a service: upload (a CSV stream parsed as it arrives, stored by
// content), read, list, delete (refused while a queued or running workload names it), and the
// decoded content for the kinds that train or predict on it (kept in a small cache by id).
import { ERROR_CODES, FINAL_STATUSES, TesseraError, type WorkloadStatus } from '@tessera/shared';
import type { DatasetDetail, DatasetInfo } from '@tessera/shared/api/datasetSchemas';
import { ByteLru } from '@tessera/shared/kinds/gradient/byteLru';
import { CsvDatasetParser, CsvProblem, type ParsedCsv } from './csvDataset';
import type { NpyLabelColumn } from '@tessera/shared/api/datasetSchemas';
import { NpyDatasetParser } from './npyDataset';
import {
  contentOf,
  DATASET_ID,
  datasetIdOf,
  decodeDataset,
  encodeDataset,
  featureStatistics,
  type DatasetContent,
} from './datasetCodec';
import type { DatasetStore, StoredDataset } from './datasetStore';
import type { Repository, Tx } from '../engine/repository';

/** Upload bodies above this are refused with 413 (the parser's caps usually come first). */
export const MAX_DATASET_UPLOAD_BYTES = 256 * 1024 * 1024;
/** Decoded datasets kept in memory, by bytes of their features. */
const CONTENT_CACHE_BYTES = 512 * 1024 * 1024;

export interface UploadInput {
  /** The body, chunk by chunk. */
  body: AsyncIterable<Uint8Array>;
  name: string;
  owner: string | null;
  now: number;
  /** CSV text (a `label` column by name), or a NumPy .npy array (labels at `labelColumn`). */
  format: 'csv' | 'npy';
  /** An .npy's label column; unlabeled when left out. */
  labelColumn?: NpyLabelColumn | null;
}

interface UploadParser {
  push(chunk: Uint8Array): void;
  end(): ParsedCsv;
}

/** The uploaded dataset a workload's spec names (`spec.dataset`, an id), or null. */
export function uploadedDatasetOf(spec: unknown): string | null {
  const dataset = (spec as { dataset?: unknown } | null)?.dataset;
  return typeof dataset === 'string' && DATASET_ID.test(dataset) ? dataset : null;
}

/** Ids of the queued or running workloads whose spec names dataset `id`. */
export function workloadsNaming(
  workloads: ReadonlyArray<{ id: string; status: WorkloadStatus; spec: unknown }>,
  id: string,
): string[] {
  return workloads
    .filter((w) => !FINAL_STATUSES.includes(w.status))
    .filter((w) => uploadedDatasetOf(w.spec) === id)
    .map((w) => w.id);
}

/** The datasets of a repository, deletions checked against its workloads. */
export function datasetsOf(repository: Repository, now: () => number): Datasets {
  return new Datasets(repository.datasets, (work) => repository.transaction(now(), work));
}

export function datasetInfoOf(meta: StoredDataset): DatasetInfo {
  const { id, name, rows, features, classes, labeled, bytes, createdAt } = meta;
  return { id, name, rows, features, classes, labeled, bytes, createdAt };
}

export function datasetDetailOf(meta: StoredDataset): DatasetDetail {
  const { owner: _owner, ...detail } = meta;
  return detail;
}

class CachedContent {
  constructor(readonly content: DatasetContent) {}
  get byteLength(): number {
    return this.content.values.byteLength;
  }
}

export class Datasets {
  private readonly cache = new ByteLru<CachedContent>(CONTENT_CACHE_BYTES);

  constructor(
    private readonly store: DatasetStore,
    /** A transaction of the repository whose workloads may name these datasets. */
    private readonly transaction: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>,
  ) {}

  /** Parses and stores an upload; `created` false when the same content was stored before. */
  async upload(input: UploadInput): Promise<{ meta: StoredDataset; created: boolean }> {
    const parser: UploadParser =
      input.format === 'npy'
        ? new NpyDatasetParser(input.labelColumn ?? null)
        : new CsvDatasetParser();
    let received = 0;
    try {
      for await (const chunk of input.body) {
        received += chunk.length;
        if (received > MAX_DATASET_UPLOAD_BYTES) {
          throw new TesseraError(
            ERROR_CODES.payloadTooLarge,
            `a dataset upload is at most ${MAX_DATASET_UPLOAD_BYTES} bytes`,
          );
        }
        parser.push(chunk);
      }
      const csv = parser.end();
      const content = contentOf(csv);
      const bytes = encodeDataset(content);
      const stats = featureStatistics(content);
      const meta: StoredDataset = {
        id: datasetIdOf(bytes),
        name: input.name,
        rows: content.rows,
        features: content.features,
        classes: content.classes,
        labeled: content.labels !== null,
        bytes: bytes.byteLength,
        createdAt: input.now,
        columns: csv.columns,
        mean: stats.mean,
        std: stats.std,
        owner: input.owner,
      };
      return await this.store.put(meta, bytes);
    } catch (error) {
      if (error instanceof CsvProblem) {
        throw new TesseraError(ERROR_CODES.badRequest, `invalid dataset: ${error.message}`, [
          {
            path: error.place,
            message: error.problem,
            line: error.line,
            ...(error.column === null ? {} : { column: error.column }),
          },
        ]);
      }
      throw error;
    }
  }

  async list(): Promise<StoredDataset[]> {
    return this.store.list();
  }

  find(id: string): Promise<StoredDataset | null> {
    return this.store.meta(id);
  }

  async require(id: string): Promise<StoredDataset> {
    const meta = await this.store.meta(id);
    if (!meta) throw new TesseraError(ERROR_CODES.notFound, `no dataset with id ${id}`);
    return meta;
  }

  /** The dataset's numbers (raw, as uploaded), decoded once and cached. */
  async content(id: string): Promise<DatasetContent> {
    const cached = this.cache.get(id);
    if (cached) return cached.content;
    const bytes = await this.store.bytes(id);
    if (!bytes) throw new TesseraError(ERROR_CODES.notFound, `no dataset with id ${id}`);
    const content = decodeDataset(bytes);
    this.cache.set(id, new CachedContent(content));
    return content;
  }

  /**
   * Deletes a dataset no queued or running workload names. Held for deletion first, so a
   * submission naming it either committed before (its workload is seen here: refused) or is
   * refused itself (Coordinator.submitWorkload holds it for use).
   */
  async delete(id: string): Promise<void> {
    await this.transaction(async (tx) => {
      if (!(await tx.holdDataset(id, 'delete'))) {
        throw new TesseraError(ERROR_CODES.notFound, `no dataset with id ${id}`);
      }
      const users = workloadsNaming(await tx.workloadViews(), id);
      if (users.length > 0) {
        throw new TesseraError(
          ERROR_CODES.conflict,
          `dataset ${id} is used by ${users.length === 1 ? 'workload' : 'workloads'} ${users.join(', ')}; cancel or finish ${users.length === 1 ? 'it' : 'them'} first`,
          { workloads: users },
        );
      }
      await tx.deleteDataset(id);
    });
  }
}
