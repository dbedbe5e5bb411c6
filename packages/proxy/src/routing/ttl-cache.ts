/**
 * A bounded map with a per-entry expiry: at most `maxEntries` entries, the least recently
 * used dropped first (a Map keeps insertion order; a hit re-inserts the entry at the end).
 * Expired entries are dropped when touched. Memory is therefore bounded by maxEntries
 * whatever the number of distinct keys seen.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries must be an integer >= 1");
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value if present and not expired. */
  get(key: string): { value: V } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.now()) return undefined;
    this.entries.set(key, entry);
    return { value: entry.value };
  }

  /** Store for `ttlMs` (0 or less: not stored). */
  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (ttlMs <= 0) return;
    this.entries.set(key, { value, expires: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
