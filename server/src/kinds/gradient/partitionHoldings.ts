// [L9] The coordinator's memory of which data partitions each volunteer connection holds: every
// partition it was leased a unit of (and so downloaded), bounded and ordered as the tab's own
// cache is (VOLUNTEER_PARTITION_CACHE_BYTES, least recently used dropped first), so what is
// remembered here is what the tab most likely still has. Per connection and in memory only: a
// reconnecting tab starts empty here, which costs at most one download per partition.
import { ByteLru } from '@tessera/shared/kinds/gradient/byteLru';
import { VOLUNTEER_PARTITION_CACHE_BYTES } from '@tessera/shared/kinds/gradient/dataPartitions';

export class PartitionHoldings {
  private readonly byConnection = new Map<string, ByteLru<{ byteLength: number }>>();

  constructor(readonly maxBytesPerConnection = VOLUNTEER_PARTITION_CACHE_BYTES) {}

  /** Partition hashes the connection holds, least recently used first. */
  held(connectionId: string): string[] {
    return this.byConnection.get(connectionId)?.keys() ?? [];
  }

  /** The connection was leased a unit of this partition; returns whether it already held it. */
  record(connectionId: string, hash: string, byteLength: number): boolean {
    let cache = this.byConnection.get(connectionId);
    if (!cache) {
      cache = new ByteLru(this.maxBytesPerConnection);
      this.byConnection.set(connectionId, cache);
    }
    const had = cache.has(hash);
    cache.set(hash, { byteLength });
    return had;
  }

  forget(connectionId: string): void {
    this.byConnection.delete(connectionId);
  }
}
