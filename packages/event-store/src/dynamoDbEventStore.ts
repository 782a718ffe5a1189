import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { COMMIT_LOG_INDEX, COMMIT_LOG_PARTITION, EVENTS_ATTR, SNAPSHOT_HISTORY_ATTR, SNAPSHOTS_ATTR } from '@keyledger/dynamodb';
import { readsOnly, ReadOnlyRegionError, type RegionRule } from '@keyledger/domain';
import { CommitTooLargeError, StreamVersionConflictError } from './errors';
import {
  commitPosition,
  snapshotPosition,
  snapshotPositionBound,
  type Commit,
  type DomainEvent,
  type EventStore,
  type ReadStreamOptions,
  type Snapshot,
  type StoredEvent,
} from './eventStore';

/** DynamoDB's item limit is 400 KB; stay clear of it with the key and bookkeeping attributes. */
const MAX_COMMIT_BYTES = 380_000;

export interface DynamoDbEventStoreOptions {
  client: DynamoDBClient;
  eventsTable: string;
  snapshotsTable: string;
  /** Every snapshot taken, by stream and commit time (reads at an instant). */
  snapshotHistoryTable: string;
  clock?: () => Date;
  newEventId?: () => string;
  /**
   * Whether commits carry the commit-log index's keys (default true): the local stack's outbox
   * reads that log. AWS deployments set false: the outbox reads the table's stream, the index is
   * not deployed, and a single index partition written on every commit would cap all tenants'
   * commit throughput.
   */
  commitLog?: boolean;
  /**
   * Multi-Region deployments (global tables): the Region this store runs in, written on every
   * commit (each Region's outbox publishes only its own commits), and the one Region that may
   * commit. Global tables resolve concurrent writes of one item by last writer wins, so two
   * Regions committing the same stream version would fork it: every other Region refuses with
   * ReadOnlyRegionError before writing. Unset (one Region, local): every commit is allowed.
   */
  regions?: RegionRule;
  /** Query page size; DynamoDB pages at 1 MB anyway. Small values exercise pagination in tests. */
  pageSize?: number;
}

type Item = Record<string, AttributeValue>;

/**
 * One item per commit holding all of its events (dynalite has no transactions, and this is
 * atomic everywhere). The append is a PutItem conditional on the (stream, version) item not
 * existing, so concurrent commands on one stream cannot both win.
 */
export class DynamoDbEventStore implements EventStore {
  private readonly clock: () => Date;
  private readonly newEventId: () => string;

  constructor(private readonly options: DynamoDbEventStoreOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.newEventId = options.newEventId ?? randomUUID;
  }

