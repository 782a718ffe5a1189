import type { EncryptionContext, QueryParameters as Query, RequestBody as Body, ResponseBody as Answer } from './apiTypes';
import type { DataKeyLimits } from './limits';
import { LocalEnvelopeCrypto, type EnvelopeStats } from './localEnvelope';
import type { OperationId } from './operations';
import { Transport, type CallInput, type TransportOptions, type TransportStats } from './transport';

/** Options of a KeyledgerClient. */
export interface KeyledgerClientOptions extends TransportOptions {
  /** Bounds of the local envelope encryption's data key cache (its revocation lag); see DataKeyLimits. */
  dataKeyLimits?: Partial<DataKeyLimits>;
}

/** Everything the client counted: API calls and attempts, data keys fetched and cached. */
export type KeyledgerClientStats = TransportStats & EnvelopeStats;

/**
 * A method of KeyledgerClient for each operation of docs/openapi.json: its operationId, except
 * the service-side `encrypt` and `decrypt`, whose names go to local envelope encryption.
 */
export const OPERATION_METHODS = {
  encrypt: 'serverEncrypt',
  decrypt: 'serverDecrypt',
} as const satisfies Partial<Record<OperationId, string>>;

type SecretQuery = Omit<Query<'getSecret'>, 'encryption_context'> & { encryption_context?: EncryptionContext };

/**
 * The keyledger API client: one method per operation (typed from docs/openapi.json), retries on
 * 429, 5xx and network errors that honour `Retry-After`, an Idempotency-Key on every POST and
 * PUT, and local envelope encryption (`encrypt`/`decrypt`) under cached data keys.
 */
export class KeyledgerClient {
  private readonly transport: Transport;
  private readonly envelopes: LocalEnvelopeCrypto;

  constructor(options: KeyledgerClientOptions) {
    this.transport = new Transport(options);
    this.envelopes = new LocalEnvelopeCrypto(
      {
        generateDataKey: (ns, context) => this.generateDataKey(ns, { encryption_context: context }),
        unwrapDataKey: async (ns, ciphertext, context) => {
          const answer = await this.serverDecrypt(ns, { ciphertext, encryption_context: context });
          return (answer as { plaintext: string }).plaintext;
        },
      },
      options.dataKeyLimits,
    );
  }

  /** Calls any operation by its operationId (the typed methods below are this). */
  call<K extends OperationId>(operation: K, input: CallInput = {}): Promise<Answer<K>> {
    return this.transport.call<Answer<K>>(operation, input);
  }

  // Local envelope encryption (docs/client.md).

  /**
   * Encrypts `plaintext` here, under a data key of `namespace` fetched once (data-keys, bound to
   * `context`) and reused within `dataKeyLimits`. Answers a client envelope ("KC"), which only
   * `decrypt` opens, with the same namespace and context.
   */
  encrypt(namespace: string, plaintext: Uint8Array, context?: EncryptionContext): Promise<Uint8Array> {
    return this.envelopes.encrypt(namespace, plaintext, context);
  }

  /** Opens a client envelope: its data key is unwrapped through keyledger once, then cached. Throws KeyledgerEnvelopeError or KeyledgerApiError. */
  decrypt(namespace: string, ciphertext: Uint8Array, context?: EncryptionContext): Promise<Uint8Array> {
    return this.envelopes.decrypt(namespace, ciphertext, context);
  }

  /** Calls, attempts and cached keys so far (e.g. keyledger calls per N messages). */
  stats(): KeyledgerClientStats {
    return { ...this.transport.stats, ...this.envelopes.stats() };
  }

  /** Zeroes and drops every cached data key. */
  clearKeyCache(): void {
    this.envelopes.clear();
  }

  // Management API: keys (Auth0-compatible).

  /** GET /api/v2/keys/encryption */
  listEncryptionKeys(query?: Query<'listEncryptionKeys'>) { return this.call('listEncryptionKeys', { query }); }
  /** POST /api/v2/keys/encryption: a customer-provided root key (BYOK), in pre-activation. */
  createEncryptionKey(body: Body<'createEncryptionKey'>) { return this.call('createEncryptionKey', { body }); }
  /** POST /api/v2/keys/encryption/rekey */
  rekey() { return this.call('rekey'); }
  /** GET /api/v2/keys/encryption/{kid} */
  getEncryptionKey(kid: string) { return this.call('getEncryptionKey', { path: { kid } }); }
  /** POST /api/v2/keys/encryption/{kid}: import wrapped key material. */
  importEncryptionKey(kid: string, body: Body<'importEncryptionKey'>) { return this.call('importEncryptionKey', { path: { kid }, body }); }
  /** DELETE /api/v2/keys/encryption/{kid} (202 with a destruction request under a policy). */
  deleteEncryptionKey(kid: string) { return this.call('deleteEncryptionKey', { path: { kid } }); }
  /** POST /api/v2/keys/encryption/{kid}/wrapping-key */
  createWrappingKey(kid: string, body?: Body<'createWrappingKey'>) { return this.call('createWrappingKey', { path: { kid }, body }); }
  /** GET /v1/keys/{kid}/usage */
  getKeyUsage(kid: string) { return this.call('getKeyUsage', { path: { kid } }); }
  /** GET /v1/keys/as-of?at= */
  listEncryptionKeysAsOf(query: Query<'listEncryptionKeysAsOf'>) { return this.call('listEncryptionKeysAsOf', { query }); }
  /** GET /v1/keys/retention */
  getKeyRetention() { return this.call('getKeyRetention'); }
  /** PUT /v1/keys/retention */
  setKeyRetention(body: Body<'setKeyRetention'>) { return this.call('setKeyRetention', { body }); }

  // Destruction requests, receipts, shredding.

