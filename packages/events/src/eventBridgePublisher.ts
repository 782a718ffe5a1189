import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { backoffDelay, silentLogger, sleep, type Logger } from '@keyledger/domain';
import { entrySize, MAX_ENTRY_BYTES, toPutEventsEntry } from './eventBridgeEntry';
import type { EventPublisher, FailedPublication } from './publisher';
import type { IntegrationEvent } from './schemas';

/** PutEvents takes at most 10 entries per request. */
export const MAX_ENTRIES_PER_REQUEST = 10;

export interface EventBridgePublisherOptions {
  client: EventBridgeClient;
  eventBusName: string;
  /** Attempts per entry, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
}

interface Pending {
  event: IntegrationEvent;
  entry: PutEventsRequestEntry;
  lastError: { errorCode: string; errorMessage: string };
}

/**
 * Publishes with PutEvents in requests of at most 10 entries (and under 256 KB). PutEvents is
 * not all-or-nothing: FailedEntryCount says how many entries failed, and only those are retried,
 * with jittered exponential backoff. A request that fails as a whole is retried as a whole.
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly maxAttempts: number;
  private readonly logger: Logger;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: EventBridgePublisherOptions) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.logger = options.logger ?? silentLogger;
    this.sleep = options.sleep ?? sleep;
  }

  async publish(events: readonly IntegrationEvent[]): Promise<{ failed: FailedPublication[] }> {
    const failed: FailedPublication[] = [];
    let pending: Pending[] = [];
    for (const event of events) {
      try {
        pending.push({ event, entry: toPutEventsEntry(event, this.options.eventBusName), lastError: { errorCode: '', errorMessage: '' } });
      } catch (error) {
        failed.push({ event, errorCode: 'EventTooLarge', errorMessage: (error as Error).message });
      }
    }
    for (let attempt = 1; pending.length > 0 && attempt <= this.maxAttempts; attempt += 1) {
      if (attempt > 1) await this.sleep(backoffDelay(attempt - 1, this.options.baseDelayMs ?? 100, this.options.maxDelayMs ?? 2_000));
      const retry: Pending[] = [];
      for (const batch of batches(pending)) retry.push(...(await this.putBatch(batch)));
      pending = retry;
      if (pending.length > 0) {
        this.logger.warn('PutEvents entries failed', { attempt, failed: pending.length, errorCodes: [...new Set(pending.map((item) => item.lastError.errorCode))] });
      }
    }
    for (const item of pending) failed.push({ event: item.event, ...item.lastError });
    return { failed };
  }

  /** Sends one request; returns the entries that failed. */
  private async putBatch(batch: Pending[]): Promise<Pending[]> {
    try {
      const output = await this.options.client.send(new PutEventsCommand({ Entries: batch.map((item) => item.entry) }));
      if (!output.FailedEntryCount) return [];
      const results = output.Entries ?? [];
      return batch.filter((item, index) => {
        const result = results[index];
        if (result?.EventId && !result.ErrorCode) return false;
        item.lastError = { errorCode: result?.ErrorCode ?? 'Unknown', errorMessage: result?.ErrorMessage ?? 'No result for this entry.' };
        return true;
      });
    } catch (error) {
      const { name, message } = error as Error;
      for (const item of batch) item.lastError = { errorCode: name || 'RequestFailed', errorMessage: message };
      return batch;
    }
  }
}

/** Groups entries into requests of at most 10 entries and under 256 KB in total. */
function batches(items: Pending[]): Pending[][] {
  const result: Pending[][] = [];
  let current: Pending[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = entrySize(item.entry);
    if (current.length === MAX_ENTRIES_PER_REQUEST || (current.length > 0 && bytes + size >= MAX_ENTRY_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}
