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
/** Summaries per `summarize` call (one activity commit: its size is bounded). */
const SUMMARIES_PER_CALL = 100;

/**
 * Who read which secret version: counted in memory per (secret, version, client, subject) and
 * written every `flushIntervalMs` as one usage update per key and one `secret_accessed` summary
 * each (`summarize`), never a write per read. A secret whose audit mode is `every_read` is
 * recorded read by read instead, before the value is answered (a failure fails the read).
 *
 * What a crash loses: the reads counted since the last successful flush (locally the stack
 * flushes on a timer and when it stops; a Lambda instance flushes at its first read after the
 * interval, so an instance reclaimed before that loses its count). A failed flush keeps what it
 * could not write for the next one.
 */
export class SecretReadCounter {
  private readonly pending = new Map<string, SecretAccessSummary>();
  /** Counts written to the usage items whose summaries are not recorded yet. */
  private readonly unsummarized: SecretAccessSummary[] = [];
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
    if (audit === 'every_read') return this.recordNow(read);
    this.merge(read);
    if (this.pending.size >= MAX_TRACKED || this.now().getTime() - this.lastFlush >= this.options.flushIntervalMs) void this.flush();
    return undefined;
  }

  /** every_read: the summary first (the read is not answered unrecorded), then the count. */
  private async recordNow(read: SecretAccessSummary): Promise<void> {
    await this.options.summarize([read]);
    await this.options.controls.addUsage(read, read).catch((error: unknown) => this.logger.warn('a read count was not written (its secret_accessed entry was)', { error: String(error) }));
  }

  /**
   * Writes what was counted since the last flush: each count once (one that DynamoDB refuses as
   * invalid is dropped, with a warning; one that fails otherwise waits for the next flush), then
   * the summaries of the counts written, a commit of at most SUMMARIES_PER_CALL at a time (a
   * failed one, and those after it, wait for the next flush). Nothing written is written again.
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.lastFlush = this.now().getTime();
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.flushing = (async () => {
      for (const read of batch) {
        try {
          await this.options.controls.addUsage(read, read);
          this.unsummarized.push(read);
        } catch (error) {
          if ((error as Error).name === 'ValidationException') this.logger.warn('secret read count dropped: DynamoDB refused it', { tenant: read.tenant, name: read.name, error: (error as Error).message });
          else this.merge(read);
        }
      }
      while (this.unsummarized.length > 0) {
        const chunk = this.unsummarized.slice(0, SUMMARIES_PER_CALL);
        try {
          await this.options.summarize(chunk);
          this.unsummarized.splice(0, chunk.length);
        } catch (error) {
          this.logger.warn('secret_accessed summaries not recorded; the next flush retries', { summaries: this.unsummarized.length, error: String(error) });
          break;
        }
      }
      // Bounded: if the audit log stays unwritable, the oldest summaries go (their counts are in the usage items).
      if (this.unsummarized.length > MAX_TRACKED) this.unsummarized.splice(0, this.unsummarized.length - MAX_TRACKED);
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private merge(read: SecretAccessSummary): void {
    const id = [read.tenant, read.namespace, read.name, read.version, read.clientId === null ? '' : `v${read.clientId}`, read.subject === null ? '' : `v${read.subject}`].join('\0');
    const entry = this.pending.get(id);
    if (!entry) {
      this.pending.set(id, { ...read });
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
