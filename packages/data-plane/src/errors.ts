import { KeyledgerError, NotFoundError, ValidationError } from '@keyledger/domain';

/**
 * A ciphertext that authenticated under no key this caller may use: wrong tenant, namespace or
 * encryption context, or altered bytes. One message for all of them, on purpose.
 */
export class UndecryptableError extends KeyledgerError {
  readonly errorCode = 'decryption_failed';

  constructor(
    message = 'The ciphertext could not be decrypted: it was altered, or the tenant, namespace or encryption context differ from those it was encrypted with.',
  ) {
    super('undecryptable', message);
  }
}

/** Bytes that are not a keyledger envelope at all (the structure is public; saying what is wrong reveals nothing). */
export class MalformedCiphertextError extends ValidationError {
  readonly errorCode = 'invalid_ciphertext';
}

export class NamespaceNotFoundError extends NotFoundError {
  readonly errorCode = 'namespace_not_found';
}

export class SecretNotFoundError extends NotFoundError {
  readonly errorCode = 'secret_not_found';
}

/** A put or rotate that named a version which is no longer the current one. */
export class SecretVersionConflictError extends KeyledgerError {
  readonly errorCode = 'secret_version_conflict';

  constructor(message: string) {
    super('concurrency_conflict', message);
  }
}
