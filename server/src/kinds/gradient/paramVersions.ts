// Parameter versions served from memory. A version's bytes never change once the close of its
// round committed them (a workload never reuses a version number), so each process reads a
// version from the store once, however many tabs ask for it at the same moment (one read in
// flight per version), and the process that closed the round holds the new version before any
// tab asks. Without this, every tab's GET of a round's parameters was a store transaction.
// A version below the oldest one the store still holds is not served from memory either: a tab
// asking for it is told at once that the round moved on (404) instead of computing a gradient
// that would be refused as stale. Another process of a cluster learns the new oldest version at
// its next read from the store (the first tab asking for the new version).
import { ByteLru } from '@tessera/shared/kinds/gradient/byteLru';

/** Memory for parameter versions, least recently used dropped first. */
export const PARAMS_CACHE_BYTES = 64 * 1024 * 1024;

/** A version as the store gave it, with the oldest version the store holds for the workload. */
export interface StoredVersion {
  bytes: Uint8Array;
  oldestHeld: number;
}

export class ParamVersions {
  private readonly cache = new ByteLru(PARAMS_CACHE_BYTES);
  private readonly loading = new Map<string, Promise<StoredVersion>>();
  /** Per workload, the oldest version the store held when last heard of. */
  private readonly oldestHeld = new Map<string, number>();

  constructor(
    /** Reads a version from the store; throws when it is not held there. */
    private readonly load: (workloadId: string, version: number) => Promise<StoredVersion>,
  ) {}

  async get(workloadId: string, version: number): Promise<Uint8Array> {
    const key = `${workloadId}@${version}`;
    const cached =
      version >= (this.oldestHeld.get(workloadId) ?? 0) ? this.cache.get(key) : undefined;
    if (cached) return cached;
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.load(workloadId, version)
        .then((stored) => {
          this.held(workloadId, stored.oldestHeld);
          this.cache.set(key, stored.bytes);
          return stored;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return (await loading).bytes;
  }

  /** A round's close committed `version`; the store now holds versions from `oldestHeld` on. */
  committed(workloadId: string, version: number, bytes: Uint8Array, oldestHeld: number): void {
    this.held(workloadId, oldestHeld);
    this.cache.set(`${workloadId}@${version}`, bytes);
  }

  get size(): number {
    return this.cache.size;
  }

  private held(workloadId: string, oldest: number): void {
    if (oldest > (this.oldestHeld.get(workloadId) ?? 0)) this.oldestHeld.set(workloadId, oldest);
  }
}
