import { RootKeyStoreError, type Logger } from '@keyledger/domain';
import type { Commit, DomainEvent, EventStore } from '@keyledger/event-store';
import { DelegatingRootKeyStore, type RootKeyStore, type UnwrapKeyInput, type WrapKeyInput } from '@keyledger/root-key-store';
import type { KeyMaterialRef, KeyMaterialStore, WrappedKeyMaterial } from '@keyledger/key-material';
import type { Fault } from './config';

/** A root key store that fails the configured operations the way an unreachable KMS or HSM does. */
export class FaultInjectingRootKeyStore extends DelegatingRootKeyStore {
  constructor(
    inner: RootKeyStore,
    private readonly faults: readonly Fault[],
  ) {
    super(inner);
  }

  override async wrapKey(input: WrapKeyInput) {
    if (this.faults.includes('root-key-store.wrap')) throw new RootKeyStoreError('unavailable', 'Injected fault: the root key store is unavailable for wrap.');
    return this.inner.wrapKey(input);
  }

  override async unwrapKey(input: UnwrapKeyInput) {
    if (this.faults.includes('root-key-store.unwrap')) throw new RootKeyStoreError('unavailable', 'Injected fault: the root key store is unavailable for unwrap.');
    return this.inner.unwrapKey(input);
  }
}

/**
 * The key-material.delete-once fault: the first deletion of key material (the one after a
 * rekey's commit) fails on every try, as in a DynamoDB outage that lasts for the request;
 * deletions after that work, so the deferred retry completes it.
 */
export function faultInjectingKeyMaterialStore(inner: KeyMaterialStore, faults: readonly Fault[], attemptsToFail: number): KeyMaterialStore {
  let failuresLeft = faults.includes('key-material.delete-once') ? attemptsToFail : 0;
  return {
    put: (entry: WrappedKeyMaterial) => inner.put(entry),
    putMany: (entries: readonly WrappedKeyMaterial[]) => inner.putMany(entries),
    get: (ref: KeyMaterialRef) => inner.get(ref),
    list: (tenant: string) => inner.list(tenant),
    delete: (ref: KeyMaterialRef) => inner.delete(ref),
    async deleteMany(refs: readonly KeyMaterialRef[]) {
      if (refs.length > 0 && failuresLeft > 0) {
        failuresLeft -= 1;
        throw new Error('Injected fault: the key material table is unavailable for deletes.');
      }
      return inner.deleteMany(refs);
    },
  };
}

/**
 * Calls `afterCommit` after each successful append (the local outbox wakes up on it), and with
 * the crash-after-commit fault kills the process right there: committed, never published.
 */
export function observeCommits(
  eventStore: EventStore,
  options: { faults: readonly Fault[]; afterCommit: (commit: Commit) => void; logger: Logger },
): EventStore {
  return {
    readStream: (streamId, readOptions) => eventStore.readStream(streamId, readOptions),
    readCommitLog: (readOptions) => eventStore.readCommitLog(readOptions),
    readSnapshot: (streamId) => eventStore.readSnapshot(streamId),
    readSnapshotAt: (streamId, at) => eventStore.readSnapshotAt(streamId, at),
    writeSnapshot: (snapshot) => eventStore.writeSnapshot(snapshot),
    writeHistorySnapshot: (snapshot) => eventStore.writeHistorySnapshot(snapshot),
    async append<E extends DomainEvent>(streamId: string, expectedVersion: number, events: E[]): Promise<Commit<E>> {
      const commit = await eventStore.append(streamId, expectedVersion, events);
      if (options.faults.includes('crash-after-commit')) {
        options.logger.error('injected fault: crashing after a commit, before it is published', { streamId, version: commit.version });
        process.kill(process.pid, 'SIGKILL');
      }
      options.afterCommit(commit as Commit);
      return commit;
    },
  };
}