  async readStream<E extends DomainEvent>(streamId: string, { afterVersion = 0, limit }: ReadStreamOptions = {}): Promise<Commit<E>[]> {
    const commits: Commit<E>[] = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const left = limit === undefined ? undefined : limit - commits.length;
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.eventsTable,
          KeyConditionExpression: '#stream = :stream AND #version > :after',
          ExpressionAttributeNames: { '#stream': EVENTS_ATTR.streamId, '#version': EVENTS_ATTR.version },
          ExpressionAttributeValues: { ':stream': { S: streamId }, ':after': { N: String(afterVersion) } },
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
          Limit: smallest(this.options.pageSize, left),
        }),
      );
      for (const item of page.Items ?? []) commits.push(commitFromItem<E>(item));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey && (limit === undefined || commits.length < limit));
    return commits;
  }

  async append<E extends DomainEvent>(streamId: string, expectedVersion: number, events: E[]): Promise<Commit<E>> {
    const version = expectedVersion + 1;
    const committedAt = this.clock().toISOString();
    const stored: StoredEvent<E>[] = events.map((event, index) => ({
      ...event,
      eventId: this.newEventId(),
      streamId,
      version,
      index,
      committedAt,
    }));
    const regions = this.options.regions;
    if (regions && readsOnly(regions)) throw new ReadOnlyRegionError(regions.region, regions.writeRegion);
    const position = commitPosition(committedAt, streamId, version);
    const payload = JSON.stringify(stored.map(({ eventId, type, data }) => ({ eventId, type, data })));
    const bytes = Buffer.byteLength(payload);
    if (bytes > MAX_COMMIT_BYTES) throw new CommitTooLargeError(streamId, bytes, MAX_COMMIT_BYTES);
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.eventsTable,
          Item: {
            [EVENTS_ATTR.streamId]: { S: streamId },
            [EVENTS_ATTR.version]: { N: String(version) },
            [EVENTS_ATTR.committedAt]: { S: committedAt },
            [EVENTS_ATTR.eventCount]: { N: String(events.length) },
            [EVENTS_ATTR.events]: { S: payload },
            ...(regions ? { [EVENTS_ATTR.region]: { S: regions.region } } : {}),
            ...(this.options.commitLog === false ? {} : { [EVENTS_ATTR.commitLog]: { S: COMMIT_LOG_PARTITION }, [EVENTS_ATTR.commitPosition]: { S: position } }),
          },
          ConditionExpression: 'attribute_not_exists(#stream)',
          ExpressionAttributeNames: { '#stream': EVENTS_ATTR.streamId },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StreamVersionConflictError(streamId, expectedVersion, { cause: error });
      }
      throw error;
    }
    return { ...(regions ? { region: regions.region } : {}), streamId, version, committedAt, position, events: stored };
  }

  async readCommitLog({ after = '', limit }: { after?: string; limit: number }): Promise<Commit[]> {
    if (this.options.commitLog === false) throw new Error('This event store keeps no commit log (commitLog: false); in AWS the outbox reads the table stream.');
    const commits: Commit[] = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.eventsTable,
          IndexName: COMMIT_LOG_INDEX,
          KeyConditionExpression: '#log = :log AND #position > :after',
          ExpressionAttributeNames: { '#log': EVENTS_ATTR.commitLog, '#position': EVENTS_ATTR.commitPosition },
          ExpressionAttributeValues: { ':log': { S: COMMIT_LOG_PARTITION }, ':after': { S: after } },
          ExclusiveStartKey: exclusiveStartKey,
          Limit: limit - commits.length,
        }),
      );
      for (const item of page.Items ?? []) commits.push(commitFromItem(item));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey && commits.length < limit);
    return commits;
  }

  async readSnapshot<S>(streamId: string): Promise<Snapshot<S> | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({
        TableName: this.options.snapshotsTable,
        Key: { [SNAPSHOTS_ATTR.streamId]: { S: streamId } },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return snapshotFromItem<S>(streamId, Item);
  }

  async readSnapshotAt<S>(streamId: string, at: string): Promise<Snapshot<S> | undefined> {
    const { Items } = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.snapshotHistoryTable,
        KeyConditionExpression: '#stream = :stream AND #position <= :bound',
        ExpressionAttributeNames: { '#stream': SNAPSHOT_HISTORY_ATTR.streamId, '#position': SNAPSHOT_HISTORY_ATTR.position },
        ExpressionAttributeValues: { ':stream': { S: streamId }, ':bound': { S: snapshotPositionBound(at) } },
        ScanIndexForward: false,
        Limit: 1,
        // Eventually consistent: missing a snapshot just written only means starting from the one before.
      }),
    );
    const item = Items?.[0];
    if (!item) return undefined;
    const committedAt = item[SNAPSHOT_HISTORY_ATTR.position]?.S?.split('#')[0];
    return { ...snapshotFromItem<S>(streamId, item), committedAt };
  }

  async writeHistorySnapshot<S>(snapshot: Snapshot<S> & { committedAt: string }): Promise<void> {
    // Unconditional: the snapshot of one version is the same state whoever writes it.
    await this.options.client.send(
      new PutItemCommand({
        TableName: this.options.snapshotHistoryTable,
        Item: {
          [SNAPSHOT_HISTORY_ATTR.streamId]: { S: snapshot.streamId },
          [SNAPSHOT_HISTORY_ATTR.position]: { S: snapshotPosition(snapshot.committedAt, snapshot.version) },
          [SNAPSHOT_HISTORY_ATTR.version]: { N: String(snapshot.version) },
          [SNAPSHOT_HISTORY_ATTR.schemaVersion]: { N: String(snapshot.schemaVersion) },
          [SNAPSHOT_HISTORY_ATTR.state]: { S: JSON.stringify(snapshot.state) },
          [SNAPSHOT_HISTORY_ATTR.takenAt]: { S: snapshot.takenAt },
        },
      }),
    );
  }

  async writeSnapshot<S>(snapshot: Snapshot<S>): Promise<void> {
    if (snapshot.committedAt !== undefined) await this.writeHistorySnapshot({ ...snapshot, committedAt: snapshot.committedAt });
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.snapshotsTable,
          Item: {
            [SNAPSHOTS_ATTR.streamId]: { S: snapshot.streamId },
            [SNAPSHOTS_ATTR.version]: { N: String(snapshot.version) },
            [SNAPSHOTS_ATTR.schemaVersion]: { N: String(snapshot.schemaVersion) },
            [SNAPSHOTS_ATTR.state]: { S: JSON.stringify(snapshot.state) },
            [SNAPSHOTS_ATTR.takenAt]: { S: snapshot.takenAt },
          },
          ConditionExpression: 'attribute_not_exists(#stream) OR #version < :version',
          ExpressionAttributeNames: { '#stream': SNAPSHOTS_ATTR.streamId, '#version': SNAPSHOTS_ATTR.version },
          ExpressionAttributeValues: { ':version': { N: String(snapshot.version) } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // a newer snapshot is already there
      throw error;
    }
  }
}

/** The two snapshot tables share the names of these attributes. */
function snapshotFromItem<S>(streamId: string, item: Item): Snapshot<S> {
  return {
    streamId,
    version: Number(item[SNAPSHOTS_ATTR.version]?.N),
    schemaVersion: Number(item[SNAPSHOTS_ATTR.schemaVersion]?.N),
    state: JSON.parse(item[SNAPSHOTS_ATTR.state]?.S ?? 'null') as S,
    takenAt: item[SNAPSHOTS_ATTR.takenAt]?.S ?? '',
  };
}

const smallest = (...values: Array<number | undefined>): number | undefined => {
  const given = values.filter((value): value is number => value !== undefined);
  return given.length > 0 ? Math.min(...given) : undefined;
};

/** A commit from its item: a table read, or a DynamoDB Streams NEW_IMAGE (same attribute shape). */
export function commitFromItem<E extends DomainEvent = DomainEvent>(item: Item): Commit<E> {
  const streamId = item[EVENTS_ATTR.streamId]?.S ?? '';
  const version = Number(item[EVENTS_ATTR.version]?.N);
  const committedAt = item[EVENTS_ATTR.committedAt]?.S ?? '';
  const position = item[EVENTS_ATTR.commitPosition]?.S ?? commitPosition(committedAt, streamId, version);
  const events = JSON.parse(item[EVENTS_ATTR.events]?.S ?? '[]') as Array<{ eventId: string; type: string; data: object }>;
  const region = item[EVENTS_ATTR.region]?.S;
  return {
    ...(region ? { region } : {}),
    streamId,
    version,
    committedAt,
    position,
    events: events.map((event, index) => ({ ...(event as unknown as E), eventId: event.eventId, streamId, version, index, committedAt })),
  };
}
