export interface BoundedCacheOptions<V> {
  maxEntries: number;
  ttlMs: number;
  /** Milliseconds, from a clock the caller controls (tests move it). */
  now: () => number;
  /** Called once for every value that leaves the cache (expired, evicted, deleted, replaced). */
  onEvict?: (value: V) => void;
}

/**
 * A string-keyed cache with a time-to-live and a size bound; least recently used entries go
 * first. Values that hold key material are zeroed through `onEvict` when they leave, so a
 * caller must use a value synchronously after `get` and never keep it across an `await`.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  /** The most recently used key: a hit on it needs no reordering (the hot path hits it again and again). */
  private newest: string | undefined;

  constructor(private readonly options: BoundedCacheOptions<V>) {
    if (!(options.maxEntries >= 1)) throw new Error('BoundedCache needs maxEntries >= 1.');
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.options.now()) {
      this.delete(key);
      return undefined;
    }
    // Most recently used goes to the end of the Map's insertion order (it is there already if it is the newest).
    if (key !== this.newest) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.newest = key;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs = this.options.ttlMs): void {
    this.delete(key);
    this.entries.set(key, { value, expiresAt: this.options.now() + ttlMs });
    this.newest = key;
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    if (key === this.newest) this.newest = undefined;
    this.options.onEvict?.(entry.value);
  }

  /** Removes every entry whose key passes the test. */
  deleteWhere(test: (key: string, value: V) => boolean): void {
    for (const [key, entry] of [...this.entries]) if (test(key, entry.value)) this.delete(key);
  }

  clear(): void {
    for (const key of [...this.entries.keys()]) this.delete(key);
  }
}
