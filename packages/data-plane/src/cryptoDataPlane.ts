import {
  AES_256_KEY_BYTES,
  encodeEncryptionContext,
  generateAes256Key,
  open,
  seal,
  zeroize,
  type EncryptionContext,
} from '@keyledger/crypto';
import {
  BoundedCache,
  CONTEXT_KEYS as C,
  findKey,
  IllegalKeyStateError,
  IntegrityError,
  silentLogger,
  type Logger,
  type ProvisionedTenant,
} from '@keyledger/domain';
import { StreamVersionConflictError, type Loaded } from '@keyledger/event-store';
import type { KeyHierarchyService } from '@keyledger/key-hierarchy';
import { dataKeyAad, EMPTY_CONTEXT_BYTES, encodeHeader, openEnvelope, parseEnvelope, sealEnvelope } from './envelope';
import { NamespaceNotFoundError, UndecryptableError } from './errors';
import { DEFAULT_DATA_PLANE_LIMITS, type DataPlaneLimits } from './limits';

export interface EncryptRequest {
  tenant: string;
  namespace: string;
  plaintext: Uint8Array;
  encryptionContext?: EncryptionContext;
  /** Entries bound into the AAD besides tenant and namespace (a secret's name and version). */
  binding?: EncryptionContext;
  /**
   * `cached` (default): a data key reused within the limits; `own`: a fresh data key for this
   * one message (secrets: each value has its own).
   */
  dataKey?: 'cached' | 'own';
}

export interface EncryptResult {
  ciphertext: Buffer;
  kid: string;
}

export interface DecryptRequest {
  tenant: string;
  namespace: string;
  ciphertext: Uint8Array;
  encryptionContext?: EncryptionContext;
  binding?: EncryptionContext;
  /** Keep the unwrapped data key for later decryptions (false for single-use data keys). */
  cacheDataKey?: boolean;
}

export interface DataKeyResult {
  /** The caller owns these bytes and should zero them when done. */
  plaintextKey: Buffer;
  /** An envelope whose body is the data key: `decrypt` with the same context returns it. */
  ciphertextKey: Buffer;
  kid: string;
}

export interface CryptoDataPlaneOptions {
  keyHierarchy: Pick<KeyHierarchyService, 'openTenant' | 'unwrapNamespaceKeys'>;
  limits?: Partial<DataPlaneLimits>;
  /** Milliseconds; tests move it. */
  now?: () => number;
  logger?: Logger;
}

interface TenantView {
  loaded: Loaded<ProvisionedTenant>;
  loadedAt: number;
  /** encode({tenant, namespace}) per namespace: the binding part of every body's AAD, encoded once. */
  bindings: Map<string, Buffer>;
}

/** A data key in use for encryption, with what it has been used for so far. */
interface EncryptionDataKey {
  kid: string;
  dataKey: Buffer;
  header: Buffer;
  /** encode({tenant, namespace}): the binding part of every body's AAD. */
  binding: Buffer;
  messages: number;
  bytes: number;
}

const MAX_ATTEMPTS = 4;

/**
 * Envelope encryption for one tenant's namespace. The hot path touches no store: the tenant's
 * hierarchy, its unwrapped namespace keys and the current data keys are cached within the
 * limits (see limits.ts). A cache value is taken and used synchronously, never across an
 * `await`, because leaving the cache zeroes it.
 */
export class CryptoDataPlane {
  readonly limits: DataPlaneLimits;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly tenants: BoundedCache<TenantView>;
  private readonly tenantLoads = new Map<string, Promise<void>>();
  private readonly namespaceKeys: BoundedCache<Buffer>;
  private readonly namespaceKeyLoads = new Map<string, Promise<void>>();
  private readonly encryptionKeys: BoundedCache<EncryptionDataKey>;
  private readonly decryptionKeys: BoundedCache<Buffer>;

