import type { KeyUsageRecord, KeyUsageStore } from './keyUsageStore';
import { UsageTracker } from './usageTracker';

/** A usage store that remembers every write. */
class MemoryUsageStore implements KeyUsageStore {
  readonly writes: Array<{ kid: string; decrypts: number; lastDecryptAt: string }> = [];
  async add(_tenant: string, kid: string, usage: { decrypts: number; lastDecryptAt: string }) {
    this.writes.push({ kid, ...usage });
  }
  async get(): Promise<KeyUsageRecord> {
    return { lastDecryptAt: null, decrypts: 0 };
  }
}

const MINUTE = 60_000;
const at = (ms: number) => new Date(Date.parse('2026-06-01T00:00:00.000Z') + ms).toISOString();

describe('UsageTracker', () => {
  it('writes the first use in each interval at once, counts the rest in memory, and flushes them once per interval', async () => {
    const store = new MemoryUsageStore();
    let now = 0;
    const tracker = new UsageTracker({ store, flushIntervalMs: MINUTE, clock: () => new Date(at(now)) });

    await tracker.noteDecrypt('acme', 'k1');
    expect(store.writes).toEqual([{ kid: 'k1', decrypts: 1, lastDecryptAt: at(0) }]);
    for (let i = 1; i <= 50; i += 1) {
      now = i * 1_000;
      expect(tracker.noteDecrypt('acme', 'k1')).toBeUndefined();
    }
    expect(store.writes).toHaveLength(1); // never a write per request

    // The process is frozen (a Lambda) before its flush; its next use, an interval after the last write, is written at once,
    // with what was counted since: one write.
    now = 10 * MINUTE;
    await tracker.noteDecrypt('acme', 'k1');
    expect(store.writes.at(-1)).toEqual({ kid: 'k1', decrypts: 51, lastDecryptAt: at(10 * MINUTE) });
    await tracker.flush();
    expect(store.writes.slice(1).reduce((sum, write) => sum + write.decrypts, 0)).toBe(51);
    expect(store.writes).toHaveLength(2);
    await tracker.flush();
    expect(store.writes).toHaveLength(2); // nothing new, nothing written
  });
});
