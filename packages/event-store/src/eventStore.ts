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
  readSnapshot<S>(streamId: string): Promise<Snapshot<S> | undefined>;
  /** Keeps the newest snapshot: an older one never overwrites a newer one. */
  writeSnapshot<S>(snapshot: Snapshot<S>): Promise<void>;
}
