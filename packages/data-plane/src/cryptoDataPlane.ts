import { generateAes256Key, zeroize } from '@keyledger/crypto';
import { BoundedCache, findKey, IllegalKeyStateError, silentLogger, type KeyRecord } from '@keyledger/domain';
import { openEnvelope, parseEnvelope, replaceHeader, sealEnvelope, type ParsedEnvelope } from './envelope/envelope';
import { UndecryptableError } from './errors';
import { contextBytes, newDataKey, rewrapDataKey, unwrapDataKey } from './keys/dataKeys';
import { activeNamespaceKid, KeyCache, namespaceKeyId, refusePending, viewBinding, type TenantView } from './keys/keyCache';
import { DEFAULT_DATA_PLANE_LIMITS, type DataPlaneLimits } from './limits';
import type { CryptoDataPlaneOptions, DataKeyResult, DecryptRequest, EncryptRequest, EncryptResult, RewrapRequest } from './requests';

export type { CryptoDataPlaneOptions, DataKeyResult, DecryptRequest, EncryptRequest, EncryptResult, RewrapRequest } from './requests';

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

/** What `withDataKey` found an envelope under: the key record and the hierarchy it is in. */
interface Opened<T> {
  value: T;
  record: KeyRecord;
  view: TenantView;
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
  private readonly keys: KeyCache;
  private readonly encryptionKeys: BoundedCache<EncryptionDataKey>;
  private readonly decryptionKeys: BoundedCache<Buffer>;

  constructor(private readonly options: CryptoDataPlaneOptions) {
    this.limits = { ...DEFAULT_DATA_PLANE_LIMITS, ...options.limits };
    this.now = options.now ?? (() => performance.now());
    const { limits, now } = this;
    // A reread hierarchy drops the data keys of keys no longer live (destroyed by another process).
    this.keys = new KeyCache(options.keySource, limits, now, options.logger ?? silentLogger, (tenant, gone) => this.dropDataKeys(tenant, gone));
    this.encryptionKeys = new BoundedCache({ maxEntries: limits.maxDataKeys, ttlMs: limits.dataKeyMaxAgeMs, now, onEvict: (entry) => zeroize(entry.dataKey) });
    this.decryptionKeys = new BoundedCache({ maxEntries: limits.maxDataKeys, ttlMs: limits.dataKeyMaxAgeMs, now, onEvict: (key) => zeroize(key) });
  }

