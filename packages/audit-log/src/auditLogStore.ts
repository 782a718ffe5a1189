import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { AUDIT_LOG_ATTR as A } from '@keyledger/dynamodb';
import type { LogEntry } from './logEntry';
import type { ChainHead } from './verifyChain';

type Item = Record<string, AttributeValue>;

/** Idempotency marker of one event: claimed while being projected, done once its entry exists. */
export interface ProjectionMarker {
  status: 'in_progress' | 'done';
  leaseUntil: number;
  /** The chain's last sequence when the marker was first claimed: the entry can only be after it. */
  afterSequence: number;
  logId: string | null;
}

const ENTRY_PREFIX = 'log#';
const entryKey = (sequence: number) => `${ENTRY_PREFIX}${String(sequence).padStart(20, '0')}`;
const markerKey = (eventId: string) => `event#${eventId}`;
const HEAD_KEY = 'head';

/**
 * The audit table: per tenant, the chain's entries (`log#<sequence>`), one idempotency marker
 * per projected event (`event#<id>`) and the chain head. Each entry is stored as its JSON, the
 * exact bytes the API serves and the hash covers.
 */
export class DynamoDbAuditLogStore {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string; pageSize?: number }) {}

  async lastEntry(tenant: string): Promise<LogEntry | undefined> {
    const { Items } = await this.query(tenant, { ascending: false, limit: 1 });
    return Items?.[0] ? toEntry(Items[0]) : undefined;
  }

  async getEntry(tenant: string, sequence: number): Promise<LogEntry | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: key(tenant, entryKey(sequence)), ConsistentRead: true }),
    );
    return Item ? toEntry(Item) : undefined;
  }

  /** Appends an entry at its sequence; false when that sequence is already taken. */
  async putEntry(tenant: string, entry: LogEntry): Promise<boolean> {
    return this.conditionally(
      new PutItemCommand({
        TableName: this.options.tableName,
        Item: {
          ...key(tenant, entryKey(entry.integrity.sequence)),
          [A.sequence]: { N: String(entry.integrity.sequence) },
          [A.logId]: { S: entry.log_id },
          [A.eventId]: { S: String(entry.details['event_id'] ?? '') },
          [A.entry]: { S: JSON.stringify(entry) },
        },
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': A.entryKey },
      }),
    );
  }

  /**
   * Entries in sequence order, after (ascending) or before (descending) a sequence, read
   * `pageSize` at a time (default: the store's, else DynamoDB's 1 MB pages).
   */
  async *entries(tenant: string, options: { ascending: boolean; afterSequence?: number; beforeSequence?: number; pageSize?: number }): AsyncGenerator<LogEntry> {
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.query(tenant, { ...options, exclusiveStartKey, limit: options.pageSize ?? this.options.pageSize });
      for (const item of page.Items ?? []) yield toEntry(item);
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
  }

  async getHead(tenant: string): Promise<ChainHead | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: key(tenant, HEAD_KEY), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return { sequence: Number(Item[A.sequence]?.N), log_id: Item[A.logId]?.S ?? '', hash: Item[A.hash]?.S ?? '' };
  }

  /** Moves the head forward (never back), so a late writer cannot hide newer entries. */
  async advanceHead(tenant: string, head: ChainHead): Promise<void> {
    await this.conditionally(
      new PutItemCommand({
        TableName: this.options.tableName,
        Item: {
          ...key(tenant, HEAD_KEY),
          [A.sequence]: { N: String(head.sequence) },
          [A.logId]: { S: head.log_id },
          [A.hash]: { S: head.hash },
        },
        ConditionExpression: 'attribute_not_exists(#sequence) OR #sequence < :sequence',
        ExpressionAttributeNames: { '#sequence': A.sequence },
        ExpressionAttributeValues: { ':sequence': { N: String(head.sequence) } },
      }),
    );
  }

  async getMarker(tenant: string, eventId: string): Promise<ProjectionMarker | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: key(tenant, markerKey(eventId)), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      status: Item[A.status]?.S === 'done' ? 'done' : 'in_progress',
      leaseUntil: Number(Item[A.leaseUntil]?.N ?? 0),
      afterSequence: Number(Item[A.afterSequence]?.N ?? 0),
      logId: Item[A.logId]?.S ?? null,
    };
  }

  /** Claims an event; `previous` is the expired claim being taken over, if any. False if someone else holds it. */
  async claimMarker(tenant: string, eventId: string, claim: { leaseUntil: number; afterSequence: number }, previous?: ProjectionMarker): Promise<boolean> {
    return this.conditionally(
      new PutItemCommand({
        TableName: this.options.tableName,
        Item: {
          ...key(tenant, markerKey(eventId)),
          [A.eventId]: { S: eventId },
          [A.status]: { S: 'in_progress' },
          [A.leaseUntil]: { N: String(claim.leaseUntil) },
          [A.afterSequence]: { N: String(previous?.afterSequence ?? claim.afterSequence) },
        },
        // A fresh claim needs no marker; a takeover needs the very lease it saw to have expired.
        ...(previous
          ? {
              ConditionExpression: '#status = :inProgress AND #lease = :previousLease',
              ExpressionAttributeNames: { '#status': A.status, '#lease': A.leaseUntil },
              ExpressionAttributeValues: { ':inProgress': { S: 'in_progress' }, ':previousLease': { N: String(previous.leaseUntil) } },
            }
          : { ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': A.entryKey } }),
      }),
    );
  }

  async completeMarker(tenant: string, eventId: string, logId: string): Promise<void> {
    await this.options.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: key(tenant, markerKey(eventId)),
        UpdateExpression: 'SET #status = :done, #logId = :logId REMOVE #lease',
        ExpressionAttributeNames: { '#status': A.status, '#logId': A.logId, '#lease': A.leaseUntil },
        ExpressionAttributeValues: { ':done': { S: 'done' }, ':logId': { S: logId } },
      }),
    );
  }

  private query(
    tenant: string,
    options: { ascending: boolean; afterSequence?: number; beforeSequence?: number; limit?: number; exclusiveStartKey?: Item },
  ) {
    const lower = options.afterSequence !== undefined ? entryKey(options.afterSequence + 1) : entryKey(0);
    const upper = options.beforeSequence !== undefined ? entryKey(Math.max(0, options.beforeSequence - 1)) : `${ENTRY_PREFIX}~`;
    return this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: '#tenant = :tenant AND #key BETWEEN :lower AND :upper',
        ExpressionAttributeNames: { '#tenant': A.tenant, '#key': A.entryKey },
        ExpressionAttributeValues: { ':tenant': { S: tenant }, ':lower': { S: lower }, ':upper': { S: upper } },
        ScanIndexForward: options.ascending,
        ConsistentRead: true,
        Limit: options.limit,
        ExclusiveStartKey: options.exclusiveStartKey,
      }),
    );
  }

  private async conditionally(command: PutItemCommand): Promise<boolean> {
    try {
      await this.options.client.send(command);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function key(tenant: string, entry: string): Item {
  return { [A.tenant]: { S: tenant }, [A.entryKey]: { S: entry } };
}

function toEntry(item: Item): LogEntry {
  try {
    return JSON.parse(item[A.entry]?.S ?? '') as LogEntry;
  } catch {
    // Someone wrote a broken entry into the table: serve it as such, so verification names it.
    const sequence = Number(item[A.sequence]?.N ?? 0);
    return {
      log_id: item[A.logId]?.S ?? '',
      date: '',
      type: 'sapi',
      description: '[unreadable entry]',
      details: {},
      tenant_name: '',
      environment_name: '',
      integrity: { sequence, previous_log_id: null, previous_hash: '', hash: '' },
    };
  }
}

/**
 * The tenant's chain head once the entry of one event is in the chain (`'pending'` until the
 * projector has written it): what a destruction receipt names, at or after its execution's entry.
 */
export function chainHeadAfterEvent(store: DynamoDbAuditLogStore) {
  return async (tenant: string, eventId: string): Promise<{ seq: number; hash: string } | 'pending'> => {
    if ((await store.getMarker(tenant, eventId))?.status !== 'done') return 'pending';
    const last = await store.lastEntry(tenant);
    return last ? { seq: last.integrity.sequence, hash: last.integrity.hash } : 'pending';
  };
}
