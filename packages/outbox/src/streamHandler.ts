import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { silentLogger, type Logger } from '@keyledger/domain';
import { EVENTS_ATTR } from '@keyledger/dynamodb';
import { commitFromItem, type Commit } from '@keyledger/event-store';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { CommitPublisher } from './commitPublisher';

/**
 * The outbox publisher in AWS: DynamoDB Streams on the event table invoke it with batches of
 * new commits. It reports batch item failures, so Lambda retries from the first failed record
 * (records after it may be delivered again: consumers dedupe by event id), and the event source
 * mapping sends a batch that exhausts its retries to the DLQ. With `region` (multi-Region), it
 * publishes only the commits made in that Region: each is published once, by its own Region.
 */
export function createOutboxStreamHandler(options: { commits: CommitPublisher; logger?: Logger; region?: string }) {
  const logger = options.logger ?? silentLogger;
  return async function outboxStreamHandler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    const inserted: Array<{ record: DynamoDBRecord; commit: Commit }> = [];
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || !image) continue; // commits are never modified or deleted
      // A global table's stream also carries the commits other Regions made (replicated here): their own outbox publishes them.
      const committedIn = image[EVENTS_ATTR.region]?.S;
      if (options.region && committedIn && committedIn !== options.region) continue;
      inserted.push({ record, commit: commitFromItem(image as Record<string, AttributeValue>) });
    }
    const { failedCommits } = await options.commits.publish(inserted.map((item) => item.commit));
    const failed = new Set(failedCommits);
    const batchItemFailures = inserted
      .filter((item) => failed.has(item.commit))
      .map((item) => ({ itemIdentifier: item.record.dynamodb?.SequenceNumber ?? '' }));
    if (batchItemFailures.length > 0) logger.warn('outbox batch partly failed', { failed: batchItemFailures.length, records: event.Records.length });
    return { batchItemFailures };
  }
}
