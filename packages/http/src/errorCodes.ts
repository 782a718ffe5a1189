/**
 * Every errorCode the API can answer, with its status (when each is used: errorCodeDocs.ts,
 * kept apart so the Lambda bundles do not carry the prose); the source of docs/errors.md. Auth0's own code where Auth0 documents one for the
 * case (marked auth0), else a keyledger code. The structure test checks that the code uses no other.
 */
export const ERROR_CODES = {
  invalid_body: { status: 400, auth0: true },
  invalid_query_string: { status: 400, auth0: true },
  invalid_uri: { status: 400, auth0: true },
  invalid_request: { status: 400, auth0: false },
  invalid_ciphertext: { status: 400, auth0: false },
  decryption_failed: { status: 400, auth0: false },
  query_too_expensive: { status: 400, auth0: false },
  missing_token: { status: 401, auth0: false },
  invalid_token: { status: 401, auth0: false },
  insufficient_scope: { status: 403, auth0: true },
  missing_tenant_claim: { status: 403, auth0: false },
  invalid_tenant_claim: { status: 403, auth0: false },
  forbidden: { status: 403, auth0: false },
  secret_access_denied: { status: 403, auth0: false },
  key_not_found: { status: 404, auth0: false },
  namespace_not_found: { status: 404, auth0: false },
  secret_not_found: { status: 404, auth0: false },
  job_not_found: { status: 404, auth0: false },
  destruction_request_not_found: { status: 404, auth0: false },
  destruction_receipt_not_found: { status: 404, auth0: false },
  log_not_found: { status: 404, auth0: false },
  route_not_found: { status: 404, auth0: false },
  method_not_allowed: { status: 405, auth0: false },
  idempotency_key_in_use: { status: 409, auth0: false },
  tenant_shredded: { status: 410, auth0: false },
  idempotency_key_reused: { status: 422, auth0: false },
  too_many_requests: { status: 429, auth0: true },
  temporarily_unavailable: { status: 503, auth0: false },
  invalid_key_state: { status: 409, auth0: false },
  key_in_use: { status: 409, auth0: false },
  destruction_pending: { status: 409, auth0: false },
  concurrent_modification: { status: 409, auth0: false },
  secret_version_conflict: { status: 409, auth0: false },
  request_timeout: { status: 408, auth0: false },
  headers_too_large: { status: 431, auth0: false },
  payload_too_large: { status: 413, auth0: false },
  unsupported_media_type: { status: 415, auth0: false },
  internal_error: { status: 500, auth0: false },
  root_key_store_unavailable: { status: 503, auth0: false },
  server_busy: { status: 503, auth0: false },
  read_only_region: { status: 503, auth0: false },
} as const satisfies Record<string, { status: number; auth0: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