  constructor(private readonly options: CryptoDataPlaneOptions) {
    this.limits = { ...DEFAULT_DATA_PLANE_LIMITS, ...options.limits };
    this.now = options.now ?? (() => performance.now());
    this.logger = options.logger ?? silentLogger;
    const { limits, now } = this;
    this.tenants = new BoundedCache({ maxEntries: limits.maxTenants, ttlMs: limits.keyStateTtlMs, now });
    this.namespaceKeys = new BoundedCache({ maxEntries: limits.maxNamespaceKeys, ttlMs: limits.namespaceKeyTtlMs, now, onEvict: zeroKey });
    this.encryptionKeys = new BoundedCache({
      maxEntries: limits.maxDataKeys,
      ttlMs: limits.dataKeyMaxAgeMs,
      now,
      onEvict: (entry) => zeroize(entry.dataKey),
    });
    this.decryptionKeys = new BoundedCache({ maxEntries: limits.maxDataKeys, ttlMs: limits.dataKeyMaxAgeMs, now, onEvict: zeroKey });
  }

  async encrypt(request: EncryptRequest): Promise<EncryptResult> {
    const { tenant, namespace, plaintext } = request;
    const context = contextBytes(request.encryptionContext);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const view = this.tenants.get(tenant);
      if (!view) {
        await this.loadTenant(tenant);
        continue;
      }
      const kid = activeNamespaceKid(view.loaded.state, namespace);
      if (request.dataKey === 'own') {
        const namespaceKey = this.namespaceKeys.get(namespaceKeyId(tenant, kid));
        if (!namespaceKey) {
          await this.loadNamespaceKey(tenant, kid);
          continue;
        }
        const own = newDataKey(namespaceKey, { tenant, namespace, kid });
        try {
          const binding = viewBinding(view, namespace, request.binding);
          return { ciphertext: sealEnvelope(own.dataKey, own.header, [binding, context], plaintext), kid };
        } finally {
          zeroize(own.dataKey);
        }
      }
      const dataKey = this.takeEncryptionKey(tenant, namespace, kid, plaintext.length);
      if (dataKey) return { ciphertext: sealEnvelope(dataKey.dataKey, dataKey.header, [dataKey.binding, context], plaintext), kid };
      await this.ensureEncryptionKey(tenant, namespace, kid, viewBinding(view, namespace));
    }
    throw new Error('Encryption keys kept leaving the cache; try again.');
  }

  async decrypt(request: DecryptRequest): Promise<Buffer> {
    const { tenant, namespace } = request;
    const envelope = parseEnvelope(request.ciphertext);
    const context = contextBytes(request.encryptionContext);
    const dataKeyId = `${tenant}\0${namespace}\0${envelope.kid}\0${envelope.wrappedDataKey.toString('latin1')}`;
    let refreshed = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const view = this.tenants.get(tenant);
      if (!view) {
        await this.loadTenant(tenant);
        continue;
      }
      const record = findKey(view.loaded.state, envelope.kid);
      if (!record && !refreshed && this.now() - view.loadedAt >= this.limits.unknownKeyRefreshMs) {
        // A namespace key made by a rekey that another process has seen and this one not yet.
        refreshed = true;
        await this.loadTenant(tenant, true);
        continue;
      }
      if (!record || record.type !== 'tenant-encryption-key' || record.namespace !== namespace) throw new UndecryptableError();
      if (record.state === 'destroyed') {
        throw new IllegalKeyStateError(
          `The namespace key ${record.kid} was destroyed; data encrypted under it can no longer be decrypted.`,
        );
      }
      const aad = [viewBinding(view, namespace, request.binding), context];
      const cached = this.decryptionKeys.get(dataKeyId);
      if (cached) return openEnvelope(cached, envelope, aad);
      const namespaceKey = this.namespaceKeys.get(namespaceKeyId(tenant, record.kid));
      if (!namespaceKey) {
        await this.loadNamespaceKey(tenant, record.kid);
        continue;
      }
      const dataKey = unwrapDataKey(namespaceKey, envelope.wrappedDataKey, { tenant, namespace, kid: record.kid });
      try {
        return openEnvelope(dataKey, envelope, aad);
      } finally {
        if (request.cacheDataKey === false) zeroize(dataKey);
        else this.decryptionKeys.set(dataKeyId, dataKey);
      }
    }
    throw new Error('Decryption keys kept leaving the cache; try again.');
  }

  /** A fresh 256-bit data key, and the same key encrypted (KMS GenerateDataKey semantics). */
  async generateDataKey(request: Omit<EncryptRequest, 'plaintext' | 'dataKey'>): Promise<DataKeyResult> {
    const plaintextKey = generateAes256Key();
    try {
      const { ciphertext, kid } = await this.encrypt({ ...request, plaintext: plaintextKey });
      return { plaintextKey, ciphertextKey: ciphertext, kid };
    } catch (error) {
      zeroize(plaintextKey);
      throw error;
    }
  }

  /** The active key of a namespace; NamespaceNotFoundError when the tenant has no such namespace. */
  async activeNamespaceKid(tenant: string, namespace: string): Promise<string> {
    let view = this.tenants.get(tenant);
    if (!view) {
      await this.loadTenant(tenant);
      view = this.tenants.get(tenant);
    }
    if (!view) throw new Error('The tenant\'s hierarchy left the cache at once; try again.');
    return activeNamespaceKid(view.loaded.state, namespace);
  }

  /** Drops everything cached (keys are zeroed). */
  clear(): void {
    this.encryptionKeys.clear();
    this.decryptionKeys.clear();
    this.namespaceKeys.clear();
    this.tenants.clear();
  }

  private takeEncryptionKey(tenant: string, namespace: string, kid: string, bytes: number): EncryptionDataKey | undefined {
    const id = `${tenant}\0${namespace}`;
    const entry = this.encryptionKeys.get(id);
    if (!entry) return undefined;
    const { dataKeyMaxMessages, dataKeyMaxBytes } = this.limits;
    if (entry.kid !== kid || entry.messages >= dataKeyMaxMessages || entry.bytes + bytes > dataKeyMaxBytes) {
      // Used up, or its namespace key is no longer the active one: retire it (zeroed on the way out).
      this.encryptionKeys.delete(id);
      return undefined;
    }
    entry.messages += 1;
    entry.bytes += bytes;
    return entry;
  }

  private async ensureEncryptionKey(tenant: string, namespace: string, kid: string, binding: Buffer): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const namespaceKey = this.namespaceKeys.get(namespaceKeyId(tenant, kid));
      if (!namespaceKey) {
        await this.loadNamespaceKey(tenant, kid);
        continue;
      }
      const { dataKey, wrappedDataKey, header } = newDataKey(namespaceKey, { tenant, namespace, kid });
      this.encryptionKeys.set(`${tenant}\0${namespace}`, { kid, dataKey, header, binding, messages: 0, bytes: 0 });
      // Its own copy for decryption: the two caches zero their values independently.
      this.decryptionKeys.set(`${tenant}\0${namespace}\0${kid}\0${wrappedDataKey.toString('latin1')}`, Buffer.from(dataKey));
      return;
    }
  }

  /** Reads the tenant's hierarchy (one read for all concurrent callers) and caches it. */
  private loadTenant(tenant: string, force = false): Promise<void> {
    const pending = this.tenantLoads.get(tenant);
    if (pending) return pending;
    if (!force && this.tenants.get(tenant)) return Promise.resolve();
    const load = (async () => {
      try {
        const loaded = await this.options.keyHierarchy.openTenant(tenant);
        this.tenants.set(tenant, { loaded, loadedAt: this.now(), bindings: new Map() });
        // Keys destroyed since: their unwrapped bytes leave memory now.
        for (const key of loaded.state.keys) {
          if (key.type === 'tenant-encryption-key' && key.state === 'destroyed') this.namespaceKeys.delete(namespaceKeyId(tenant, key.kid));
        }
      } finally {
        this.tenantLoads.delete(tenant);
      }
    })();
    this.tenantLoads.set(tenant, load);
    return load;
  }

  /**
   * Unwraps one namespace key (one root key store call, for the TMK). A hierarchy that moved on
   * since it was cached (a rekey re-wrapped the key under a new TMK) is read again first.
   */
  private loadNamespaceKey(tenant: string, kid: string): Promise<void> {
    const id = namespaceKeyId(tenant, kid);
    const pending = this.namespaceKeyLoads.get(id);
    if (pending) return pending;
    const load = (async () => {
      try {
        for (let attempt = 0; ; attempt += 1) {
          await this.loadTenant(tenant, attempt > 0);
          const view = this.tenants.get(tenant);
          if (!view) {
            if (attempt >= 2) throw new Error('The tenant\'s hierarchy kept leaving the cache; try again.');
            continue;
          }
          try {
            const keys = await this.options.keyHierarchy.unwrapNamespaceKeys(tenant, view.loaded, [kid]);
            for (const [unwrappedKid, key] of keys) this.namespaceKeys.set(namespaceKeyId(tenant, unwrappedKid), key);
            this.logger.info('namespace key unwrapped into the cache', { tenant, kid });
            return;
          } catch (error) {
            const stale = error instanceof StreamVersionConflictError || error instanceof IntegrityError;
            if (!stale || attempt >= 2) throw error;
          }
        }
      } finally {
        this.namespaceKeyLoads.delete(id);
      }
    })();
    this.namespaceKeyLoads.set(id, load);
    return load;
  }
}

