/**
 * A bounded cache of plaintext data keys: least recently used entries go first past `maxEntries`,
 * entries expire `maxAgeMs` after they were fetched, and every key that leaves the cache is
 * zeroed (`fill(0)`) and marked retired. A miss for a key already being fetched waits for that fetch (one call,
 * however many callers).
 */
export interface CachedKey {
  /** The plaintext data key (32 bytes); zeroed when the entry leaves the cache. */
  readonly key: Buffer;
  readonly expiresAt: number;
  /** Set when the key was zeroed: a holder must not use it any more. */
  retired?: boolean;
}

function retire(entry: CachedKey): void {
  entry.retired = true;
  entry.key.fill(0);
}

export class KeyCache<E extends CachedKey> {
  private readonly entries = new Map<string, E>();
  private readonly pending = new Map<string, Promise<E>>();
  private lastSweep = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** A live entry, made most recently used; undefined (and the expired entry zeroed) otherwise. */
  get(id: string): E | undefined {
    this.sweep();
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (entry.expiresAt <= this.now()) {
      retire(entry);
      return undefined;
    }
    this.entries.set(id, entry);
    return entry;
  }

  /** The live entry, or the one `load` fetches (shared with concurrent callers), cached. */
  async getOrLoad(id: string, load: () => Promise<E>): Promise<E> {
    const cached = this.get(id);
    if (cached) return cached;
    let loading = this.pending.get(id);
    if (!loading) {
      loading = load()
        .then((entry) => {
          this.set(id, entry);
          return entry;
        })
        .finally(() => this.pending.delete(id));
      this.pending.set(id, loading);
    }
    return loading;
  }

  /** Removes an entry and zeroes its key (an exhausted encryption key, say). */
  delete(id: string, entry?: E): void {
    const current = this.entries.get(id);
    if (current && (entry === undefined || current === entry)) {
      this.entries.delete(id);
      retire(current);
    }
  }

  /** Zeroes and drops every key. */
  clear(): void {
    for (const entry of this.entries.values()) retire(entry);
    this.entries.clear();
  }

  private set(id: string, entry: E): void {
    const previous = this.entries.get(id);
    if (previous && previous !== entry) retire(previous);
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.maxEntries) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, E];
      this.entries.delete(oldest);
      retire(evicted);
    }
  }

  /** Zeroes expired keys that nobody asked for again, at most once a second. */
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < 1_000) return;
    this.lastSweep = now;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(id);
        retire(entry);
      }
    }
  }
}
