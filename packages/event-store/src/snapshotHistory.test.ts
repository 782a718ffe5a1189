import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbEventStore } from './dynamoDbEventStore';
import { EventSourcedRepository } from './eventSourcedRepository';
import type { EventStore } from './eventStore';
import { countingEventStore } from './testing/countingEventStore';

type CounterEvent = { type: 'Added'; data: { amount: number } };
type Counter = { total: number };

let dynamo: LocalDynamoDb;
let streamCounter = 0;
const nextStream = () => `history-${Date.now()}-${(streamCounter += 1)}`;
const START = Date.parse('2032-03-01T00:00:00.000Z');
const at = (ms: number) => new Date(START + ms);

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});

/** A store whose commits are one second apart (commit n at START + n s), counting the commits it reads. */
function clockedStore(pageSize?: number) {
  let tick = START;
  const store = new DynamoDbEventStore({
    client: dynamo.client,
    eventsTable: dynamo.tables.events,
    snapshotsTable: dynamo.tables.snapshots,
    snapshotHistoryTable: dynamo.tables.snapshotHistory,
    clock: () => new Date((tick += 1000)),
    pageSize,
  });
  const reads = { commits: 0 };
  const counting = countingEventStore(store, reads);

  return { store, counting, reads };
}

const repository = (eventStore: EventStore, options: { snapshotEvery: number; schema?: number }) =>
  new EventSourcedRepository<Counter, CounterEvent>({
    eventStore,
    initialState: () => ({ total: 0 }),
    evolve: (state, event) => ({ total: state.total + event.data.amount }),
    snapshotSchemaVersion: options.schema ?? 1,
    snapshotEvery: options.snapshotEvery,
    sleep: async () => undefined,
  });

/** n commits adding 1, 2, ..., n: after commit k the total is k(k+1)/2. */
async function commitMany(repo: EventSourcedRepository<Counter, CounterEvent>, streamId: string, n: number) {
  for (let i = 1; i <= n; i += 1) await repo.execute(streamId, async () => ({ events: [{ type: 'Added', data: { amount: i } }], result: null }));
}
const totalAfter = (k: number) => (k * (k + 1)) / 2;

