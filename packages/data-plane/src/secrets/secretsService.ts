import { randomInt } from 'node:crypto';
import { zeroize, type EncryptionContext } from '@keyledger/crypto';
import { ConcurrencyError, CONTEXT_KEYS as C } from '@keyledger/domain';
import type { CryptoDataPlane } from '../cryptoDataPlane';
import { SecretNotFoundError, SecretVersionConflictError } from '../errors';
import type { SecretListPage, SecretRef, SecretStore, SecretVersionInfo } from './secretStore';

/** Secret names: CredStash-like dotted names; no '/' or '#', which the table's keys use as separators. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export const SECRET_ALPHABETS = {
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  hex: '0123456789abcdef',
  base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
  // Printable ASCII without space.
  printable: Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join(''),
} as const;
export type SecretAlphabet = keyof typeof SECRET_ALPHABETS;

/** Each character drawn uniformly (crypto.randomInt rejects biased draws) from the alphabet. */
export function generateSecretValue(length: number, characters: string): string {
  const symbols = [...characters];
  let value = '';
  for (let i = 0; i < length; i += 1) value += symbols[randomInt(symbols.length)];
  return value;
}

export interface PutSecretRequest extends SecretRef {
  value: Buffer;
  encryptionContext?: EncryptionContext;
  /** The caller's idea of the current version (0: the secret must not exist yet). */
  expectedVersion?: number;
  actor: string;
}

export interface SecretWritten {
  name: string;
  version: number;
  createdAt: string;
}

export interface SecretRead extends SecretWritten {
  value: Buffer;
}

export interface SecretsServiceOptions {
  store: SecretStore;
  dataPlane: Pick<CryptoDataPlane, 'encrypt' | 'decrypt' | 'activeNamespaceKid'>;
  clock?: () => Date;
  /** Puts without an expected version retry this often when concurrent puts take their version. */
  maxAttempts?: number;
}

/**
 * CredStash semantics per tenant and namespace: every put is a new version (never reused);
 * each value is sealed under its own data key, with its name and version in the AAD, so a
 * ciphertext copied onto another name or version does not decrypt. Reads call no root key
 * store: the namespace key is cached by the data plane.
 */
export class SecretsService {
  private readonly clock: () => Date;

  constructor(private readonly options: SecretsServiceOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  async put(request: PutSecretRequest): Promise<SecretWritten> {
    const { store, dataPlane } = this.options;
    const attempts = request.expectedVersion === undefined ? (this.options.maxAttempts ?? 5) : 1;
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const head = await store.head(request);
      const current = head.latest?.version ?? 0;
      if (request.expectedVersion !== undefined && request.expectedVersion !== current) {
        throw conflict(request, request.expectedVersion, current);
      }
      const version = head.highestVersion + 1;
      const { ciphertext, kid } = await dataPlane.encrypt({
        tenant: request.tenant,
        namespace: request.namespace,
        plaintext: request.value,
        encryptionContext: request.encryptionContext,
        binding: secretBinding(request.name, version),
        dataKey: 'own',
      });
      const createdAt = this.clock().toISOString();
      if (await store.put(request, { version, kid, ciphertext, createdAt, createdBy: request.actor })) {
        return { name: request.name, version, createdAt };
      }
      if (request.expectedVersion !== undefined) throw conflict(request, request.expectedVersion, version);
    }
    throw new ConcurrencyError(`Concurrent writes to the secret '${request.name}' kept taking the next version; retry.`);
  }

  /** Stores a random value (returned to this caller only) as the next version. */
  async rotate(request: Omit<PutSecretRequest, 'value'> & { length: number; characters: string }): Promise<SecretRead> {
    const value = Buffer.from(generateSecretValue(request.length, request.characters), 'utf8');
    try {
      return { ...(await this.put({ ...request, value })), value };
    } catch (error) {
      zeroize(value);
      throw error;
    }
  }

  async get(ref: SecretRef & { version?: number; encryptionContext?: EncryptionContext }): Promise<SecretRead> {
    await this.options.dataPlane.activeNamespaceKid(ref.tenant, ref.namespace);
    const { store } = this.options;
    const stored = ref.version === undefined ? (await store.head(ref)).latest : await store.get(ref, ref.version);
    if (!stored) throw notFound(ref, ref.version);
    const value = await this.options.dataPlane.decrypt({
      tenant: ref.tenant,
      namespace: ref.namespace,
      ciphertext: stored.ciphertext,
      encryptionContext: ref.encryptionContext,
      binding: secretBinding(ref.name, stored.version),
      cacheDataKey: false,
    });
    return { name: ref.name, version: stored.version, createdAt: stored.createdAt, value };
  }

  async list(scope: Omit<SecretRef, 'name'>, page: { after?: string; limit: number }): Promise<SecretListPage> {
    await this.options.dataPlane.activeNamespaceKid(scope.tenant, scope.namespace);
    return this.options.store.list(scope, page);
  }

  async versions(ref: SecretRef): Promise<SecretVersionInfo[]> {
    await this.options.dataPlane.activeNamespaceKid(ref.tenant, ref.namespace);
    const versions = await this.options.store.versions(ref);
    if (versions.length === 0) throw notFound(ref);
    return versions;
  }

  /** Deletes one version (its number stays taken) or, without a version, the whole secret. */
  async delete(ref: SecretRef & { version?: number }): Promise<void> {
    await this.options.dataPlane.activeNamespaceKid(ref.tenant, ref.namespace);
    const { store } = this.options;
    if (ref.version !== undefined) {
      if (!(await store.deleteVersion(ref, ref.version, this.clock().toISOString()))) throw notFound(ref, ref.version);
      return;
    }
    if ((await store.versions(ref)).length === 0) throw notFound(ref);
    await store.deleteAll(ref);
  }
}

/** What a secret value's envelope is bound to besides tenant and namespace: its name and version. */
export function secretBinding(name: string, version: number): EncryptionContext {
  return { [C.secretName]: name, [C.secretVersion]: String(version) };
}

function notFound(ref: SecretRef, version?: number): SecretNotFoundError {
  return new SecretNotFoundError(
    version === undefined
      ? `The secret '${ref.name}' does not exist in the namespace '${ref.namespace}'.`
      : `The secret '${ref.name}' has no version ${version} in the namespace '${ref.namespace}'.`,
  );
}

function conflict(ref: SecretRef, expected: number, current: number): SecretVersionConflictError {
  return new SecretVersionConflictError(
    `The secret '${ref.name}' is at version ${current}, not ${expected}: it changed since you read it. Read it again and retry.`,
  );
}
