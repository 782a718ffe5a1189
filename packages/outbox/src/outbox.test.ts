import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { tenantStreamId, type KeyHierarchyEvent } from '@keyledger/domain';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EVENTS_ATTR, startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbEventStore, type Commit } from '@keyledger/event-store';
import { EventBridgePublisher, InProcessBus, type BusEvent, type EventPublisher, type IntegrationEvent } from '@keyledger/events';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { CatchUpPublisher } from './catchUpPublisher';
import { DynamoDbCheckpointStore } from './checkpointStore';
import { CommitPublisher } from './commitPublisher';
import { integrationEventsFromCommit } from './integrationEvents';
import { createOutboxStreamHandler } from './streamHandler';

let dynamo: LocalDynamoDb;
let prefixCounter = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});

interface Fresh {
  store: DynamoDbEventStore;
  checkpoints: DynamoDbCheckpointStore;
}

/** Each test gets its own tables, so the commit log holds only its commits. */
async function withFreshStore(run: (fresh: Fresh) => Promise<void>): Promise<void> {
  const local = await startLocalDynamoDb({ tablePrefix: `outbox-${(prefixCounter += 1)}`, port: 0 });
  try {
    await run({
      store: new DynamoDbEventStore({ client: local.client, eventsTable: local.tables.events, snapshotsTable: local.tables.snapshots, snapshotHistoryTable: local.tables.snapshotHistory }),
      checkpoints: new DynamoDbCheckpointStore({ client: local.client, tableName: local.tables.checkpoints }),
    });
  } finally {
    await local.stop();
  }
}

const now = '2026-11-23T10:00:00.000Z';
const rekeyEvents = (oldTmk: string, newTmk: string): KeyHierarchyEvent[] => [
  {
    type: 'KeyCreated',
    data: { kid: newTmk, keyType: 'tenant-master-key', state: 'active', parentKid: 'erk-1', namespace: null, fingerprint: 'f', cause: 'rekey', occurredAt: now },
  },
  { type: 'KeysRewrapped', data: { kids: ['n-1'], fromParentKid: oldTmk, toParentKid: newTmk, cause: 'rekey', occurredAt: now } },
  { type: 'KeyStateChanged', data: { kid: oldTmk, keyType: 'tenant-master-key', from: 'active', to: 'destroyed', cause: 'rekey', occurredAt: now } },
  { type: 'TenantRekeyed', data: { previousTmkKid: oldTmk, tmkKid: newTmk, occurredAt: now } },
];

class RecordingPublisher implements EventPublisher {
  readonly events: IntegrationEvent[] = [];
  failNext = 0;
  async publish(events: readonly IntegrationEvent[]) {
    const failed = [];
    for (const event of events) {
      if (this.failNext > 0) {
        this.failNext -= 1;
        failed.push({ event, errorCode: 'InternalFailure', errorMessage: 'injected' });
      } else {
        this.events.push(event);
      }
    }
    return { failed };
  }
}

describe('integration events from commits', () => {
  it('turns a rekey commit into one kms_key_state_changed per key created or changed, with the stored event ids', async () => {
    await withFreshStore(async ({ store }) => {
      const commit = await store.append(tenantStreamId('acme'), 0, rekeyEvents('tmk-old', 'tmk-new'));

      const events = integrationEventsFromCommit(commit);

      expect(events).toEqual([
        {
          detailType: 'kms_key_state_changed',
          detail: {
            event_id: commit.events[0]!.eventId,
            tenant: 'acme',
            occurred_at: now,
            schema_version: 1,
            kid: 'tmk-new',
            key_type: 'tenant-master-key',
            from: null,
            to: 'active',
            cause: 'rekey',
            parent_kid: 'erk-1',
            namespace: null,
          },
        },
        {
          detailType: 'kms_key_state_changed',
          detail: {
            event_id: commit.events[2]!.eventId,
            tenant: 'acme',
            occurred_at: now,
            schema_version: 1,
            kid: 'tmk-old',
            key_type: 'tenant-master-key',
            from: 'active',
            to: 'destroyed',
            cause: 'rekey',
            parent_kid: null,
            namespace: null,
          },
        },
      ]);
    });
  });
});

