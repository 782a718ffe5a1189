/**
 * The one route table: the local server routes with it, the CDK app builds API Gateway routes
 * and authorizer scopes from it, and the OpenAPI document (docs/openapi.json) is generated from it.
 * `scopes` are all required (API Gateway's authorizer checks any-of; the handler checks all-of).
 */
export type ServiceName = 'key-admin' | 'crypto-data-plane' | 'audit-projector';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDefinition {
  method: HttpMethod;
  path: string;
  service: ServiceName;
  operation: string;
  scopes: readonly string[];
  summary: string;
}

export const ROUTES = [
  {
    method: 'GET',
    path: '/api/v2/keys/encryption',
    service: 'key-admin',
    operation: 'listEncryptionKeys',
    scopes: ['read:encryption_keys'],
    summary: "List the tenant's encryption keys (Auth0 pagination).",
  },
  {
    method: 'POST',
    path: '/api/v2/keys/encryption',
    service: 'key-admin',
    operation: 'createEncryptionKey',
    scopes: ['create:encryption_keys'],
    summary: 'Create a customer-provided root key (BYOK), in pre-activation.',
  },
  {
    method: 'POST',
    path: '/api/v2/keys/encryption/rekey',
    service: 'key-admin',
    operation: 'rekey',
    scopes: ['create:encryption_keys', 'update:encryption_keys'],
    summary: 'Rekey the hierarchy: new TMK, rotated namespace keys, previous TMK destroyed.',
  },
  {
    method: 'GET',
    path: '/api/v2/keys/encryption/{kid}',
    service: 'key-admin',
    operation: 'getEncryptionKey',
    scopes: ['read:encryption_keys'],
    summary: 'Get one encryption key by id.',
  },
  {
    method: 'POST',
    path: '/api/v2/keys/encryption/{kid}',
    service: 'key-admin',
    operation: 'importEncryptionKey',
    scopes: ['update:encryption_keys'],
    summary: 'Import wrapped key material into a customer-provided root key: it becomes active and wraps the TMK.',
  },
  {
    method: 'DELETE',
    path: '/api/v2/keys/encryption/{kid}',
    service: 'key-admin',
    operation: 'deleteEncryptionKey',
    scopes: ['delete:encryption_keys'],
    summary: 'Destroy a key: a customer-provided root key (the TMK goes back under the ERK first), or a deactivated namespace key nothing depends on.',
  },
  {
    method: 'POST',
    path: '/api/v2/keys/encryption/{kid}/wrapping-key',
    service: 'key-admin',
    operation: 'createWrappingKey',
    scopes: ['create:encryption_keys'],
    summary: 'Get a one-time RSA-3072 public wrapping key (CKM_RSA_AES_KEY_WRAP) for importing key material.',
  },
  {
    method: 'GET',
    path: '/v1/keys/{kid}/usage',
    service: 'key-admin',
    operation: 'getKeyUsage',
    scopes: ['read:encryption_keys'],
    summary: 'What depends on a key: stored secret versions under it, and decrypts since it was deactivated.',
  },
  {
    method: 'GET',
    path: '/v1/keys/as-of',
    service: 'key-admin',
    operation: 'listEncryptionKeysAsOf',
    scopes: ['read:encryption_keys'],
    summary: "The tenant's encryption keys as they were at an instant (`at`, ISO 8601): each key's state, parent and root key then, paged like the listing.",
  },
  {
    method: 'GET',
    path: '/v1/destruction-requests',
    service: 'key-admin',
    operation: 'listDestructionRequests',
    scopes: ['read:destruction_requests'],
    summary: 'List the tenant\'s destruction requests: live ones, then the newest finished ones.',
  },
  {
    method: 'GET',
    path: '/v1/destruction-requests/{id}',
    service: 'key-admin',
    operation: 'getDestructionRequest',
    scopes: ['read:destruction_requests'],
    summary: 'Get one destruction request.',
  },
  {
    method: 'POST',
    path: '/v1/destruction-requests/{id}/approve',
    service: 'key-admin',
    operation: 'approveDestructionRequest',
    scopes: ['approve:destruction_requests'],
    summary: 'Approve a destruction request (not its requester; each subject counts once).',
  },
  {
    method: 'POST',
    path: '/v1/destruction-requests/{id}/cancel',
    service: 'key-admin',
    operation: 'cancelDestructionRequest',
    scopes: ['read:destruction_requests'],
    summary: 'Cancel a live destruction request (its requester, or a holder of approve:destruction_requests).',
  },
  {
    method: 'GET',
    path: '/v1/destruction-receipts/{id}',
    service: 'key-admin',
    operation: 'getDestructionReceipt',
    scopes: ['read:destruction_requests'],
    summary: 'The signed receipt of an executed destruction request: a compact JWS (ES256) verifiable with the keys at /.well-known/keyledger/receipt-keys.json.',
  },
  {
    method: 'DELETE',
    path: '/v1/tenant',
    service: 'key-admin',
    operation: 'shredTenant',
    scopes: ['delete:tenant'],
    summary: "Crypto-shred the caller's tenant: every key but the environment root key destroyed, its secrets and key material deleted, the tenant id tombstoned (410 from then on), and a signed receipt. Under a destruction policy, a request that waits.",
  },
  {
    method: 'GET',
    path: '/v1/keys/retention',
    service: 'key-admin',
    operation: 'getKeyRetention',
    scopes: ['read:encryption_keys'],
    summary: "The tenant's retention setting: whether quiet, unused deactivated keys are retired automatically.",
  },
  {
    method: 'PUT',
    path: '/v1/keys/retention',
    service: 'key-admin',
    operation: 'setKeyRetention',
    scopes: ['update:encryption_keys', 'delete:encryption_keys'],
    summary: 'Retire deactivated keys automatically once unused and quiet for auto_retire_after (ISO 8601), or never (null).',
  },
  {
    method: 'POST',
    path: '/v1/namespaces/{ns}/encrypt',
    service: 'crypto-data-plane',
    operation: 'encrypt',
    scopes: ['encrypt'],
    summary: "Encrypt up to 256 KiB under the namespace's active key (envelope format 2), or a batch.",
  },
  {
    method: 'POST',
    path: '/v1/namespaces/{ns}/decrypt',
    service: 'crypto-data-plane',
    operation: 'decrypt',
    scopes: ['decrypt'],
    summary: 'Decrypt an envelope of this tenant and namespace, with the context it was encrypted with, or a batch.',
  },
  {
    method: 'POST',
    path: '/v1/namespaces/{ns}/rewrap',
    service: 'crypto-data-plane',
    operation: 'rewrap',
    scopes: ['rewrap'],
    summary: "Move an envelope under the namespace's active key without the plaintext leaving the service, or a batch.",
  },
  {
    method: 'POST',
    path: '/v1/namespaces/{ns}/data-keys',
    service: 'crypto-data-plane',
    operation: 'generateDataKey',
    scopes: ['create:data_keys'],
    summary: 'Generate a 256-bit data key: returned in the clear and as an envelope that decrypt opens.',
  },
  {
    method: 'GET',
    path: '/v1/secrets',
    service: 'crypto-data-plane',
    operation: 'listSecrets',
    scopes: ['read:secrets'],
    summary: "List a namespace's secret names with their latest versions (from/take pagination).",
  },
  {
    method: 'PUT',
    path: '/v1/secrets/{name}',
    service: 'crypto-data-plane',
    operation: 'putSecret',
    scopes: ['create:secrets'],
    summary: 'Store a new version of a secret (optionally only if expected_version is still current).',
  },
  {
    method: 'GET',
    path: '/v1/secrets/{name}',
    service: 'crypto-data-plane',
    operation: 'getSecret',
    scopes: ['read:secrets'],
    summary: 'Read the latest version of a secret, or ?version=N.',
  },
  {
    method: 'DELETE',
    path: '/v1/secrets/{name}',
    service: 'crypto-data-plane',
    operation: 'deleteSecret',
    scopes: ['delete:secrets'],
    summary: 'Delete every version of a secret, or only ?version=N (its number is not reused).',
  },
  {
    method: 'GET',
    path: '/v1/secrets/{name}/versions',
    service: 'crypto-data-plane',
    operation: 'listSecretVersions',
    scopes: ['read:secrets'],
    summary: "List a secret's live versions, newest first.",
  },
  {
    method: 'POST',
    path: '/v1/secrets/{name}/rotate',
    service: 'crypto-data-plane',
    operation: 'rotateSecret',
    scopes: ['update:secrets'],
    summary: 'Store a new random value (length, alphabet) as the next version; the value is returned once.',
  },
  {
    method: 'GET',
    path: '/v1/secrets/{name}/rotation',
    service: 'crypto-data-plane',
    operation: 'getSecretRotation',
    scopes: ['read:secrets'],
    summary: "A secret's rotation schedule (404 when it has none).",
  },
  {
    method: 'PUT',
    path: '/v1/secrets/{name}/rotation',
    service: 'crypto-data-plane',
    operation: 'putSecretRotation',
    scopes: ['update:secrets'],
    summary: 'Rotate a secret on a schedule: a new random version every period (at least PT1H), announced by a secret_rotated event.',
  },
  {
    method: 'DELETE',
    path: '/v1/secrets/{name}/rotation',
    service: 'crypto-data-plane',
    operation: 'deleteSecretRotation',
    scopes: ['update:secrets'],
    summary: "Stop a secret's scheduled rotation (its versions stay).",
  },
  {
    method: 'PUT',
    path: '/v1/secrets/{name}/audit',
    service: 'crypto-data-plane',
    operation: 'putSecretAudit',
    scopes: ['update:secrets'],
    summary: "Set how a secret's reads are audited: summary (the default) or every_read.",
  },
  {
    method: 'GET',
    path: '/v1/secrets/{name}/usage',
    service: 'crypto-data-plane',
    operation: 'getSecretUsage',
    scopes: ['read:secrets'],
    summary: 'Who read a secret and when: reads per version, client and subject (from/take pagination).',
  },
  {
    method: 'GET',
    path: '/v1/secret-access-rules',
    service: 'crypto-data-plane',
    operation: 'getSecretAccessRules',
    scopes: ['read:secrets'],
    summary: "A namespace's secret access rules, in order.",
  },
  {
    method: 'PUT',
    path: '/v1/secret-access-rules',
    service: 'crypto-data-plane',
    operation: 'putSecretAccessRules',
    scopes: ['update:secrets'],
    summary: "Replace a namespace's secret access rules (the first rule whose glob matches a name decides who reads its value).",
  },
  {
    method: 'POST',
    path: '/v1/secrets/reencrypt',
    service: 'crypto-data-plane',
    operation: 'reencryptSecrets',
    scopes: ['update:secrets'],
    summary: "Start a job that moves a namespace's stored secret versions under its active key (202).",
  },
  {
    method: 'GET',
    path: '/v1/jobs',
    service: 'crypto-data-plane',
    operation: 'listJobs',
    scopes: ['read:encryption_keys'],
    summary: "The tenant's background jobs, newest first (from/take pagination).",
  },
  {
    method: 'GET',
    path: '/v1/jobs/{id}',
    service: 'crypto-data-plane',
    operation: 'getJob',
    scopes: ['read:encryption_keys'],
    summary: 'One background job: state, done, total, times.',
  },
  {
    method: 'GET',
    path: '/api/v2/logs',
    service: 'audit-projector',
    operation: 'listLogs',
    scopes: ['read:logs'],
    summary: "Search the tenant's log events (q, page/per_page, or from/take checkpoints).",
  },
  {
    method: 'GET',
    path: '/api/v2/logs/{id}',
    service: 'audit-projector',
    operation: 'getLog',
    scopes: ['read:logs'],
    summary: 'Get one log event by id.',
  },
] as const satisfies readonly RouteDefinition[];

export type Route = (typeof ROUTES)[number];

/** The one public path (no token, no tenant): the destruction receipt keys' JWKS, answered by key-admin. */
export const RECEIPT_KEYS_PATH = '/.well-known/keyledger/receipt-keys.json';
export type OperationName = Route['operation'];

export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>) => `${route.method} ${route.path}`;

export function routeFor(operation: OperationName): Route {
  const route = ROUTES.find((candidate) => candidate.operation === operation);
  if (!route) throw new Error(`No route for operation ${operation}.`);
  return route;
}

/** Every scope some route needs, e.g. for a local admin token. */
export const ALL_SCOPES: readonly string[] = [...new Set(ROUTES.flatMap((route) => route.scopes))].sort();
