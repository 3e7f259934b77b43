// A least-recently-used map bounded by the total size of its values: the caches of encoded
// data partitions (the coordinator's, rebuilt from the dataset when evicted; a volunteer tab's,
// downloaded again when evicted) and the coordinator's record of what each tab's cache holds.
// The newest entry always stays, even when it alone passes the bound.
export class ByteLru<V extends { readonly byteLength: number } = Uint8Array> {
  private readonly entries = new Map<string, V>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value) {
      // Map iteration order is insertion order: re-inserting marks it most recently used.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Whether the key is held, without marking it used. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  set(key: string, value: V): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.byteLength;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.bytes += value.byteLength;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes || oldest === key) break;
      this.entries.delete(oldest);
      this.bytes -= entry.byteLength;
    }
  }

  /** Keys from least to most recently used. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }
}
