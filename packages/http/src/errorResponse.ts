import { isKeyledgerError } from '@keyledger/domain';
import { isErrorCode, type ErrorCode } from './errorCodes';

/** Auth0 Management API error body. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errorCode: ErrorCode;
}

const BY_CODE: Record<string, { statusCode: number; errorCode: ErrorCode }> = {
  // Auth0 answers invalid_body for what the body asks that cannot be done (e.g. unusable key material).
  validation_error: { statusCode: 400, errorCode: 'invalid_body' },
  authentication_required: { statusCode: 401, errorCode: 'invalid_token' },
  forbidden: { statusCode: 403, errorCode: 'insufficient_scope' },
  not_found: { statusCode: 404, errorCode: 'key_not_found' },
  unsupported_media_type: { statusCode: 415, errorCode: 'unsupported_media_type' },
  illegal_key_state: { statusCode: 409, errorCode: 'invalid_key_state' },
  key_in_use: { statusCode: 409, errorCode: 'key_in_use' },
  destruction_pending: { statusCode: 409, errorCode: 'destruction_pending' },
  tenant_shredded: { statusCode: 410, errorCode: 'tenant_shredded' },
  undecryptable: { statusCode: 400, errorCode: 'decryption_failed' },
  concurrency_conflict: { statusCode: 409, errorCode: 'concurrent_modification' },
  root_key_store_error: { statusCode: 503, errorCode: 'root_key_store_unavailable' },
  read_only_region: { statusCode: 503, errorCode: 'read_only_region' },
};

const REASON_PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function errorBody(statusCode: number, message: string, errorCode: ErrorCode): ErrorBody {
  return { statusCode, error: REASON_PHRASES[statusCode] ?? 'Error', message, errorCode };
}

/**
 * Maps any error to the Auth0 error shape. Messages of 4xx errors are written for callers and
 * shown; anything else gets a generic message (the details go to the log, never to the caller).
 */
export function toErrorBody(error: unknown): { body: ErrorBody; expose: boolean } {
  if (isKeyledgerError(error)) {
    const mapped = BY_CODE[error.code];
    if (mapped) {
      // An error may name its own Auth0-style errorCode (e.g. secret_not_found); else the code's default.
      const own = (error as { errorCode?: unknown }).errorCode;
      const errorCode = isErrorCode(own) ? own : mapped.errorCode;
      if (mapped.statusCode < 500) return { body: errorBody(mapped.statusCode, error.message, errorCode), expose: true };
      // It names Regions only: the caller needs it to go to the write Region.
      if (error.code === 'read_only_region') return { body: errorBody(503, error.message, errorCode), expose: true };
      if (mapped.statusCode === 503) {
        return {
          body: errorBody(503, 'The root key store is unavailable. Nothing was changed; retry later.', errorCode),
          expose: false,
        };
      }
    }
  }
  return { body: errorBody(500, 'An internal error occurred.', 'internal_error'), expose: false };
}
