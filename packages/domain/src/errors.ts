/**
 * The error vocabulary shared by every keyledger package. Each error has a stable string
 * `code` that adapters map to transport errors (HTTP status, event reason codes); messages
 * are for humans and never carry key material.
 */
export class KeyledgerError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Input that breaks a contract: the caller can fix it. */
export class ValidationError extends KeyledgerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('validation_error', message, options);
  }
}

export class NotFoundError extends KeyledgerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', message, options);
  }
}

/** A command that the current state of a key (or tenant) does not allow. */
export class IllegalKeyStateError extends KeyledgerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('illegal_key_state', message, options);
  }
}

/** An optimistic-concurrency conflict on a stream that retries did not resolve. */
export class ConcurrencyError extends KeyledgerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('concurrency_conflict', message, options);
  }
}

/** The root key store (KMS, HSM, key file) failed or refused an operation. */
export class RootKeyStoreError extends KeyledgerError {
  readonly reason: string;

  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super('root_key_store_error', message, options);
    this.reason = reason;
  }
}

/**
 * A key that something still depends on (stored secrets, recent decrypts): destroying it would
 * make data unreadable. The message says what depends on it and how to move it off.
 */
export class KeyInUseError extends KeyledgerError {
  constructor(message: string) {
    super('key_in_use', message);
  }
}

/** Stored key material does not match what the event log says it should be. */
export class IntegrityError extends KeyledgerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('integrity_error', message, options);
  }
}

export function isKeyledgerError(error: unknown): error is KeyledgerError {
  return error instanceof KeyledgerError;
}

/** The tenant was crypto-shredded: nothing of it can be used or provisioned again (410 tenant_shredded). */
export class TenantShreddedError extends KeyledgerError {
  constructor(
    readonly tenant: string,
    readonly requestId: string,
    readonly shreddedAt: string,
  ) {
    super(
      'tenant_shredded',
      `The tenant ${tenant} was shredded at ${shreddedAt} (destruction request ${requestId}); its keys and secrets are destroyed and it cannot be used again. ` +
        `Its destruction requests and receipts stay readable (GET /v1/destruction-requests, GET /v1/destruction-receipts/${requestId}).`,
    );
  }
}

/** The Region a service runs in and the one Region that may change anything (multi-Region deployments). */
export interface RegionRule {
  region: string;
  writeRegion: string;
}

/** Whether a service under this rule runs in a Region that serves reads only (none: one Region, it writes). */
export const readsOnly = (regions: RegionRule | undefined): boolean => regions !== undefined && regions.region !== regions.writeRegion;

/**
 * A commit asked of a Region that only serves reads (a multi-Region deployment writes in one
 * Region, its write Region; docs/operations.md): nothing was changed (503 read_only_region).
 */
export class ReadOnlyRegionError extends KeyledgerError {
  constructor(
    readonly region: string,
    readonly writeRegion: string,
  ) {
    super(
      'read_only_region',
      `This Region (${region}) serves reads only; changes are made in the write Region ${writeRegion}. Nothing was changed: send the request to ${writeRegion}, or fail over to this Region first (docs/operations.md).`,
    );
  }
}

export function hasErrorCode(error: unknown, code: string): error is KeyledgerError {
  return isKeyledgerError(error) && error.code === code;
}

/** Precondition check that throws a typed error (in the spirit of the Encryption SDK's `needs`). */
export function assertThat(
  condition: unknown,
  makeError: () => KeyledgerError,
): asserts condition {
  if (!condition) throw makeError();
}

export type KeyImportFailure =
  | 'invalid_length'
  | 'unwrap_failed'
  | 'key_material_too_short'
  | 'invalid_key_material'
  | 'wrapping_key_expired'
  | 'wrapping_key_unknown';

/**
 * Wrapped key material a root key store refused to import. The message says what to fix; it
 * never tells one cryptographic failure from another (no padding oracle).
 */
export class KeyImportError extends ValidationError {
  constructor(
    readonly reason: KeyImportFailure,
    message: string,
  ) {
    super(message);
  }
}
