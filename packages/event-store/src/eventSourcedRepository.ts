import { backoffDelay, ConcurrencyError, hasErrorCode, sleep, type Logger } from '@keyledger/domain';
import type { Commit, DomainEvent, EventStore } from './eventStore';

export interface Loaded<S> {
  state: S;
  version: number;
}

/** What one attempt of a command decided. */
export interface Decision<E extends DomainEvent, R> {
  events: E[];
  result: R;
  /** Undoes side effects staged for this attempt (e.g. key material) when the append loses. */
  abandon?: () => Promise<void>;
}

export interface EventSourcedRepositoryOptions<S, E extends DomainEvent> {
  eventStore: EventStore;
  initialState: () => S;
  evolve: (state: S, event: E) => S;
  /** Bump when the state shape changes: snapshots of other versions are ignored. */
  snapshotSchemaVersion: number;
  /** Take a snapshot once this many commits have accumulated since the last one. */
  snapshotEvery?: number;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  clock?: () => Date;
  logger?: Logger;
}

/**
 * Load (snapshot + newer commits) → decide → append, retried with jittered backoff when
 * another command committed first. After the last attempt the conflict surfaces as
 * ConcurrencyError (HTTP 409).
 */
export class EventSourcedRepository<S, E extends DomainEvent> {
  private readonly snapshotEvery: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly clock: () => Date;

  constructor(private readonly options: EventSourcedRepositoryOptions<S, E>) {
    this.snapshotEvery = options.snapshotEvery ?? 25;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.sleep = options.sleep ?? sleep;
    this.clock = options.clock ?? (() => new Date());
  }

  async load(streamId: string): Promise<Loaded<S> & { snapshotVersion: number }> {
    const snapshot = await this.options.eventStore.readSnapshot<S>(streamId);
    const usable = snapshot && snapshot.schemaVersion === this.options.snapshotSchemaVersion ? snapshot : undefined;
    const commits = await this.options.eventStore.readStream<E>(streamId, { afterVersion: usable?.version ?? 0 });
    let state = usable ? usable.state : this.options.initialState();
    let version = usable?.version ?? 0;
    for (const commit of commits) {
      for (const event of commit.events) state = this.options.evolve(state, event);
      version = commit.version;
    }
    return { state, version, snapshotVersion: usable?.version ?? 0 };
  }

  /** Every event of the stream from its start, ignoring snapshots (one-off migrations only: this grows with the stream). */
  async history(streamId: string): Promise<E[]> {
    const commits = await this.options.eventStore.readStream<E>(streamId);
    return commits.flatMap((commit) => commit.events);
  }

  async execute<R>(
    streamId: string,
    decide: (loaded: Loaded<S>, attempt: number) => Promise<Decision<E, R>>,
  ): Promise<{ result: R; version: number; state: S; commit?: Commit<E> }> {
    for (let attempt = 1; ; attempt += 1) {
      const loaded = await this.load(streamId);
      let decision: Decision<E, R> | undefined;
      let commit: Commit<E>;
      try {
        decision = await decide(loaded, attempt);
        if (decision.events.length === 0) return { result: decision.result, version: loaded.version, state: loaded.state };
        commit = await this.options.eventStore.append(streamId, loaded.version, decision.events);
      } catch (error) {
        if (decision) await this.abandon(decision, streamId);
        // A decision may also find, while deciding, that the stream moved on under it.
        if (!hasErrorCode(error, 'stream_version_conflict')) throw error;
        if (attempt >= this.maxAttempts) {
          throw new ConcurrencyError(
            `Another change to ${streamId} kept winning; gave up after ${attempt} attempts. Retry the request.`,
            { cause: error },
          );
        }
        await this.sleep(backoffDelay(attempt + 1, 20, 2_000));
        continue;
      }
      const state = decision.events.reduce(this.options.evolve, loaded.state);
      await this.maybeSnapshot(streamId, commit.version, state, loaded);
      return { result: decision.result, version: commit.version, state, commit };
    }
  }

  private async abandon(decision: Decision<E, unknown>, streamId: string): Promise<void> {
    if (!decision.abandon) return;
    try {
      await decision.abandon();
    } catch (error) {
      // Leftovers are swept later; the original error matters more to the caller.
      this.options.logger?.warn('abandon after failed append did not finish', { streamId, error: String(error) });
    }
  }

  private async maybeSnapshot(streamId: string, version: number, state: S, loaded: Loaded<S> & { snapshotVersion: number }) {
    if (version - loaded.snapshotVersion < this.snapshotEvery) return;
    try {
      await this.options.eventStore.writeSnapshot({
        streamId,
        version,
        schemaVersion: this.options.snapshotSchemaVersion,
        state,
        takenAt: this.clock().toISOString(),
      });
    } catch (error) {
      // A missing snapshot only costs a longer read next time.
      this.options.logger?.warn('snapshot write failed', { streamId, version, error: String(error) });
    }
  }
}
