import { RootKeyStoreError, type Logger } from '@keyledger/domain';
import type { Commit, DomainEvent, EventStore } from '@keyledger/event-store';
import { DelegatingRootKeyStore, type RootKeyStore, type UnwrapKeyInput, type WrapKeyInput } from '@keyledger/root-key-store';
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
    writeSnapshot: (snapshot) => eventStore.writeSnapshot(snapshot),
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
