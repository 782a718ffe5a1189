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
  /** Multi-Region: the Region the commit was made in (absent in one Region). */
  region?: string;
}

export interface Snapshot<S> {
  streamId: string;
  version: number;
  schemaVersion: number;
  state: S;
  takenAt: string;
  /**
   * When the commit at `version` was committed. A snapshot that has it is also kept in the
   * stream's snapshot history, which reads of the stream as it was at an instant start from.
   */
  committedAt?: string;
}

export interface ReadStreamOptions {
  /** Only commits after this version (default 0: from the start). */
  afterVersion?: number;
  /** At most this many commits (default: all). */
  limit?: number;
}

/**
 * The event store port. Versions count commits: a stream at version n has commits 1..n.
 * `append` is a conditional write of commit expectedVersion+1 and throws
 * StreamVersionConflictError when that commit already exists.
 */
export interface EventStore {
  readStream<E extends DomainEvent>(streamId: string, options?: ReadStreamOptions): Promise<Commit<E>[]>;
  append<E extends DomainEvent>(streamId: string, expectedVersion: number, events: E[]): Promise<Commit<E>>;
  /**
   * Commits of every stream in commit-log order, strictly after `after` (a position, or any
   * prefix of one such as a bare timestamp). The log is ordered by the writer's clock: a reader
   * that wants every commit re-reads an overlap window behind its checkpoint.
   */
  readCommitLog(options: { after?: string; limit: number }): Promise<Commit[]>;
  readSnapshot<S>(streamId: string): Promise<Snapshot<S> | undefined>;
  /**
   * The newest snapshot of the stream history whose commit was committed at or before `at` (an
   * ISO 8601 instant as `Date.toISOString()` writes it, the format of `committedAt`).
   */
  readSnapshotAt<S>(streamId: string, at: string): Promise<Snapshot<S> | undefined>;
  /**
   * Keeps the newest snapshot: an older one never overwrites a newer one. A snapshot with
   * `committedAt` is first added to the stream's snapshot history (if that fails, neither is written).
   */
  writeSnapshot<S>(snapshot: Snapshot<S>): Promise<void>;
  /** Adds a snapshot of a past version to the stream's snapshot history only (the backfill of reads at an instant). */
  writeHistorySnapshot<S>(snapshot: Snapshot<S> & { committedAt: string }): Promise<void>;
}

/** Sortable commit-log position; versions are zero-padded so that 10 sorts after 9. */
export function commitPosition(committedAt: string, streamId: string, version: number): string {
  return `${committedAt}#${streamId}#${String(version).padStart(12, '0')}`;
}

/** Sortable position of a snapshot in its stream's history: `committedAt#version`, the version zero-padded. */
export function snapshotPosition(committedAt: string, version: number): string {
  return `${committedAt}#${String(version).padStart(12, '0')}`;
}

/**
 * The greatest snapshot position of an instant `at` (same format as `committedAt`): every
 * snapshot committed at or before it sorts at or below, every later one above ('~' sorts after the digits).
 */
export function snapshotPositionBound(at: string): string {
  return `${at}#~`;
}
