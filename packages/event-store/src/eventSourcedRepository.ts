import { backoffDelay, ConcurrencyError, hasErrorCode, sleep, type Logger } from '@keyledger/domain';
import type { Commit, DomainEvent, EventStore } from './eventStore';

export interface Loaded<S> {
  state: S;
  version: number;
}

/** A stream as it was at an instant, and what reading it took. */
export interface LoadedAt<S> extends Loaded<S> {
  /** The version of the history snapshot the read started from (0: the start of the stream). */
  snapshotVersion: number;
  /** Commits read after the snapshot, in pages of `snapshotEvery + 1` (the last page may go past the instant). */
  commitsRead: number;
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

  /**
   * The stream as it was at `at`: the state after every commit committed at or before it, in
   * version order up to the first commit committed later. Starts from the newest history
   * snapshot at or before `at`, so it reads at most about `snapshotEvery` commits however long
   * the stream is. From the start of the stream when there is none: an instant before the
   * stream's first history snapshot, or a history snapshot of another schema version. Such a
   * long read leaves history snapshots behind every `snapshotEvery` commits (the backfill of
   * streams older than the history, or of another schema), so it happens once per stretch.
   */
  async loadAt(streamId: string, at: Date): Promise<LoadedAt<S>> {
    const instant = at.toISOString();
    const snapshot = await this.options.eventStore.readSnapshotAt<S>(streamId, instant);
    const usable = snapshot && snapshot.schemaVersion === this.options.snapshotSchemaVersion ? snapshot : undefined;
    let state = usable ? usable.state : this.options.initialState();
    let version = usable?.version ?? 0;
    let commitsRead = 0;
    let lastHistory = version;
    // A page one longer than the snapshots' spacing usually ends the read at the next history snapshot.
    const pageSize = this.snapshotEvery + 1;
    for (;;) {
      const commits = await this.options.eventStore.readStream<E>(streamId, { afterVersion: version, limit: pageSize });
      commitsRead += commits.length;
      for (const commit of commits) {
        if (commit.committedAt > instant) return { state, version, snapshotVersion: usable?.version ?? 0, commitsRead };
        for (const event of commit.events) state = this.options.evolve(state, event);
        version = commit.version;
        if (version - lastHistory >= this.snapshotEvery) {
          lastHistory = version;
          await this.backfillHistory(streamId, version, commit.committedAt, state);
        }
      }
      if (commits.length < pageSize) return { state, version, snapshotVersion: usable?.version ?? 0, commitsRead };
    }
  }

  private async backfillHistory(streamId: string, version: number, committedAt: string, state: S): Promise<void> {
    try {
      const takenAt = this.clock().toISOString();
      await this.options.eventStore.writeHistorySnapshot({ streamId, version, schemaVersion: this.options.snapshotSchemaVersion, state, takenAt, committedAt });
    } catch (error) {
      // The read still answers; the next one at such an instant reads the stretch again.
      this.options.logger?.warn('history snapshot backfill failed', { streamId, version, error: String(error) });
    }
  }

  /** The commits after `version` (the few since a recent decision). */
  commitsAfter(streamId: string, version: number): Promise<Commit<E>[]> {
    return this.options.eventStore.readStream<E>(streamId, { afterVersion: version });
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
      await this.maybeSnapshot(streamId, commit, state, loaded);
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

  /** Every `snapshotEvery` commits: the newest snapshot, and the same in the stream's snapshot history. */
  private async maybeSnapshot(streamId: string, commit: Commit<E>, state: S, loaded: Loaded<S> & { snapshotVersion: number }) {
    const { version, committedAt } = commit;
    if (version - loaded.snapshotVersion < this.snapshotEvery) return;
    try {
      await this.options.eventStore.writeSnapshot({
        streamId,
        version,
        schemaVersion: this.options.snapshotSchemaVersion,
        state,
        takenAt: this.clock().toISOString(),
        committedAt,
      });
    } catch (error) {
      // A missing snapshot only costs a longer read next time.
      this.options.logger?.warn('snapshot write failed', { streamId, version, error: String(error) });
    }
  }
}