  /** GET /v1/destruction-requests */
  listDestructionRequests() { return this.call('listDestructionRequests'); }
  /** GET /v1/destruction-requests/{id} */
  getDestructionRequest(id: string) { return this.call('getDestructionRequest', { path: { id } }); }
  /** POST /v1/destruction-requests/{id}/approve */
  approveDestructionRequest(id: string) { return this.call('approveDestructionRequest', { path: { id } }); }
  /** POST /v1/destruction-requests/{id}/cancel */
  cancelDestructionRequest(id: string) { return this.call('cancelDestructionRequest', { path: { id } }); }
  /** GET /v1/destruction-receipts/{id}: a compact JWS. */
  getDestructionReceipt(id: string) { return this.call('getDestructionReceipt', { path: { id } }); }
  /** DELETE /v1/tenant: crypto-shred the caller's tenant. */
  shredTenant() { return this.call('shredTenant'); }

  // Data plane (service-side).

  /** POST /v1/namespaces/{ns}/encrypt: encryption in the service (a "KL" envelope), or a batch. */
  serverEncrypt(ns: string, body: Body<'encrypt'>) { return this.call('encrypt', { path: { ns }, body }); }
  /** POST /v1/namespaces/{ns}/decrypt: decryption in the service of a "KL" envelope, or a batch. */
  serverDecrypt(ns: string, body: Body<'decrypt'>) { return this.call('decrypt', { path: { ns }, body }); }
  /** POST /v1/namespaces/{ns}/rewrap */
  rewrap(ns: string, body: Body<'rewrap'>) { return this.call('rewrap', { path: { ns }, body }); }
  /** POST /v1/namespaces/{ns}/data-keys: a data key in the clear and wrapped. */
  generateDataKey(ns: string, body: Body<'generateDataKey'> = {}) { return this.call('generateDataKey', { path: { ns }, body }); }

  // Secrets and jobs.

  /** GET /v1/secrets */
  listSecrets(query?: Query<'listSecrets'>) { return this.call('listSecrets', { query }); }
  /** PUT /v1/secrets/{name} */
  putSecret(name: string, body: Body<'putSecret'>, query?: Query<'putSecret'>) { return this.call('putSecret', { path: { name }, body, query }); }
  /** GET /v1/secrets/{name} (latest, or `version`); `encryption_context` as an object. */
  getSecret(name: string, query?: SecretQuery) { return this.call('getSecret', { path: { name }, query }); }
  /** DELETE /v1/secrets/{name} (every version, or `version`) */
  deleteSecret(name: string, query?: Query<'deleteSecret'>) { return this.call('deleteSecret', { path: { name }, query }); }
  /** GET /v1/secrets/{name}/versions */
  listSecretVersions(name: string, query?: Query<'listSecretVersions'>) { return this.call('listSecretVersions', { path: { name }, query }); }
  /** POST /v1/secrets/{name}/rotate */
  rotateSecret(name: string, body: Body<'rotateSecret'> = {}, query?: Query<'rotateSecret'>) { return this.call('rotateSecret', { path: { name }, body, query }); }
  /** GET /v1/secrets/{name}/rotation */
  getSecretRotation(name: string, query?: Query<'getSecretRotation'>) { return this.call('getSecretRotation', { path: { name }, query }); }
  /** PUT /v1/secrets/{name}/rotation */
  putSecretRotation(name: string, body: Body<'putSecretRotation'>, query?: Query<'putSecretRotation'>) { return this.call('putSecretRotation', { path: { name }, body, query }); }
  /** DELETE /v1/secrets/{name}/rotation */
  deleteSecretRotation(name: string, query?: Query<'deleteSecretRotation'>) { return this.call('deleteSecretRotation', { path: { name }, query }); }
  /** PUT /v1/secrets/{name}/audit */
  putSecretAudit(name: string, body: Body<'putSecretAudit'>, query?: Query<'putSecretAudit'>) { return this.call('putSecretAudit', { path: { name }, body, query }); }
  /** GET /v1/secrets/{name}/usage */
  getSecretUsage(name: string, query?: Query<'getSecretUsage'>) { return this.call('getSecretUsage', { path: { name }, query }); }
  /** GET /v1/secret-access-rules */
  getSecretAccessRules(query?: Query<'getSecretAccessRules'>) { return this.call('getSecretAccessRules', { query }); }
  /** PUT /v1/secret-access-rules */
  putSecretAccessRules(body: Body<'putSecretAccessRules'>, query?: Query<'putSecretAccessRules'>) { return this.call('putSecretAccessRules', { body, query }); }
  /** POST /v1/secrets/reencrypt (202 with a job) */
  reencryptSecrets(query?: Query<'reencryptSecrets'>) { return this.call('reencryptSecrets', { query }); }
  /** GET /v1/jobs */
  listJobs(query?: Query<'listJobs'>) { return this.call('listJobs', { query }); }
  /** GET /v1/jobs/{id} */
  getJob(id: string) { return this.call('getJob', { path: { id } }); }

  // Audit logs.

  /** GET /api/v2/logs */
  listLogs(query?: Query<'listLogs'>) { return this.call('listLogs', { query }); }
  /** GET /api/v2/logs/{id} */
  getLog(id: string) { return this.call('getLog', { path: { id } }); }
}

type MethodOf<K extends OperationId> = K extends keyof typeof OPERATION_METHODS ? (typeof OPERATION_METHODS)[K] : K;
/** Fails to compile when an operation of docs/openapi.json has no method (the unit test checks at run time too). */
export type MissingOperations = Exclude<{ [K in OperationId]: MethodOf<K> extends keyof KeyledgerClient ? never : K }[OperationId], never>;
const everyOperationHasAMethod: [MissingOperations] extends [never] ? true : MissingOperations = true;
void everyOperationHasAMethod;
