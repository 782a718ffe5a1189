/**
 * The errors the client throws: an answer of the API (Auth0's error shape), no answer at all, and
 * a client envelope that cannot be opened. Each has a stable string `code`, as the service's
 * own errors do.
 */

/** The API answered with an error: `{statusCode, error, message, errorCode}` (docs/errors.md lists every errorCode). */
export class KeyledgerApiError extends Error {
  override readonly name = 'KeyledgerApiError';
  readonly code = 'api_error';
  constructor(
    /** The HTTP status. */
    readonly statusCode: number,
    /** keyledger's errorCode, e.g. `invalid_ciphertext`, `too_many_requests` (or `unknown` when the body had none). */
    readonly errorCode: string,
    message: string,
    /** The HTTP reason, Auth0's `error` field (e.g. "Bad Request"). */
    readonly error: string,
    /** What `Retry-After` asked for, in milliseconds, when the answer had one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** No answer: the connection failed or the request timed out (after the retries the request was allowed). */
export class KeyledgerNetworkError extends Error {
  override readonly name = 'KeyledgerNetworkError';
  readonly code = 'network_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A client envelope that is malformed, or does not open with this key and encryption context. */
export class KeyledgerEnvelopeError extends Error {
  override readonly name = 'KeyledgerEnvelopeError';
  readonly code = 'invalid_ciphertext';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** True for an API error with this errorCode (or any API error, without one). */
export function isKeyledgerApiError(error: unknown, errorCode?: string): error is KeyledgerApiError {
  return error instanceof KeyledgerApiError && (errorCode === undefined || error.errorCode === errorCode);
}
