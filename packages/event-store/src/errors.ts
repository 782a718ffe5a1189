import { KeyledgerError } from '@keyledger/domain';

/** Another commit took the version this append expected to write. Retried by the repository. */
export class StreamVersionConflictError extends KeyledgerError {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    options?: { cause?: unknown },
  ) {
    super('stream_version_conflict', `Stream ${streamId} moved past version ${expectedVersion}.`, options);
  }
}

/** A commit is larger than a DynamoDB item can hold. */
export class CommitTooLargeError extends KeyledgerError {
  constructor(streamId: string, bytes: number, limit: number) {
    super('commit_too_large', `A commit of ${bytes} bytes to stream ${streamId} exceeds the ${limit}-byte limit.`);
  }
}
