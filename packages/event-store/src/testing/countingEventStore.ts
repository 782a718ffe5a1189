import type { DomainEvent, EventStore, ReadStreamOptions } from '../eventStore';

/** Tests: an event store that counts the commits read through it in `reads.commits`. */
export function countingEventStore(store: EventStore, reads: { commits: number }): EventStore {
  return {
    readStream: async <E extends DomainEvent>(streamId: string, options?: ReadStreamOptions) => {
      const commits = await store.readStream<E>(streamId, options);
      reads.commits += commits.length;
      return commits;
    },
    append: (streamId, expectedVersion, events) => store.append(streamId, expectedVersion, events),
    readCommitLog: (options) => store.readCommitLog(options),
    readSnapshot: (streamId) => store.readSnapshot(streamId),
    readSnapshotAt: (streamId, at) => store.readSnapshotAt(streamId, at),
    writeSnapshot: (snapshot) => store.writeSnapshot(snapshot),
    writeHistorySnapshot: (snapshot) => store.writeHistorySnapshot(snapshot),
  };
}