describe('CatchUpPublisher (local outbox)', () => {
  it('publishes every commit once, keeps its checkpoint, and after a restart publishes what was committed meanwhile', async () => {
    await withFreshStore(async ({ store, checkpoints }) => {
      const publisher = new RecordingPublisher();
      const outbox = () => new CatchUpPublisher({ eventStore: store, commits: new CommitPublisher({ publisher }), checkpoints });
      await store.append(tenantStreamId('acme'), 0, rekeyEvents('a1', 'a2'));
      await store.append(tenantStreamId('globex'), 0, rekeyEvents('g1', 'g2'));

      const first = outbox();
      await first.runOnce();
      await first.runOnce();
      const afterFirstRun = publisher.events.length;
      // "crash": a commit lands, and this process never publishes it
      const missed = await store.append(tenantStreamId('acme'), 1, rekeyEvents('a2', 'a3'));
      const restarted = outbox();
      await restarted.runOnce();

      expect(afterFirstRun).toBe(4);
      const ids = publisher.events.map((event) => event.detail.event_id);
      for (const event of missed.events.filter((stored) => ['KeyCreated', 'KeyStateChanged'].includes(stored.type))) expect(ids).toContain(event.eventId);
      // At least once: the restarted reader may re-send the overlap window, never skip.
      expect(new Set(ids).size).toBe(6);
      expect(await checkpoints.load('outbox-publisher')).toBe(missed.position);
    });
  });

  it('does not move its checkpoint past a commit that failed to publish, and publishes it on a later pass', async () => {
    await withFreshStore(async ({ store, checkpoints }) => {
      const publisher = new RecordingPublisher();
      const outbox = new CatchUpPublisher({ eventStore: store, commits: new CommitPublisher({ publisher }), checkpoints });
      const first = await store.append(tenantStreamId('acme'), 0, rekeyEvents('a1', 'a2'));
      const second = await store.append(tenantStreamId('acme'), 1, rekeyEvents('a2', 'a3'));
      publisher.failNext = 1; // the first event of the first commit

      const failedPass = await outbox.runOnce();
      const checkpointAfterFailure = await checkpoints.load('outbox-publisher');
      const retryPass = await outbox.runOnce();

      expect(failedPass.failedCommits).toBe(1);
      expect(checkpointAfterFailure).toBeUndefined();
      expect(retryPass.failedCommits).toBe(0);
      expect(await checkpoints.load('outbox-publisher')).toBe(second.position);
      const ids = publisher.events.map((event) => event.detail.event_id);
      expect(ids).toContain(first.events[0]!.eventId);
      // the second commit went out in the first pass and is not sent again
      expect(ids.filter((id) => id === second.events[0]!.eventId)).toHaveLength(1);
    });
  });

  it('re-reads the overlap window at most once per poll interval; a pass woken by a commit starts where the last stopped', async () => {
    await withFreshStore(async ({ store, checkpoints }) => {
      const publisher = new RecordingPublisher();
      const outbox = new CatchUpPublisher({ eventStore: store, commits: new CommitPublisher({ publisher }), checkpoints, pollIntervalMs: 60_000 });
      const reads = jest.spyOn(store, 'readCommitLog');
      const first = await store.append(tenantStreamId('acme'), 0, rekeyEvents('a1', 'a2'));
      await outbox.runOnce();
      const second = await store.append(tenantStreamId('acme'), 1, rekeyEvents('a2', 'a3'));
      await outbox.runOnce();

      const afters = reads.mock.calls.map(([options]) => options.after);
      expect(afters[0]).toBe('');
      expect(afters).toContain(first.position);
      expect(afters.filter((after) => after !== undefined && after < first.position && after !== '')).toEqual([]);
      expect(publisher.events.map((event) => event.detail.event_id)).toContain(second.events[0]!.eventId);
      expect(publisher.events).toHaveLength(4);
    });
  });

  it('stops re-reading the window behind its checkpoint once the clock is past it (no idle re-reads after a burst)', async () => {
    await withFreshStore(async ({ store, checkpoints }) => {
      let now = new Date();
      const outbox = new CatchUpPublisher({
        eventStore: store,
        commits: new CommitPublisher({ publisher: new RecordingPublisher() }),
        checkpoints,
        pollIntervalMs: 0,
        overlapMs: 60_000,
        clock: () => now,
      });
      const reads = jest.spyOn(store, 'readCommitLog');
      const commit = await store.append(tenantStreamId('acme'), 0, rekeyEvents('a1', 'a2'));
      await outbox.runOnce();
      reads.mockClear();

      await outbox.runOnce(); // within the window: it is read again
      const within = reads.mock.calls[0]![0].after;
      reads.mockClear();
      now = new Date(now.getTime() + 61_000);
      await outbox.runOnce(); // past it: from the checkpoint on
      const past = reads.mock.calls[0]![0].after;

      expect(within! < commit.position).toBe(true);
      expect(past).toBe(commit.position);
    });
  });

  it('feeds an in-process bus whose rule sees exactly its matching events', async () => {
    await withFreshStore(async ({ store, checkpoints }) => {
      const bus = new InProcessBus();
      const destroyed: BusEvent[] = [];
      bus.subscribe('destroyed', { 'detail-type': ['kms_key_state_changed'], detail: { to: ['destroyed'] } }, (event) => {
        destroyed.push(event);
      });
      const outbox = new CatchUpPublisher({
        eventStore: store,
        commits: new CommitPublisher({ publisher: bus }),
        checkpoints,
      });
      await store.append(tenantStreamId('acme'), 0, rekeyEvents('a1', 'a2'));

      await outbox.runOnce();

      expect(destroyed.map((event) => [event.detail.tenant, 'kid' in event.detail ? event.detail.kid : null])).toEqual([['acme', 'a1']]);
    });
  });
});

