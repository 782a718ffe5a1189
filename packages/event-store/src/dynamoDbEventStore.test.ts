import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EVENTS_ATTR, startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { ConcurrencyError } from '@keyledger/domain';
import { DynamoDbEventStore } from './dynamoDbEventStore';
import { StreamVersionConflictError } from './errors';
import { EventSourcedRepository } from './eventSourcedRepository';

type CounterEvent = { type: 'Added'; data: { amount: number } };

let dynamo: LocalDynamoDb;
let streamCounter = 0;
const nextStream = () => `test-${Date.now()}-${(streamCounter += 1)}`;

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});

const store = (pageSize?: number) =>
  new DynamoDbEventStore({ client: dynamo.client, eventsTable: dynamo.tables.events, snapshotsTable: dynamo.tables.snapshots, snapshotHistoryTable: dynamo.tables.snapshotHistory, pageSize });
const added = (amount: number): CounterEvent => ({ type: 'Added', data: { amount } });

describe('DynamoDbEventStore against dynalite', () => {
  it('commits several events atomically in one versioned commit and reads them back', async () => {
    const events = store();
    const streamId = nextStream();
    const commit = await events.append(streamId, 0, [added(1), added(2), added(3)]);
    expect(commit.version).toBe(1);
    const read = await events.readStream<CounterEvent>(streamId);
    expect(read).toHaveLength(1);
    expect(read[0]!.events.map((event) => [event.type, event.data.amount, event.version, event.index])).toEqual([
      ['Added', 1, 1, 0],
      ['Added', 2, 1, 1],
      ['Added', 3, 1, 2],
    ]);
    expect(new Set(read[0]!.events.map((event) => event.eventId)).size).toBe(3);
    expect(read[0]!.events.map((event) => event.eventId)).toEqual(commit.events.map((event) => event.eventId));
  });

  it('refuses a second append at the same expected version and keeps the first', async () => {
    const events = store();
    const streamId = nextStream();
    await events.append(streamId, 0, [added(1)]);
    await expect(events.append(streamId, 0, [added(99)])).rejects.toBeInstanceOf(StreamVersionConflictError);
    const read = await events.readStream<CounterEvent>(streamId);
    expect(read.flatMap((commit) => commit.events.map((event) => event.data.amount))).toEqual([1]);
  });

  it('lets exactly one of many concurrent appends at one version win', async () => {
    const events = store();
    const streamId = nextStream();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => events.append(streamId, 0, [added(i)])));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((result) => result.status === 'rejected' && result.reason instanceof StreamVersionConflictError),
    ).toHaveLength(7);
    expect(await events.readStream(streamId)).toHaveLength(1);
  });

  it('reads every page of a long stream, in order, and after a given version', async () => {
    const events = store(3);
    const streamId = nextStream();
    for (let version = 0; version < 10; version += 1) await events.append(streamId, version, [added(version + 1)]);
    const all = await events.readStream<CounterEvent>(streamId);
    expect(all.map((commit) => commit.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const tail = await events.readStream<CounterEvent>(streamId, { afterVersion: 7 });
    expect(tail.map((commit) => commit.events[0]!.data.amount)).toEqual([8, 9, 10]);
  });

  it('keeps the newest snapshot', async () => {
    const events = store();
    const streamId = nextStream();
    await events.writeSnapshot({ streamId, version: 5, schemaVersion: 1, state: { total: 5 }, takenAt: 'now' });
    await events.writeSnapshot({ streamId, version: 3, schemaVersion: 1, state: { total: 3 }, takenAt: 'now' });
    expect(await events.readSnapshot(streamId)).toMatchObject({ version: 5, state: { total: 5 } });
    expect(await events.readSnapshot(nextStream())).toBeUndefined();
  });
});