function zeroKey(key: Buffer): void {
  zeroize(key);
}

const namespaceKeyId = (tenant: string, kid: string) => `${tenant}\0${kid}`;

function activeNamespaceKid(state: ProvisionedTenant, namespace: string): string {
  const kid = state.activeNamespaceKeys[namespace];
  if (!kid) {
    const known = Object.keys(state.activeNamespaceKeys).sort().join(', ');
    throw new NamespaceNotFoundError(`The namespace '${namespace}' does not exist; this tenant's namespaces are: ${known}.`);
  }
  return kid;
}

function contextBytes(context: EncryptionContext | undefined): Buffer {
  if (!context) return EMPTY_CONTEXT_BYTES;
  for (const _key in context) return encodeEncryptionContext(context);
  return EMPTY_CONTEXT_BYTES;
}

function bindingBytes(tenant: string, namespace: string, extra?: EncryptionContext): Buffer {
  return encodeEncryptionContext({ ...extra, [C.tenant]: tenant, [C.namespace]: namespace });
}

function unwrapDataKey(namespaceKey: Buffer, wrapped: Buffer, binding: { tenant: string; namespace: string; kid: string }): Buffer {
  let dataKey: Buffer;
  try {
    dataKey = open(namespaceKey, wrapped, dataKeyAad(binding));
  } catch {
    throw new UndecryptableError();
  }
  if (dataKey.length !== AES_256_KEY_BYTES) {
    zeroize(dataKey);
    throw new UndecryptableError();
  }
  return dataKey;
}

/** A fresh data key, wrapped by the namespace key, and the envelope header that carries it. */
function newDataKey(namespaceKey: Buffer, binding: { tenant: string; namespace: string; kid: string }) {
  const dataKey = generateAes256Key();
  const wrappedDataKey = seal(namespaceKey, dataKey, dataKeyAad(binding));
  return { dataKey, wrappedDataKey, header: encodeHeader(binding.kid, wrappedDataKey) };
}

/** The encoded binding of a body's AAD: tenant and namespace (encoded once per hierarchy read), plus any extra entries. */
function viewBinding(view: TenantView, namespace: string, extra?: EncryptionContext): Buffer {
  if (extra) return bindingBytes(view.loaded.state.tenant, namespace, extra);
  let binding = view.bindings.get(namespace);
  if (!binding) {
    binding = bindingBytes(view.loaded.state.tenant, namespace);
    view.bindings.set(namespace, binding);
  }
  return binding;
}
