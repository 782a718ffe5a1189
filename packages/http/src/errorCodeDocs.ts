import { ERROR_CODES, type ErrorCode } from './errorCodes';

/** When each errorCode is answered: docs/errors.md's last column (every code has one, and no other: the type says so). */
export const ERROR_CODE_DOCS = {
  invalid_body: 'The JSON body is missing a field, has one of the wrong type or shape, is not JSON, or is not valid UTF-8 / Unicode; or what it asks cannot be done (wrapped key material that does not unwrap, an unsupported key type).',
  invalid_query_string: 'A query parameter is unknown or malformed, including a log search (`q` or `search`) that does not parse or is over the query limits, a search page beyond the first 1,000 results, and an `at` of `GET /v1/keys/as-of` that is not an ISO 8601 date-time with a time zone or is in the future.',
  invalid_uri: 'A path parameter (key id, namespace, secret name, log id) is malformed.',
  invalid_request: 'The request as a whole is not acceptable: a request target that is not an ASCII path, malformed HTTP, an `Expect` other than 100-continue, an `Idempotency-Key` that is not 1 to 255 visible ASCII characters.',
  invalid_ciphertext: 'The bytes sent for decryption are not a keyledger envelope.',
  decryption_failed: 'The envelope did not authenticate: altered, or another tenant, namespace or encryption context.',
  query_too_expensive: 'A log search would compare more characters or read more entries than one request may.',
  missing_token: 'No `Authorization: Bearer` header.',
  invalid_token: 'The bearer token does not verify or has expired.',
  insufficient_scope: 'The token lacks a scope the route requires.',
  missing_tenant_claim: 'The token names no tenant.',
  invalid_tenant_claim: 'The token\'s tenant claim is not a valid tenant name.',
  forbidden: 'The caller may not do this to a destruction request: its requester approving it, or someone else cancelling it without `approve:destruction_requests`; locally, the dev clock answers only on the loopback interface.',
  key_not_found: 'No encryption key of this tenant has that id.',
  namespace_not_found: 'The tenant has no such namespace.',
  secret_not_found: 'No such secret, or no such version of it.',
  secret_access_denied: 'The first secret access rule whose glob matches the secret leaves this token\'s client and subject out (the message names the rule).',
  job_not_found: 'No re-encryption job of this tenant has that id.',
  destruction_request_not_found: 'No destruction request of this tenant has that id.',
  destruction_receipt_not_found: 'The destruction request does not exist, has not executed (only executed requests have receipts), or its receipt is still being issued (retry shortly).',
  log_not_found: 'No log entry of this tenant has that log_id.',
  route_not_found: 'No route has this path (or its service is not running in this stack).',
  method_not_allowed: 'The path exists, but not with this method (the `Allow` header lists the methods).',
  idempotency_key_in_use: 'A request with the same `Idempotency-Key` is still running; retry after the `Retry-After` seconds.',
  tenant_shredded: 'The tenant was crypto-shredded (DELETE /v1/tenant executed): its keys and secrets are destroyed and the tenant id can never be used again. Only its destruction requests and receipts (and its audit log) stay readable.',
  idempotency_key_reused: 'The `Idempotency-Key` was used in the last 24 hours for a different request (method, path and query, tenant or body).',
  too_many_requests: 'The tenant has used up its rate limit (KEYLEDGER_RATE_LIMIT, CDK `tenantRateLimit`); retry after the `Retry-After` seconds. The `x-ratelimit-*` headers say how much is left.',
  read_only_region: 'A change (a commit to a tenant\'s hierarchy: a rekey, a new tenant, a destruction) asked of a Region of a multi-Region deployment that serves reads only; nothing was changed. Send it to the write Region the message names (the deployment\'s `primaryRegion`), or fail over (docs/operations.md).',
  temporarily_unavailable: 'A store the request needs first (the idempotency records) is unavailable; nothing was done.',
  invalid_key_state: 'The key\'s state does not allow the operation (for example deleting the active key).',
  key_in_use: 'Something still depends on the key: stored secrets, recent decrypts, or a pending grace period.',
  destruction_pending: 'A decrypt or rewrap under a key that a live destruction request (a retirement or a shred) names; the message names the request, whose cancel restores the key.',
  concurrent_modification: 'Another change of the same hierarchy won every retry; send the request again.',
  secret_version_conflict: '`expected_version` is not the secret\'s current version.',
  request_timeout: 'Local stack only: the headers or the whole request were not received within their timeouts (KEYLEDGER_HTTP_HEADERS_TIMEOUT, KEYLEDGER_HTTP_REQUEST_TIMEOUT).',
  headers_too_large: 'Local stack only: the request headers are larger than Node\'s limit (16 KiB).',
  payload_too_large: 'The body is larger than the server accepts.',
  unsupported_media_type: 'A body was sent with a content type other than `application/json`.',
  internal_error: 'Anything unexpected; the details are logged, never returned.',
  root_key_store_unavailable: 'The root key store (KMS, the HSM, the key file) failed; nothing was changed.',
  server_busy: 'Local stack only: as many requests or request body bytes in flight as the server allows; retry after the `Retry-After` seconds. (Connections over the cap are closed without an answer.)',
} as const satisfies Record<ErrorCode, string>;

/** docs/errors.md, written from ERROR_CODES and ERROR_CODE_DOCS. */
export function errorCodesMarkdown(): string {
  const rows = (Object.entries(ERROR_CODES) as Array<[ErrorCode, (typeof ERROR_CODES)[ErrorCode]]>)
    .sort(([a, x], [b, y]) => x.status - y.status || (a < b ? -1 : 1))
    .map(([code, { status, auth0 }]) => `| ${status} | \`${code}\` | ${auth0 ? 'Auth0' : 'keyledger'} | ${ERROR_CODE_DOCS[code]} |`);
  return [
    '# Error codes',
    '',
    '<!-- Generated from packages/http/src/errorCodes.ts and errorCodeDocs.ts by `npm run docs`; do not edit. -->',
    '',
    'Every error response has Auth0\'s shape: `{"statusCode", "error", "message", "errorCode"}`. The',
    'message says what is wrong for 4xx answers and is generic for 5xx ones. These are all the',
    'errorCodes keyledger answers; "Auth0" marks the codes Auth0\'s Management API uses for the same case.',
    '',
    '| status | errorCode | from | when |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
