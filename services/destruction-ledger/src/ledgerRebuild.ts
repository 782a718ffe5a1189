import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseStreamId, type KeyHierarchyEvent } from '@keyledger/domain';
import { EVENTS_ATTR } from '@keyledger/dynamodb';
import { commitFromItem } from '@keyledger/event-store';
import { ledgerEntries, type DestructionLedger } from '@keyledger/key-hierarchy/ledger';

/** Event table items read per invocation. */
const PAGE_ITEMS = 500;

/** Where a rebuild goes on (the scan's position, as DynamoDB gives it). */
export type RebuildCursor = Record<string, AttributeValue>;

export interface RebuildPage {
  scanned: number;
  /** Destroying commits written to the ledger (again, if they were in it: harmless). */
  recorded: number;
  next: RebuildCursor | null;
}

/**
 * Rebuilds the destruction ledger from the event table, one page per call: every tenant commit
 * that destroyed something is written to the ledger. For what the stream writer never saw: the
 * destructions made before the ledger was deployed (its stream reaches back 24 hours only), and
 * a stream record whose retries ran out (its dead-letter message points at a record the stream
 * has dropped by then). `since` (ISO 8601) skips commits made before it. Writing a commit again
 * adds a version with the same entries; the reader merges them.
 */
export async function rebuildLedgerPage(
  deps: { client: DynamoDBClient; eventsTable: string; ledger: DestructionLedger },
  request: { cursor?: RebuildCursor | null; since?: string },
): Promise<RebuildPage> {
  const page = await deps.client.send(
    new ScanCommand({
      TableName: deps.eventsTable,
      FilterExpression: request.since ? 'begins_with(#s, :tenant) AND #at >= :since' : 'begins_with(#s, :tenant)',
      ExpressionAttributeNames: { '#s': EVENTS_ATTR.streamId, ...(request.since ? { '#at': EVENTS_ATTR.committedAt } : {}) },
      ExpressionAttributeValues: { ':tenant': { S: 'tenant/' }, ...(request.since ? { ':since': { S: request.since } } : {}) },
      ExclusiveStartKey: request.cursor ?? undefined,
      Limit: PAGE_ITEMS,
    }),
  );
  let recorded = 0;
  for (const item of page.Items ?? []) {
    const commit = commitFromItem<KeyHierarchyEvent>(item);
    const stream = parseStreamId(commit.streamId);
    if (stream.kind !== 'tenant') continue;
    const entries = ledgerEntries(stream.tenant, commit.version, commit.events);
    if (entries.length === 0) continue;
    await deps.ledger.record(entries);
    recorded += 1;
  }
  return { scanned: page.ScannedCount ?? 0, recorded, next: page.LastEvaluatedKey ?? null };
}