  async encrypt(request: EncryptRequest): Promise<EncryptResult> {
    const { tenant, namespace, plaintext } = request;
    const context = contextBytes(request.encryptionContext);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const view = this.keys.tenants.get(tenant);
      if (!view) {
        await this.keys.loadTenant(tenant);
        continue;
      }
      const kid = activeNamespaceKid(view.loaded.state, namespace);
      // A pending shred names the active keys too: nothing new is encrypted under a tenant about to be shredded.
      refusePending(view, kid);
      if (request.dataKey === 'own') {
        const namespaceKey = this.keys.namespaceKeys.get(namespaceKeyId(tenant, kid));
        if (!namespaceKey) {
          await this.keys.loadNamespaceKey(tenant, kid);
          continue;
        }
        const own = newDataKey(namespaceKey, { tenant, namespace, kid });
        try {
          return { ciphertext: sealEnvelope(own.dataKey, own.header, [viewBinding(view, namespace, request.binding), context], plaintext), kid };
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

  async decrypt(request: DecryptRequest & { countUse?: boolean }): Promise<Buffer> {
    const envelope = parseEnvelope(request.ciphertext);
    return this.openCached(request, envelope) ?? (await this.open(request, envelope)).value;
  }

  /**
   * The hot path of `decrypt`, with no await: an envelope under an active key whose hierarchy and
   * data key are cached. Anything else (a miss, a deactivated key whose use is counted, a key
   * this hierarchy does not have) is undefined and takes `open`, which also says what is wrong.
   */
  private openCached(request: DecryptRequest, envelope: ParsedEnvelope): Buffer | undefined {
    if (request.cacheDataKey === false) return undefined;
    const { tenant, namespace } = request;
    const view = this.keys.tenants.get(tenant);
    const record = view && findKey(view.loaded.state, envelope.kid);
    if (!view || record?.state !== 'active' || record.type !== 'tenant-encryption-key' || record.namespace !== namespace) return undefined;
    refusePending(view, record.kid);
    const dataKey = this.decryptionKeys.get(dataKeyIdOf(tenant, namespace, envelope));
    return dataKey && openEnvelope(dataKey, envelope, [viewBinding(view, namespace, request.binding), contextBytes(request.encryptionContext)]);
  }

  /** Decrypts a parsed envelope; a use of a deactivated key is counted once the envelope authenticated. */
  private async open(request: DecryptRequest & { countUse?: boolean }, envelope: ParsedEnvelope): Promise<Opened<Buffer>> {
    const context = contextBytes(request.encryptionContext);
    const opened = await this.withDataKey(request.tenant, request.namespace, envelope, request.cacheDataKey !== false, (dataKey, view) =>
      openEnvelope(dataKey, envelope, [viewBinding(view, request.namespace, request.binding), context]),
    );
    // Counted once it authenticated: an envelope that only names a key does not use it.
    const noted = request.countUse === false ? undefined : this.noteUse(request.tenant, opened.record);
    if (noted) await noted; // never rejects: a failed write is kept for the next flush
    return opened;
  }

  /**
   * The same plaintext under the namespace's active key, and it never leaves this process: the
   * envelope is decrypted with its context and encrypted again (as `encrypt` would) under the
   * active key, the plaintext zeroed at once. An envelope already under the active key (format
   * 2) is authenticated and comes back byte for byte the same. Only the data key of a value that
   * had its own (a stored secret) moves without the body being decrypted: `rewrapDataKey`.
   */
  async rewrap(request: RewrapRequest): Promise<EncryptResult> {
    const { tenant, namespace } = request;
    const envelope = parseEnvelope(request.ciphertext);
    const { value: plaintext, record, view } = await this.open(request, envelope);
    try {
      const active = activeNamespaceKid(view.loaded.state, namespace);
      if (envelope.formatVersion === 2 && record.kid === active) return { ciphertext: Buffer.from(request.ciphertext), kid: active };
      // A data key shared with other envelopes must not follow one of them under the new key:
      // after the old key is destroyed, its header would open the others. So: a new envelope.
      return await this.encrypt({ tenant, namespace, plaintext, encryptionContext: request.encryptionContext, binding: request.binding, dataKey: request.dataKey });
    } finally {
      zeroize(plaintext);
    }
  }

  /**
   * A format-2 envelope's data key moved under the namespace's active key without opening the
   * body: the re-encryption of stored secrets, where no value is decrypted. Only for envelopes
   * whose data key is their own (a secret value's is): a shared one would carry the others along.
   * Undefined for a format-1 envelope, which cannot move without its plaintext. Maintenance, not
   * a use: it is not counted as a decrypt under the old key.
   */
  async rewrapDataKey(tenant: string, namespace: string, ciphertext: Uint8Array): Promise<EncryptResult | undefined> {
    const envelope = parseEnvelope(ciphertext);
    if (envelope.formatVersion !== 2) return undefined;
    // A copy of the data key: the move may wait for the active namespace key.
    const opened = await this.withDataKey(tenant, namespace, envelope, false, (dataKey) => Buffer.from(dataKey));
    try {
      return await this.moveDataKey(tenant, namespace, envelope, opened);
    } finally {
      zeroize(opened.value);
    }
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
    return activeNamespaceKid((await this.view(tenant)).loaded.state, namespace);
  }

  /** Refuses a tenant that cannot be used (410 tenant_shredded); provisions a new one, as every data-plane call does. */
  async assertTenantUsable(tenant: string): Promise<void> {
    await this.view(tenant);
  }

  /** The deactivated (live) namespace keys of a namespace, as this process last read them. */
  async deactivatedNamespaceKids(tenant: string, namespace: string): Promise<string[]> {
    const { state } = (await this.view(tenant)).loaded;
    return state.keys.filter((key) => key.type === 'tenant-encryption-key' && key.namespace === namespace && key.state === 'deactivated').map((key) => key.kid);
  }

  /** A change this process committed: the hierarchy is read again at the next call, destroyed keys leave memory now. */
  forget(tenant: string, destroyed: readonly string[]): void {
    this.keys.forget(tenant, destroyed);
    // The tenant's encryption data keys go (the active keys may have changed); its decryption ones under destroyed keys.
    this.encryptionKeys.deleteWhere((id) => id.startsWith(`${tenant}\0`));
    if (destroyed.length > 0) this.dropDataKeys(tenant, new Set(destroyed));
  }

  /** Zeroes the cached data keys under the tenant's namespace keys `gone`. */
  private dropDataKeys(tenant: string, gone: ReadonlySet<string>): void {
    this.decryptionKeys.deleteWhere((id) => id.startsWith(`${tenant}\0`) && gone.has(id.split('\0')[2] ?? ''));
    // Encryption data keys are cached by (tenant, namespace), their key in the entry.
    this.encryptionKeys.deleteWhere((id, entry) => id.startsWith(`${tenant}\0`) && gone.has(entry.kid));
  }

  /** Drops everything cached (keys are zeroed). */
  clear(): void {
    this.encryptionKeys.clear();
    this.decryptionKeys.clear();
    this.keys.clear();
  }

  private async view(tenant: string): Promise<TenantView> {
    let view = this.keys.tenants.get(tenant);
    if (!view) {
      await this.keys.loadTenant(tenant);
      view = this.keys.tenants.get(tenant);
    }
    if (!view) throw new Error("The tenant's hierarchy left the cache at once; try again.");
    return view;
  }

  /**
   * Finds the envelope's namespace key and data key (from the cache, or unwrapped, into it when
   * `cache`) and runs `use` on the data key at once, synchronously: a cached key is never held
   * across an await, and one unwrapped for this call only is zeroed right after.
   */
  private async withDataKey<T>(tenant: string, namespace: string, envelope: ParsedEnvelope, cache: boolean, use: (dataKey: Buffer, view: TenantView) => T): Promise<Opened<T>> {
    const dataKeyId = dataKeyIdOf(tenant, namespace, envelope);
    let refreshed = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const view = this.keys.tenants.get(tenant);
      if (!view) {
        await this.keys.loadTenant(tenant);
        continue;
      }
      const record = findKey(view.loaded.state, envelope.kid);
      if (!record && !refreshed && this.now() - view.loadedAt >= this.limits.unknownKeyRefreshMs) {
        // A namespace key made by a rekey that another process has seen and this one not yet.
        refreshed = true;
        await this.keys.loadTenant(tenant, true);
        continue;
      }
      if (!record) await this.refuseRetired(tenant, namespace, envelope.kid);
      if (!record || record.type !== 'tenant-encryption-key' || record.namespace !== namespace) throw new UndecryptableError();
      // A key a live retirement (or shred) names is unusable until the request ends.
      refusePending(view, record.kid);
      const cached = this.decryptionKeys.get(dataKeyId);
      if (cached) return { value: use(cached, view), record, view };
      const namespaceKey = this.keys.namespaceKeys.get(namespaceKeyId(tenant, record.kid));
      if (!namespaceKey) {
        await this.keys.loadNamespaceKey(tenant, record.kid);
        continue;
      }
      const dataKey = unwrapDataKey(namespaceKey, envelope.wrappedDataKey, { tenant, namespace, kid: record.kid });
      try {
        return { value: use(dataKey, view), record, view };
      } finally {
        if (cache) this.decryptionKeys.set(dataKeyId, dataKey);
        else zeroize(dataKey);
      }
    }
    throw new Error('Decryption keys kept leaving the cache; try again.');
  }

  /** A use of a deactivated key, for the retirement checks: its first in an interval is written before the call returns (the promise). */
  private noteUse(tenant: string, record: KeyRecord): Promise<void> | undefined {
    return record.state === 'deactivated' ? this.options.usage?.noteDecrypt(tenant, record.kid) : undefined;
  }

  /** A key this tenant's namespace had and destroyed gets a clear error; anything else stays one undecryptable. */
  private async refuseRetired(tenant: string, namespace: string, kid: string): Promise<void> {
    const retired = await this.keys.retiredKey(tenant, kid);
    if (retired?.type === 'tenant-encryption-key' && retired.namespace === namespace) {
      throw new IllegalKeyStateError(`The namespace key ${kid} was destroyed; data encrypted under it can no longer be decrypted.`);
    }
  }

  /** The envelope's data key (`opened.value`) under the active key; the same bytes when it already is. */
  private async moveDataKey(tenant: string, namespace: string, envelope: ParsedEnvelope, opened: Opened<Buffer>): Promise<EncryptResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const kid = activeNamespaceKid(opened.view.loaded.state, namespace);
      if (kid === opened.record.kid) return { ciphertext: Buffer.concat([envelope.header, envelope.iv, envelope.body, envelope.tag]), kid };
      const namespaceKey = this.keys.namespaceKeys.get(namespaceKeyId(tenant, kid));
      if (!namespaceKey) {
        await this.keys.loadNamespaceKey(tenant, kid);
        continue;
      }
      const header = rewrapDataKey(opened.value, namespaceKey, { tenant, namespace, kid });
      return { ciphertext: replaceHeader(envelope, header), kid };
    }
    throw new Error('Namespace keys kept leaving the cache; try again.');
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
      const namespaceKey = this.keys.namespaceKeys.get(namespaceKeyId(tenant, kid));
      if (!namespaceKey) {
        await this.keys.loadNamespaceKey(tenant, kid);
        continue;
      }
      const { dataKey, wrappedDataKey, header } = newDataKey(namespaceKey, { tenant, namespace, kid });
      this.encryptionKeys.set(`${tenant}\0${namespace}`, { kid, dataKey, header, binding, messages: 0, bytes: 0 });
      // Its own copy for decryption: the two caches zero their values independently.
      this.decryptionKeys.set(`${tenant}\0${namespace}\0${kid}\0${wrappedDataKey.toString('latin1')}`, Buffer.from(dataKey));
      return;
    }
  }
}

/** Where a decryption data key is cached: by tenant, namespace, key id and the wrapped key itself. */
const dataKeyIdOf = (tenant: string, namespace: string, envelope: ParsedEnvelope) => `${tenant}\0${namespace}\0${envelope.kid}\0${envelope.wrappedDataKey.toString('latin1')}`;
