import { silentLogger, type Logger } from '@keyledger/domain';
import type { SecretReader } from './accessRules';
import type { DynamoDbSecretControls, SecretAuditMode, SecretUsageRecord } from './secretControls';
import type { SecretRef } from './secretStore';

/** Reads of one secret version by one caller over a flush interval (or one read, with `every_read`). */
export interface SecretAccessSummary extends SecretRef, SecretUsageRecord {
  audit: SecretAuditMode;
}

/** Distinct (secret, version, client, subject) counted at once; past it, the counts are flushed early. */
const MAX_TRACKED = 10_000;

/**
 * Who read which secret version: counted in memory per (secret, version, client, subject) and
 * written every `flushIntervalMs` as one usage update per key and one `secret_accessed` summary
 * each (`summarize`), never a write per read. A secret whose audit mode is `every_read` is
 * recorded read by read instead, before the value is answered (a failure fails the read).
 *
 * What a crash loses: the reads counted since the last flush, at most one interval of them
 * (locally the stack flushes on a timer and when it stops; a Lambda instance flushes at its
 * first read after the interval, so an instance reclaimed before that loses its count).
 * A failed flush keeps its counts for the next one.
 */
export class SecretReadCounter {
  private readonly pending = new Map<string, SecretAccessSummary>();
  private readonly logger: Logger;
  private lastFlush: number;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: {
      controls: DynamoDbSecretControls;
      flushIntervalMs: number;
      /** Records the summaries (the service: `secret_accessed` events); it must not lose them silently. */
      summarize: (summaries: readonly SecretAccessSummary[]) => Promise<void>;
      clock?: () => Date;
      logger?: Logger;
    },
  ) {
    this.logger = options.logger ?? silentLogger;
    this.lastFlush = this.now().getTime();
  }

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  /** Notes one read; with `every_read`, the promise of its record, which the read awaits. */
  note(ref: SecretRef, version: number, reader: SecretReader, audit: SecretAuditMode): Promise<void> | undefined {
    const at = this.now().toISOString();
    const read: SecretAccessSummary = { ...ref, version, clientId: reader.clientId, subject: reader.subject, reads: 1, firstReadAt: at, lastReadAt: at, audit };
    if (audit === 'every_read') return this.write([read]);
    const id = [ref.tenant, ref.namespace, ref.name, version, reader.clientId ?? '', reader.subject ?? ''].join('\0');
    const entry = this.pending.get(id);
    if (entry) {
      entry.reads += 1;
      entry.lastReadAt = at;
    } else {
      this.pending.set(id, read);
    }
    if (this.pending.size >= MAX_TRACKED || this.now().getTime() - this.lastFlush >= this.options.flushIntervalMs) void this.flush();
    return undefined;
  }

  /** Writes what was counted since the last flush. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.lastFlush = this.now().getTime();
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.flushing = this.write(batch)
      .catch((error: unknown) => {
        this.logger.warn('secret reads not recorded; the next flush retries', { summaries: batch.length, error: String(error) });
        for (const read of batch) this.merge(read);
      })
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  /** The usage items first (what GET .../usage answers), then the summaries (the audit log and the bus). */
  private async write(reads: readonly SecretAccessSummary[]): Promise<void> {
    if (reads.length === 0) return;
    for (const read of reads) await this.options.controls.addUsage(read, read);
    await this.options.summarize(reads);
  }

  private merge(read: SecretAccessSummary): void {
    const id = [read.tenant, read.namespace, read.name, read.version, read.clientId ?? '', read.subject ?? ''].join('\0');
    const entry = this.pending.get(id);
    if (!entry) {
      this.pending.set(id, read);
      return;
    }
    entry.reads += read.reads;
    if (read.firstReadAt < entry.firstReadAt) entry.firstReadAt = read.firstReadAt;
    if (read.lastReadAt > entry.lastReadAt) entry.lastReadAt = read.lastReadAt;
  }

  /** Local stack: flushes on a timer too (a Lambda flushes on reads only). */
  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