describe('outbox stream handler (DynamoDB Streams → EventBridge)', () => {
  const eventBridge = mockClient(EventBridgeClient);
  afterAll(() => eventBridge.restore());

  it('publishes the commits of INSERT records and reports only the records whose events failed', async () => {
    const store = new DynamoDbEventStore({ client: dynamo.client, eventsTable: dynamo.tables.events, snapshotsTable: dynamo.tables.snapshots, snapshotHistoryTable: dynamo.tables.snapshotHistory });
    const commits: Commit[] = [
      await store.append(tenantStreamId('acme'), 0, rekeyEvents('a1', 'a2')),
      await store.append(tenantStreamId('globex'), 0, rekeyEvents('g1', 'g2')),
    ];
    const failingEventId = commits[1]!.events[2]!.eventId;
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: Array<{ Detail: string }> }) => {
      const results = input.Entries.map((entry) =>
        entry.Detail.includes(failingEventId) ? { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' } : { EventId: 'ok' },
      );
      return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
    });
    // A stream record's NEW_IMAGE is the item as written: read the raw items back.
    const images = await Promise.all(
      commits.map(async (commit) => {
        const { Item } = await dynamo.client.send(
          new GetItemCommand({
            TableName: dynamo.tables.events,
            Key: { [EVENTS_ATTR.streamId]: { S: commit.streamId }, [EVENTS_ATTR.version]: { N: String(commit.version) } },
          }),
        );
        return Item!;
      }),
    );
    const event = {
      Records: [
        ...images.map((image, index) => ({ eventName: 'INSERT', dynamodb: { SequenceNumber: `${100 + index}`, NewImage: image } })),
        { eventName: 'REMOVE', dynamodb: { SequenceNumber: '102', OldImage: images[0] } },
      ],
    } as unknown as DynamoDBStreamEvent;
    const handler = createOutboxStreamHandler({
      commits: new CommitPublisher({
        publisher: new EventBridgePublisher({ client: new EventBridgeClient({}), eventBusName: 'keyledger-test', maxAttempts: 2, sleep: async () => {} }),
      }),
    });

    const response = await handler(event);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }] });
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls[0]!.args[0].input.Entries).toHaveLength(4);
    expect(calls[0]!.args[0].input.Entries![0]).toEqual({
      Source: 'keyledger',
      DetailType: 'kms_key_state_changed',
      Detail: JSON.stringify({
        event_id: commits[0]!.events[0]!.eventId,
        tenant: 'acme',
        occurred_at: now,
        schema_version: 1,
        kid: 'a2',
        key_type: 'tenant-master-key',
        from: null,
        to: 'active',
        cause: 'rekey',
        parent_kid: 'erk-1',
        namespace: null,
      }),
      Time: new Date(now),
      EventBusName: 'keyledger-test',
    });
    // only the failed entry is retried
    expect(calls[1]!.args[0].input.Entries!.map((entry) => JSON.parse(entry.Detail!).event_id)).toEqual([failingEventId]);
  });

  it('multi-Region: publishes only the commits made in its own Region (a global table streams the others\' too), each once', async () => {
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'ok' })) }));
    const inRegion = (region: string) =>
      new DynamoDbEventStore({ client: dynamo.client, eventsTable: dynamo.tables.events, snapshotsTable: dynamo.tables.snapshots, snapshotHistoryTable: dynamo.tables.snapshotHistory, regions: { region, writeRegion: region } });
    const west = await inRegion('eu-west-1').append(tenantStreamId('west-tenant'), 0, rekeyEvents('w1', 'w2'));
    const central = await inRegion('eu-central-1').append(tenantStreamId('central-tenant'), 0, rekeyEvents('c1', 'c2'));
    const image = async (commit: Commit) =>
      (
        await dynamo.client.send(
          new GetItemCommand({ TableName: dynamo.tables.events, Key: { [EVENTS_ATTR.streamId]: { S: commit.streamId }, [EVENTS_ATTR.version]: { N: String(commit.version) } } }),
        )
      ).Item!;
    expect((await image(west))[EVENTS_ATTR.region]).toEqual({ S: 'eu-west-1' });
    const event = {
      Records: [
        { eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: await image(west) } },
        { eventName: 'INSERT', dynamodb: { SequenceNumber: '2', NewImage: await image(central) } },
      ],
    } as unknown as DynamoDBStreamEvent;
    const published = async (region: string) => {
      eventBridge.resetHistory();
      const handler = createOutboxStreamHandler({ commits: new CommitPublisher({ publisher: new EventBridgePublisher({ client: new EventBridgeClient({}), eventBusName: 'keyledger-test' }) }), region });
      expect(await handler(event)).toEqual({ batchItemFailures: [] });
      return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries!.map((entry) => (JSON.parse(entry.Detail!) as { tenant: string }).tenant));
    };
    expect(new Set(await published('eu-west-1'))).toEqual(new Set(['west-tenant']));
    expect(new Set(await published('eu-central-1'))).toEqual(new Set(['central-tenant']));
  });

  it('multi-Region: a Region that is not the write Region commits nothing and says where writes go', async () => {
    const replica = new DynamoDbEventStore({
      client: dynamo.client,
      eventsTable: dynamo.tables.events,
      snapshotsTable: dynamo.tables.snapshots,
      snapshotHistoryTable: dynamo.tables.snapshotHistory,
      regions: { region: 'eu-central-1', writeRegion: 'eu-west-1' },
    });
    const stream = tenantStreamId('replica-tenant');
    await expect(replica.append(stream, 0, rekeyEvents('r1', 'r2'))).rejects.toMatchObject({ code: 'read_only_region', message: expect.stringContaining('changes are made in the write Region eu-west-1') });
    expect(await replica.readStream(stream)).toEqual([]);
  });
});
