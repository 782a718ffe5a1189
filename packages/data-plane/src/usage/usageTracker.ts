import { BoundedCache, silentLogger, type Logger } from '@keyledger/domain';
import type { KeyUsageRecord, KeyUsageStore } from './keyUsageStore';

interface Pending {
  decrypts: number;
  /** Milliseconds: turned into text only when written. */
  lastDecryptAt: number;
}

const MAX_TRACKED_KEYS = 100_000;

/**
 * Counts decrypts (rewraps included) under deactivated namespace keys in memory, and writes
 * them every `flushIntervalMs`: never a write per request, except that the first use of a key
 * in this process, and again the first in each later interval, is written at once, so that a
 * retirement check in another process (another Lambda) sees it. So the last decrypt stored is
 * at most one interval older than the real one, even if the process is frozen or ends before
 * its next flush (a Lambda); only `decrypts` can lose what such a process counted since (a lower
 * bound). A failed write is kept and retried at the next flush.
 */
export class UsageTracker {
  private readonly pending = new Map<string, Pending>();
  /** Keys whose use was written at once in the current interval (at most one such write per key and interval). */
  private readonly writtenRecently: BoundedCache<true>;
  private readonly logger: Logger;
  private lastFlush: number;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: { store: KeyUsageStore; flushIntervalMs: number; clock?: () => Date; logger?: Logger },
  ) {
    this.logger = options.logger ?? silentLogger;
    this.lastFlush = this.clock().getTime();
    this.writtenRecently = new BoundedCache({ maxEntries: MAX_TRACKED_KEYS, ttlMs: options.flushIntervalMs, now: () => this.clock().getTime() });
  }

  /**
   * Notes one decrypt. The key's first use in this process (or in an interval) returns the
   * promise of its write (the caller awaits it); every other use is counted in memory at once
   * and returns nothing, so the hot path does not wait for anything.
   */
  noteDecrypt(tenant: string, kid: string): Promise<void> | undefined {
    const id = `${tenant}\0${kid}`;
    const at = this.clock().getTime();
    if (!this.writtenRecently.get(id)) {
      this.writtenRecently.set(id, true);
      // One write for this use and what was counted since the last one.
      const usage = { decrypts: 1 + (this.pending.get(id)?.decrypts ?? 0), lastDecryptAt: at };
      this.pending.delete(id);
      return this.options.store.add(tenant, kid, { decrypts: usage.decrypts, lastDecryptAt: new Date(at).toISOString() }).catch((error: unknown) => {
        this.logger.warn('use of a deactivated key not recorded; the next flush retries', { tenant, kid, error: String(error) });
        this.merge(id, usage);
      });
    }
    this.count(id, at);
    if (at - this.lastFlush >= this.options.flushIntervalMs) void this.flush();
    return undefined;
  }

  private count(id: string, at: number): void {
    const entry = this.pending.get(id);
    if (entry) {
      entry.decrypts += 1;
      entry.lastDecryptAt = at;
    } else {
      this.pending.set(id, { decrypts: 1, lastDecryptAt: at });
    }
  }

  /** Writes what was counted since the last flush (one write per key). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.lastFlush = this.clock().getTime();
    const batch = [...this.pending];
    this.pending.clear();
    this.flushing = (async () => {
      for (const [id, usage] of batch) {
        const [tenant, kid] = id.split('\0') as [string, string];
        try {
          await this.options.store.add(tenant, kid, { decrypts: usage.decrypts, lastDecryptAt: new Date(usage.lastDecryptAt).toISOString() });
        } catch (error) {
          this.merge(id, usage);
          this.logger.warn('key usage not flushed; retried at the next flush', { tenant, kid, error: String(error) });
        }
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** What is stored, plus what this process has counted and not written yet. */
  async usage(tenant: string, kid: string): Promise<KeyUsageRecord> {
    const stored = await this.options.store.get(tenant, kid);
    const local = this.pending.get(`${tenant}\0${kid}`);
    if (!local) return stored;
    const pendingAt = new Date(local.lastDecryptAt).toISOString();
    const lastDecryptAt = stored.lastDecryptAt && stored.lastDecryptAt > pendingAt ? stored.lastDecryptAt : pendingAt;
    return { lastDecryptAt, decrypts: stored.decrypts + local.decrypts };
  }

  /** Flushes on a timer too (a long-running process; Lambda flushes as requests come). */
  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private merge(id: string, usage: Pending): void {
    const entry = this.pending.get(id);
    if (!entry) this.pending.set(id, { ...usage });
    else {
      entry.decrypts += usage.decrypts;
      if (usage.lastDecryptAt > entry.lastDecryptAt) entry.lastDecryptAt = usage.lastDecryptAt;
    }
  }

  private clock(): Date {
    return this.options.clock?.() ?? new Date();
  }
}
