import { KeyledgerError, ValidationError } from '@keyledger/domain';

/** No credentials, or credentials that do not verify. */
export class AuthenticationError extends KeyledgerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('authentication_required', message, options);
  }
}

/** Authenticated, but not allowed to do this. */
export class AuthorizationError extends KeyledgerError {
  constructor(
    message: string,
    readonly errorCode: 'insufficient_scope' | 'missing_tenant_claim' | 'invalid_tenant_claim' = 'insufficient_scope',
  ) {
    super('forbidden', message);
  }
}

/** Bad input, tagged with the part of the request that is wrong (Auth0's error codes). */
export class RequestValidationError extends ValidationError {
  constructor(
    message: string,
    readonly errorCode: 'invalid_query_string' | 'invalid_body' | 'invalid_uri' | 'invalid_request',
  ) {
    super(message);
  }
}

export class UnsupportedMediaTypeError extends KeyledgerError {
  constructor(message: string) {
    super('unsupported_media_type', message);
  }
}
