/** A domain event as deciders emit it. */
export interface DomainEvent {
  type: string;
  data: object;
}

/** An event once committed: it has an id (consumers dedupe on it) and a position. */
export type StoredEvent<E extends DomainEvent = DomainEvent> = E & {
  eventId: string;
  streamId: string;
  /** The commit version that holds this event. */
  version: number;
  /** Position of the event inside its commit. */
  index: number;
  committedAt: string;
};

/** Events committed together by one command: all or none. */
export interface Commit<E extends DomainEvent = DomainEvent> {
  streamId: string;
  version: number;
  committedAt: string;
  /** Position in the commit log across all streams: `committedAt#streamId#version` (sortable). */
  position: string;
  events: StoredEvent<E>[];
}

export interface Snapshot<S> {
  streamId: string;
  version: number;
  schemaVersion: number;
  state: S;
  takenAt: string;
}

/**
 * The event store port. Versions count commits: a stream at version n has commits 1..n.
 * `append` is a conditional write of commit expectedVersion+1 and throws
 * StreamVersionConflictError when that commit already exists.
 */
export interface EventStore {
  readStream<E extends DomainEvent>(streamId: string, options?: { afterVersion?: number }): Promise<Commit<E>[]>;
  append<E extends DomainEvent>(streamId: string, expectedVersion: number, events: E[]): Promise<Commit<E>>;
  /**
   * Commits of every stream in commit-log order, strictly after `after` (a position, or any
   * prefix of one such as a bare timestamp). The log is ordered by the writer's clock: a reader
   * that wants every commit re-reads an overlap window behind its checkpoint.
   */
  readCommitLog(options: { after?: string; limit: number }): Promise<Commit[]>;
  readSnapshot<S>(streamId: string): Promise<Snapshot<S> | undefined>;
  /** Keeps the newest snapshot: an older one never overwrites a newer one. */
  writeSnapshot<S>(snapshot: Snapshot<S>): Promise<void>;
}

/** Sortable commit-log position; versions are zero-padded so that 10 sorts after 9. */
export function commitPosition(committedAt: string, streamId: string, version: number): string {
  return `${committedAt}#${streamId}#${String(version).padStart(12, '0')}`;
}