describe('snapshot history and reads at an instant', () => {
  it('readStream stops at a limit, across pages', async () => {
    const { store } = clockedStore(2);
    const streamId = nextStream();
    for (let version = 0; version < 7; version += 1) await store.append(streamId, version, [{ type: 'Added', data: { amount: 1 } }]);
    expect((await store.readStream(streamId, { limit: 5 })).map((commit) => commit.version)).toEqual([1, 2, 3, 4, 5]);
    expect((await store.readStream(streamId, { afterVersion: 4, limit: 2 })).map((commit) => commit.version)).toEqual([5, 6]);
    expect((await store.readStream(streamId, { afterVersion: 5, limit: 10 })).map((commit) => commit.version)).toEqual([6, 7]);
  });

  it('keeps every snapshot with a commit time in the history; readSnapshotAt finds the newest at or before an instant, to the millisecond', async () => {
    const { store } = clockedStore();
    const streamId = nextStream();
    const write = (version: number, committedAt: string) =>
      store.writeSnapshot({ streamId, version, schemaVersion: 1, state: { total: version }, takenAt: committedAt, committedAt });
    await write(20, '2032-01-01T10:00:00.000Z');
    await write(40, '2032-01-01T11:00:00.500Z');
    // Without a commit time a snapshot is only the newest one, never in the history.
    await store.writeSnapshot({ streamId, version: 60, schemaVersion: 1, state: { total: 60 }, takenAt: 'now' });
    expect(await store.readSnapshot(streamId)).toMatchObject({ version: 60 });

    const versionAt = async (instant: string) => (await store.readSnapshotAt<Counter>(streamId, instant))?.version;
    expect(await versionAt('2032-01-01T09:59:59.999Z')).toBeUndefined();
    expect(await versionAt('2032-01-01T10:00:00.000Z')).toBe(20);
    expect(await versionAt('2032-01-01T11:00:00.499Z')).toBe(20);
    expect(await versionAt('2032-01-01T11:00:00.500Z')).toBe(40);
    expect(await versionAt('2099-01-01T00:00:00.000Z')).toBe(40);
    expect(await store.readSnapshotAt(streamId, '2032-01-01T10:00:00.000Z')).toEqual({
      streamId,
      version: 20,
      schemaVersion: 1,
      state: { total: 20 },
      takenAt: '2032-01-01T10:00:00.000Z',
      committedAt: '2032-01-01T10:00:00.000Z',
    });
    expect(await store.readSnapshotAt(nextStream(), '2099-01-01T00:00:00.000Z')).toBeUndefined();
  });

  it('loadAt rebuilds the stream as it was at every instant: before, at and between commits', async () => {
    const { counting } = clockedStore();
    const repo = repository(counting, { snapshotEvery: 3 });
    const streamId = nextStream();
    await commitMany(repo, streamId, 10);
    expect(await repo.loadAt(streamId, at(0))).toMatchObject({ state: { total: 0 }, version: 0 });
    for (let k = 1; k <= 10; k += 1) {
      // Commit k was committed at START + k s: exactly then, and until the next one.
      expect(await repo.loadAt(streamId, at(k * 1000))).toMatchObject({ state: { total: totalAfter(k) }, version: k });
      expect(await repo.loadAt(streamId, at(k * 1000 + 999))).toMatchObject({ state: { total: totalAfter(k) }, version: k });
      expect(await repo.loadAt(streamId, at(k * 1000 - 1))).toMatchObject({ state: { total: totalAfter(k - 1) }, version: k - 1 });
    }
    expect(await repo.loadAt(streamId, at(3_600_000))).toMatchObject({ state: { total: totalAfter(10) }, version: 10, snapshotVersion: 9 });
  });

  it('loadAt reads a bounded number of commits however long the stream is', async () => {
    const { counting, reads } = clockedStore();
    const snapshotEvery = 5;
    const repo = repository(counting, { snapshotEvery });
    const streamId = nextStream();
    await commitMany(repo, streamId, 120);
    const read: number[] = [];
    for (const k of [1, 4, 5, 6, 33, 59, 60, 61, 99, 117, 120]) {
      reads.commits = 0;
      const loaded = await repo.loadAt(streamId, at(k * 1000 + 500));
      expect(loaded).toMatchObject({ state: { total: totalAfter(k) }, version: k });
      expect(loaded.commitsRead).toBe(reads.commits);
      read.push(reads.commits);
    }
    // At most the commits up to the next history snapshot, plus one page's look-ahead.
    expect(Math.max(...read)).toBeLessThanOrEqual(snapshotEvery + 1);
  });

  it('loadAt replays from the start when the history holds only snapshots of another schema, with the same result', async () => {
    const { counting, reads } = clockedStore();
    const streamId = nextStream();
    await commitMany(repository(counting, { snapshotEvery: 4 }), streamId, 30);
    reads.commits = 0;
    const loaded = await repository(counting, { snapshotEvery: 4, schema: 2 }).loadAt(streamId, at(25_500));
    expect(loaded).toMatchObject({ state: { total: totalAfter(25) }, version: 25, snapshotVersion: 0 });
    // Pages of 5: commits 1 to 30, the last page past the instant.
    expect(reads.commits).toBe(30);
    // That read left history snapshots of schema 2 behind (every 4 commits): the next one is short.
    reads.commits = 0;
    expect(await repository(counting, { snapshotEvery: 4, schema: 2 }).loadAt(streamId, at(25_500))).toMatchObject({ state: { total: totalAfter(25) }, version: 25, snapshotVersion: 24 });
    expect(reads.commits).toBeLessThanOrEqual(5);
  });
});