describe('EventSourcedRepository against dynalite', () => {
  const repository = (options: { snapshotEvery?: number; maxAttempts?: number; schema?: number } = {}) =>
    new EventSourcedRepository<{ total: number }, CounterEvent>({
      eventStore: store(),
      initialState: () => ({ total: 0 }),
      evolve: (state, event) => ({ total: state.total + event.data.amount }),
      snapshotSchemaVersion: options.schema ?? 1,
      snapshotEvery: options.snapshotEvery,
      maxAttempts: options.maxAttempts,
      sleep: async () => undefined,
    });

  it('retries a decision that lost the race on fresh state, so no update is lost', async () => {
    const repo = repository({ maxAttempts: 20 });
    const streamId = nextStream();
    await Promise.all(
      Array.from({ length: 6 }, () =>
        repo.execute(streamId, async ({ state }) => ({ events: [added(1)], result: state.total })),
      ),
    );
    const { state, version } = await repo.load(streamId);
    expect(state.total).toBe(6);
    expect(version).toBe(6);
  });

  it('abandons staged side effects of a losing attempt and answers ConcurrencyError when retries run out', async () => {
    const repo = repository({ maxAttempts: 2 });
    const streamId = nextStream();
    const abandoned: number[] = [];
    const rival = store();
    await expect(
      repo.execute(streamId, async ({ version }, attempt) => {
        await rival.append(streamId, version, [added(100)]); // someone else always commits first
        return { events: [added(1)], result: null, abandon: async () => void abandoned.push(attempt) };
      }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
    expect(abandoned).toEqual([1, 2]);
  });

  it('snapshots every N commits and rebuilds the same state from snapshot plus tail', async () => {
    const repo = repository({ snapshotEvery: 3 });
    const streamId = nextStream();
    for (let i = 1; i <= 7; i += 1) await repo.execute(streamId, async () => ({ events: [added(i)], result: null }));
    const snapshot = await store().readSnapshot<{ total: number }>(streamId);
    expect(snapshot?.version).toBe(6);
    expect(snapshot?.state.total).toBe(21);
    const loaded = await repo.load(streamId);
    expect(loaded).toMatchObject({ state: { total: 28 }, version: 7, snapshotVersion: 6 });
    // A repository with another state schema ignores the snapshot and replays everything.
    expect(await repository({ schema: 2 }).load(streamId)).toMatchObject({ state: { total: 28 }, snapshotVersion: 0 });
  });

  it('commitLog: false (AWS) writes no commit-log keys, so no index partition takes every commit, and has no log to read', async () => {
    const aws = new DynamoDbEventStore({ client: dynamo.client, eventsTable: dynamo.tables.events, snapshotsTable: dynamo.tables.snapshots, snapshotHistoryTable: dynamo.tables.snapshotHistory, commitLog: false });
    const streamId = nextStream();
    const commit = await aws.append(streamId, 0, [added(1)]);
    const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: dynamo.tables.events, Key: { [EVENTS_ATTR.streamId]: { S: streamId }, [EVENTS_ATTR.version]: { N: '1' } } }));
    expect(Item?.[EVENTS_ATTR.events]).toBeDefined();
    expect(Item?.[EVENTS_ATTR.commitLog]).toBeUndefined();
    expect(Item?.[EVENTS_ATTR.commitPosition]).toBeUndefined();
    // The position still follows from the item (the outbox's stream records carry no more than this).
    expect((await aws.readStream(streamId))[0]!.position).toBe(commit.position);
    await expect(aws.readCommitLog({ limit: 10 })).rejects.toThrow(/keeps no commit log/);
    // The default (local) store writes them.
    const local = store();
    const other = nextStream();
    await local.append(other, 0, [added(1)]);
    const written = await dynamo.client.send(new GetItemCommand({ TableName: dynamo.tables.events, Key: { [EVENTS_ATTR.streamId]: { S: other }, [EVENTS_ATTR.version]: { N: '1' } } }));
    expect(written.Item?.[EVENTS_ATTR.commitLog]).toEqual({ S: 'commits' });
  });

  it('reads the commit log of all streams in commit-time order, after a position, in pages', async () => {
    let tick = Date.parse('2031-01-01T00:00:00.000Z');
    const clocked = new DynamoDbEventStore({
      client: dynamo.client,
      eventsTable: dynamo.tables.events,
      snapshotsTable: dynamo.tables.snapshots,
      snapshotHistoryTable: dynamo.tables.snapshotHistory,
      clock: () => new Date((tick += 1000)),
      pageSize: 2,
    });
    const a = nextStream();
    const b = nextStream();
    const commits = [
      await clocked.append(a, 0, [added(1)]),
      await clocked.append(b, 0, [added(2)]),
      await clocked.append(a, 1, [added(3), added(4)]),
      await clocked.append(b, 1, [added(5)]),
    ];

    const all = await clocked.readCommitLog({ after: '2031-01-01T00:00:00.000Z', limit: 100 });
    const afterSecond = await clocked.readCommitLog({ after: commits[1]!.position, limit: 100 });
    const limited = await clocked.readCommitLog({ after: '2031-01-01T00:00:00.000Z', limit: 3 });

    expect(all.map((commit) => [commit.streamId, commit.version])).toEqual([[a, 1], [b, 1], [a, 2], [b, 2]]);
    expect(all[2]!.events.map((event) => event.eventId)).toEqual(commits[2]!.events.map((event) => event.eventId));
    expect(all.map((commit) => commit.position)).toEqual(commits.map((commit) => commit.position));
    expect(afterSecond.map((commit) => commit.position)).toEqual([commits[2]!.position, commits[3]!.position]);
    expect(limited).toHaveLength(3);
  });
});
