import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { parseStreamId, silentLogger, type KeyHierarchyEvent, type Logger } from '@keyledger/domain';
import { commitFromItem } from '@keyledger/event-store';
import { ledgerEntries, type DestructionLedger } from '@keyledger/key-hierarchy/ledger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';

/**
 * The destruction ledger's writer in AWS: the event table's stream invokes it with each batch of
 * new commits, and it records the destructions of each (the keys a commit destroys, a shred) in
 * the ledger. It stops at the first record it cannot record and reports it: Lambda retries from
 * there (the records before it are done; one recorded twice is harmless). The event source
 * mapping retries until the record leaves the stream (24 hours, the iterator-age alarm firing
 * meanwhile), then puts a pointer to it in a dead-letter queue; `keyledger backup rebuild-ledger
 * --since` records it from the table then.
 *
 * Unlike the outbox, it records the commits of every Region that reach its table (a global
 * table's stream carries them all): each Region's ledger holds every destruction it has seen,
 * so a table restore in any Region re-applies them.
 */
export function createLedgerWriter(options: { ledger: DestructionLedger; logger?: Logger }) {
  const logger = options.logger ?? silentLogger;
  return async function ledgerWriter(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    let recorded = 0;
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || !image) continue; // commits are never modified or deleted
      const commit = commitFromItem<KeyHierarchyEvent>(image as Record<string, AttributeValue>);
      const stream = parseStreamId(commit.streamId);
      if (stream.kind !== 'tenant') continue;
      const entries = ledgerEntries(stream.tenant, commit.version, commit.events);
      if (entries.length === 0) continue;
      try {
        await options.ledger.record(entries);
        recorded += entries.length;
      } catch (error) {
        logger.error('destruction ledger: recording a commit failed; Lambda retries from it', { tenant: stream.tenant, version: commit.version, error: (error as Error).name });
        return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
      }
    }
    if (recorded > 0) logger.info('destruction ledger: destructions recorded', { entries: recorded, records: event.Records.length });
    return { batchItemFailures: [] };
  };
}
