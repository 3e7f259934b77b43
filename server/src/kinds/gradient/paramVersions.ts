// Parameter versions served from memory. A version's bytes never change once the close of its
// round committed them (a workload never reuses a version number), so each process reads a
// version from the store once, however many tabs ask for it at the same moment (one read in
// flight per version), and the process that closed the round holds the new version before any
// tab asks. Without this, every tab's GET of a round's parameters was a store transaction.
import { ByteLru } from '@tessera/shared/kinds/gradient/byteLru';

/** Memory for parameter versions, least recently used dropped first. */
export const PARAMS_CACHE_BYTES = 64 * 1024 * 1024;

export class ParamVersions {
  private readonly cache = new ByteLru(PARAMS_CACHE_BYTES);
  private readonly loading = new Map<string, Promise<Uint8Array>>();

  constructor(
    /** Reads a version from the store; throws when it is not held there. */
    private readonly load: (workloadId: string, version: number) => Promise<Uint8Array>,
  ) {}

  async get(workloadId: string, version: number): Promise<Uint8Array> {
    const key = `${workloadId}@${version}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.load(workloadId, version).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
      const bytes = await loading;
      this.cache.set(key, bytes);
      return bytes;
    }
    return loading;
  }

  /** A round's close committed `version`: kept for the tabs about to ask for it. */
  committed(workloadId: string, version: number, bytes: Uint8Array): void {
    this.cache.set(`${workloadId}@${version}`, bytes);
  }

  get size(): number {
    return this.cache.size;
  }
}
