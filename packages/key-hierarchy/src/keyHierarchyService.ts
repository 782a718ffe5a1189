import { randomUUID } from 'node:crypto';
import { generateAes256Key, keyFingerprint, open, seal, zeroize } from '@keyledger/crypto';
import {
  assertCanCreateCustomerKey,
  assertCanIssueWrappingKey,
  customerKeyOf,
  customerKeysAwaitingDeletion,
  decide,
  environmentRootKid,
  findKey,
  IllegalKeyStateError,
  importableWrappingKey,
  IntegrityError,
  NotFoundError,
  silentLogger,
  tenantStreamId,
  type KeyHierarchyCommand,
  type KeyHierarchyEvent,
  type KeyRecord,
  type Logger,
  type NewNamespaceKey,
  type ProvisionedTenant,
  type TenantKeyHierarchy,
} from '@keyledger/domain';
import { StreamVersionConflictError, type Decision, type EventSourcedRepository, type Loaded } from '@keyledger/event-store';
import type { KeyMaterialStore, WrappedKeyMaterial } from '@keyledger/key-material';
import { assertWrappingProfile, type IssuedWrappingKey, type RootKeyStore } from '@keyledger/root-key-store';
import type { OaepHash } from '@keyledger/crypto';
import { MaterialStaging } from './materialStaging';
import { NAMESPACE_KEY_WRAP_ALGORITHM, namespaceKeyAad, tenantMasterKeyContext } from './materialCodec';

export type TenantRepository = EventSourcedRepository<TenantKeyHierarchy, KeyHierarchyEvent>;

export { tenantStreamId };

export interface KeyHierarchyServiceOptions {
  repository: TenantRepository;
  keyMaterial: KeyMaterialStore;
  rootKeyStore: RootKeyStore;
  /** Namespaces every tenant gets a key for (KEYLEDGER_NAMESPACES). */
  namespaces: readonly string[];
  clock?: () => Date;
  newKid?: () => string;
  /**
   * Material whose key is unknown to the event log is only swept once it is older than this:
   * it may belong to a command of another process that has not committed yet.
   */
  orphanGraceMs?: number;
  logger?: Logger;
}

export interface RekeyResult {
  previousTmkKid: string;
  tmkKid: string;
  namespaceKeys: Record<string, string>;
}

export interface WrappingKeyResult extends Pick<IssuedWrappingKey, 'publicKeyPem' | 'oaepHash' | 'expiresAt'> {
  kid: string;
}

/**
 * The use cases on one tenant's key hierarchy. Key material is generated here, wrapped
 * (TMK by the root key store, namespace keys by the TMK with AES-256-GCM), staged in the key
 * material store before the commit, and superseded material is deleted after it.
 */
export class KeyHierarchyService {
  private readonly clock: () => Date;
  private readonly newKid: () => string;
  private readonly orphanGraceMs: number;
  private readonly logger: Logger;
  /** Stream version each tenant's material was last swept at, by this process. */
  private readonly sweptAt = new Map<string, number>();

  constructor(private readonly options: KeyHierarchyServiceOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.newKid = options.newKid ?? randomUUID;
    this.orphanGraceMs = options.orphanGraceMs ?? 15 * 60_000;
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * A tenant's first authorized call provisions its hierarchy. Concurrent first calls race on
   * the stream's first commit: one wins, the others reload and find it provisioned.
   */
  async ensureProvisioned(tenant: string): Promise<ProvisionedTenant> {
    const loaded = await this.options.repository.load(tenantStreamId(tenant));
    if (loaded.state.status === 'provisioned' && this.missingNamespaces(loaded.state).length === 0) {
      // A process that died between a commit and its sweep left superseded material behind:
      // the first call after a restart (or a commit elsewhere) sweeps it.
      if (this.sweptAt.get(tenant) !== loaded.version) await this.sweepAt(tenant, loaded.state, loaded.version);
      return loaded.state;
    }
    return (await this.provision(tenant)).state;
  }

  /** Adds what is missing (the whole hierarchy, or keys of new namespaces) in one commit. */
  private async provision(tenant: string): Promise<Loaded<ProvisionedTenant>> {
    const outcome = await this.options.repository.execute(tenantStreamId(tenant), (current) =>
      this.decideProvisioning(tenant, current),
    );
    if (outcome.commit) this.logger.info('tenant key hierarchy provisioned', { tenant, version: outcome.version });
    await this.sweepAt(tenant, outcome.state, outcome.version);
    return { state: asProvisioned(outcome.state), version: outcome.version };
  }

  /**
   * The tenant's current hierarchy for the data plane: a plain read, provisioning only when the
   * tenant or one of the configured namespaces has no key yet. Only that provisioning sweeps:
   * the data plane otherwise only reads key material.
   */
  async openTenant(tenant: string): Promise<Loaded<ProvisionedTenant>> {
    const loaded = await this.options.repository.load(tenantStreamId(tenant));
    if (loaded.state.status === 'provisioned' && this.missingNamespaces(loaded.state).length === 0) {
      return { state: loaded.state, version: loaded.version };
    }
    return this.provision(tenant);
  }

  /**
   * Unwraps namespace keys of a loaded hierarchy: one root key store call for the TMK, then
   * AES-GCM under it for each key. The caller owns (and zeroes) the returned keys.
   */
  async unwrapNamespaceKeys(tenant: string, loaded: Loaded<ProvisionedTenant>, kids: readonly string[]): Promise<Map<string, Buffer>> {
    const { state, version } = loaded;
    const keys = new Map<string, Buffer>();
    const tmk = await this.unwrapTenantMasterKey(tenant, state, state.activeTmkKid, version);
    try {
      for (const kid of kids) {
        const record = findKey(state, kid);
        if (record?.type !== 'tenant-encryption-key' || record.state === 'destroyed') {
          throw new IntegrityError(`${kid} is not a live namespace key of this tenant.`);
        }
        if (record.parentKid !== state.activeTmkKid) {
          throw new IntegrityError(`Namespace key ${kid} is not wrapped by the active tenant master key.`);
        }
        keys.set(kid, await this.unwrapNamespaceKey(tenant, record, tmk, version));
      }
    } catch (error) {
      zeroize(...keys.values());
      throw error;
    } finally {
      zeroize(tmk);
    }
    return keys;
  }

  async listKeys(tenant: string): Promise<KeyRecord[]> {
    return (await this.ensureProvisioned(tenant)).keys;
  }

  async getKey(tenant: string, kid: string): Promise<KeyRecord> {
    const key = findKey(await this.ensureProvisioned(tenant), kid);
    if (!key) throw new NotFoundError(`The key ${kid} does not exist.`);
    return key;
  }

  async rekey(tenant: string): Promise<RekeyResult> {
    await this.ensureProvisioned(tenant);
    const outcome = await this.options.repository.execute(tenantStreamId(tenant), (current) =>
      this.decideRekey(tenant, current),
    );
    this.logger.info('tenant rekeyed', { tenant, previousTmkKid: outcome.result.previousTmkKid, tmkKid: outcome.result.tmkKid });
    await this.sweepAt(tenant, outcome.state, outcome.version);
    return outcome.result;
  }

  /**
   * BYOK step 1: a customer-provided root key in `pre-activation`. The store creates it first
   * (a KMS key with `Origin=EXTERNAL`); if the commit is refused, the store's key is deleted.
   */
  async createCustomerKey(tenant: string): Promise<KeyRecord> {
    assertCanCreateCustomerKey(await this.ensureProvisioned(tenant));
    const { kid } = await this.options.rootKeyStore.createCustomerKey({ tenant });
    try {
      const outcome = await this.options.repository.execute(tenantStreamId(tenant), async ({ state }) => ({
        events: decide({ type: 'CreateCustomerRootKey', data: { kid, now: this.now() } }, state),
        result: null,
      }));
      this.logger.info('customer-provided root key created', { tenant, kid });
      return customerKeyOf(outcome.state, kid).key;
    } catch (error) {
      await this.options.rootKeyStore.deleteCustomerKey({ tenant, kid }).catch((cleanupError: unknown) =>
        this.logger.warn('root key store kept an uncommitted customer key', { tenant, kid, error: String(cleanupError) }),
      );
      throw error;
    }
  }

  /**
   * BYOK step 2: a fresh RSA-3072 wrapping key whose private half stays in the root key store,
   * good for one import within 24 hours. A new one replaces the previous one.
   */
  async createWrappingKey(tenant: string, kid: string, oaepHash?: OaepHash): Promise<WrappingKeyResult> {
    assertCanIssueWrappingKey(await this.ensureProvisioned(tenant), kid);
    const store = this.options.rootKeyStore;
    const hash = oaepHash ?? store.wrappingProfiles[0];
    if (!hash) throw new IllegalKeyStateError(`The ${store.kind} root key store cannot import keys.`);
    assertWrappingProfile(store, hash);
    const issued = await store.createWrappingKey({ tenant, kid, oaepHash: hash });
    const { importToken, wrappingKeyId, publicKeyPem, expiresAt } = issued;
    await this.options.repository.execute(tenantStreamId(tenant), async ({ state }) => ({
      events: decide(
        {
          type: 'IssueWrappingKey',
          data: { kid, wrappingKey: { wrappingKeyId, publicKeyPem, oaepHash: hash, importToken, issuedAt: this.now(), expiresAt }, now: this.now() },
        },
        state,
      ),
      result: null,
    }));
    this.logger.info('wrapping key issued', { tenant, kid, wrappingKeyId, oaepHash: hash, expiresAt });
    return { kid, publicKeyPem, oaepHash: hash, expiresAt };
  }

  /**
   * BYOK step 3: the root key store unwraps the material (it is never in the clear outside it),
   * the active TMK is re-wrapped under it, and one commit activates the CPRK and moves the TMK.
   * Bad material changes nothing: the store keeps nothing, and no event is written.
   */
  async importCustomerKey(tenant: string, kid: string, wrappedKey: Uint8Array): Promise<KeyRecord> {
    await this.ensureProvisioned(tenant);
    const store = this.options.rootKeyStore;
    let importedWith: string | undefined;
    let outcome;
    try {
      outcome = await this.options.repository.execute(tenantStreamId(tenant), async ({ state, version }) => {
        const now = this.now();
        const wrappingKey = importableWrappingKey(state, kid, now);
        const current = asProvisioned(state);
        if (importedWith === undefined) {
          await store.importKeyMaterial({ tenant, kid, wrappingKey, wrappedKey });
          importedWith = wrappingKey.wrappingKeyId;
        } else if (importedWith !== wrappingKey.wrappingKeyId) {
          throw new IllegalKeyStateError(`A new wrapping key was issued for ${kid} during the import; wrap the key material with it.`);
        }
        return this.withStaging(async (staging) => {
          const tmk = await this.unwrapTenantMasterKey(tenant, current, current.activeTmkKid, version);
          try {
            await this.stageTenantMasterKey(staging, tenant, current.activeTmkKid, tmk, kid);
          } finally {
            zeroize(tmk);
          }
          return this.decision(staging, { type: 'ImportCustomerRootKey', data: { kid, wrappingKeyId: wrappingKey.wrappingKeyId, now } }, current);
        });
      });
    } catch (error) {
      if (importedWith !== undefined) {
        await store.revertImport({ tenant, kid }).catch((cleanupError: unknown) =>
          this.logger.warn('imported key material not reverted', { tenant, kid, error: String(cleanupError) }),
        );
      }
      throw error;
    }
    this.logger.info('customer-provided root key imported', { tenant, kid, tmkKid: asProvisioned(outcome.state).activeTmkKid });
    await store.discardWrappingKeys({ tenant, kid }).catch((error: unknown) =>
      this.logger.warn('used wrapping key not discarded', { tenant, kid, error: String(error) }),
    );
    await this.sweepAt(tenant, outcome.state, outcome.version);
    return customerKeyOf(outcome.state, kid).key;
  }

  /**
   * Deletes a CPRK: an active one first hands the TMK back to the ERK (same commit as its
   * destruction); then the root key store destroys its material. If that last step fails, the
   * key is still destroyed in the hierarchy and the sweep deletes the material later.
   */
  async deleteCustomerKey(tenant: string, kid: string): Promise<void> {
    await this.ensureProvisioned(tenant);
    const outcome = await this.options.repository.execute(tenantStreamId(tenant), async ({ state, version }) => {
      const current = asProvisioned(state);
      customerKeyOf(current, kid);
      const command = { type: 'DeleteCustomerRootKey', data: { kid, now: this.now() } } as const;
      if (current.rootKid !== kid) return { events: decide(command, current), result: null };
      return this.withStaging(async (staging) => {
        const tmk = await this.unwrapTenantMasterKey(tenant, current, current.activeTmkKid, version);
        try {
          await this.stageTenantMasterKey(staging, tenant, current.activeTmkKid, tmk, environmentRootKid(current));
        } finally {
          zeroize(tmk);
        }
        return this.decision(staging, command, current);
      });
    });
    this.logger.info('customer-provided root key destroyed', { tenant, kid, rootKid: asProvisioned(outcome.state).rootKid });
    await this.sweepAt(tenant, outcome.state, outcome.version);
  }

  /**
   * Deletes material that no live key needs: entries of destroyed keys, entries wrapped by a
   * destroyed or superseded parent, and (after a grace period) entries of keys the event log
   * never committed; and has the root key store destroy destroyed customer keys it still holds.
   * This is what makes "destroyed" unrecoverable.
   */
  async sweep(tenant: string, state: TenantKeyHierarchy): Promise<number> {
    for (const kid of customerKeysAwaitingDeletion(state)) await this.destroyCustomerKeyMaterial(tenant, kid);
    const entries = await this.options.keyMaterial.list(tenant);
    const now = this.clock().getTime();
    const obsolete = entries.filter((entry) => {
      const key = findKey(state, entry.kid);
      const parent = findKey(state, entry.parentKid);
      if (key?.state === 'destroyed' || parent?.state === 'destroyed') return true;
      if (key && parent) return key.parentKid !== entry.parentKid;
      return now - Date.parse(entry.createdAt) > this.orphanGraceMs;
    });
    await Promise.all(obsolete.map((entry) => this.options.keyMaterial.delete(entry)));
    if (obsolete.length > 0) this.logger.info('superseded key material deleted', { tenant, entries: obsolete.length });
    return obsolete.length;
  }

  private async destroyCustomerKeyMaterial(tenant: string, kid: string): Promise<void> {
    try {
      await this.options.rootKeyStore.deleteCustomerKey({ tenant, kid });
      await this.options.repository.execute(tenantStreamId(tenant), async ({ state }) => ({
        events: decide({ type: 'RecordCustomerKeyMaterialDeleted', data: { kid, now: this.now() } }, state),
        result: null,
      }));
    } catch (error) {
      this.logger.warn('destroyed customer key still held by the root key store; the next sweep retries', { tenant, kid, error: String(error) });
    }
  }

  private async sweepAt(tenant: string, state: TenantKeyHierarchy, version: number): Promise<void> {
    await this.sweep(tenant, state);
    this.sweptAt.set(tenant, version);
  }

  private missingNamespaces(state: ProvisionedTenant): string[] {
    return this.options.namespaces.filter((namespace) => !state.activeNamespaceKeys[namespace]);
  }

  private async decideProvisioning(
    tenant: string,
    { state, version }: Loaded<TenantKeyHierarchy>,
  ): Promise<Decision<KeyHierarchyEvent, null>> {
    if (state.status === 'provisioned') {
      const missing = this.missingNamespaces(state);
      if (missing.length === 0) return { events: [], result: null };
      return this.withStaging(async (staging) => {
        const tmk = await this.unwrapTenantMasterKey(tenant, state, state.activeTmkKid, version);
        try {
          const namespaceKeys = await this.createNamespaceKeys(staging, tenant, missing, tmk, state.activeTmkKid);
          return this.decision(staging, { type: 'AddNamespaceKeys', data: { namespaceKeys, now: this.now() } }, state);
        } finally {
          zeroize(tmk);
        }
      });
    }
    return this.withStaging(async (staging) => {
      const rootKey = await this.options.rootKeyStore.describeRootKey();
      const tmkKid = this.newKid();
      const tmk = generateAes256Key();
      try {
        const tmkFingerprint = await this.stageTenantMasterKey(staging, tenant, tmkKid, tmk, rootKey.kid);
        const namespaceKeys = await this.createNamespaceKeys(staging, tenant, this.options.namespaces, tmk, tmkKid);
        return this.decision(
          staging,
          {
            type: 'ProvisionTenant',
            data: { tenant, rootKey, tmk: { kid: tmkKid, fingerprint: tmkFingerprint }, namespaceKeys, now: this.now() },
          },
          state,
        );
      } finally {
        zeroize(tmk);
      }
    });
  }

  private async decideRekey(
    tenant: string,
    { state, version }: Loaded<TenantKeyHierarchy>,
  ): Promise<Decision<KeyHierarchyEvent, RekeyResult>> {
    const current = asProvisioned(state);
    return this.withStaging(async (staging) => {
      const previousTmkKid = current.activeTmkKid;
      const previousTmk = await this.unwrapTenantMasterKey(tenant, current, previousTmkKid, version);
      const tmkKid = this.newKid();
      const tmk = generateAes256Key();
      try {
        const tmkFingerprint = await this.stageTenantMasterKey(staging, tenant, tmkKid, tmk, current.rootKid);
        const namespaceKeys = await this.createNamespaceKeys(
          staging,
          tenant,
          Object.keys(current.activeNamespaceKeys),
          tmk,
          tmkKid,
        );
        // Re-wrap every surviving namespace key, old and new, under the new TMK. No data moves.
        for (const key of current.keys) {
          if (key.type !== 'tenant-encryption-key' || key.state === 'destroyed') continue;
          const plaintext = await this.unwrapNamespaceKey(tenant, key, previousTmk, version);
          try {
            await staging.put(this.wrapNamespaceKey(tenant, key.kid, key.namespace ?? '', plaintext, tmk, tmkKid));
          } finally {
            zeroize(plaintext);
          }
        }
        const decided = await this.decision(
          staging,
          { type: 'Rekey', data: { tmk: { kid: tmkKid, fingerprint: tmkFingerprint }, namespaceKeys, now: this.now() } },
          current,
        );
        return {
          ...decided,
          result: {
            previousTmkKid,
            tmkKid,
            namespaceKeys: Object.fromEntries(namespaceKeys.map((key) => [key.namespace, key.kid])),
          },
        };
      } finally {
        zeroize(tmk, previousTmk);
      }
    });
  }

  private async withStaging<R>(
    run: (staging: MaterialStaging) => Promise<Decision<KeyHierarchyEvent, R>>,
  ): Promise<Decision<KeyHierarchyEvent, R>> {
    const staging = new MaterialStaging(this.options.keyMaterial);
    try {
      return await run(staging);
    } catch (error) {
      await staging.abandon().catch((cleanupError: unknown) =>
        this.logger.warn('staged key material not cleaned up; the sweep will', { error: String(cleanupError) }),
      );
      throw error;
    }
  }

  private async decision(
    staging: MaterialStaging,
    command: KeyHierarchyCommand,
    state: TenantKeyHierarchy,
  ): Promise<Decision<KeyHierarchyEvent, null>> {
    return { events: decide(command, state), result: null, abandon: () => staging.abandon() };
  }

  private async stageTenantMasterKey(
    staging: MaterialStaging,
    tenant: string,
    kid: string,
    tmk: Buffer,
    rootKid: string,
  ): Promise<string> {
    const { wrappedKey, algorithm } = await this.options.rootKeyStore.wrapKey({
      rootKid,
      plaintextKey: tmk,
      encryptionContext: tenantMasterKeyContext(tenant, kid),
    });
    await staging.put({ tenant, kid, parentKid: rootKid, wrappedKey, algorithm, createdAt: this.now() });
    return keyFingerprint(tmk);
  }

  private async createNamespaceKeys(
    staging: MaterialStaging,
    tenant: string,
    namespaces: readonly string[],
    tmk: Buffer,
    tmkKid: string,
  ): Promise<NewNamespaceKey[]> {
    const created: NewNamespaceKey[] = [];
    for (const namespace of namespaces) {
      const kid = this.newKid();
      const key = generateAes256Key();
      try {
        await staging.put(this.wrapNamespaceKey(tenant, kid, namespace, key, tmk, tmkKid));
        created.push({ namespace, kid, fingerprint: keyFingerprint(key) });
      } finally {
        zeroize(key);
      }
    }
    return created;
  }

  private wrapNamespaceKey(
    tenant: string,
    kid: string,
    namespace: string,
    key: Buffer,
    tmk: Buffer,
    tmkKid: string,
  ): WrappedKeyMaterial {
    return {
      tenant,
      kid,
      parentKid: tmkKid,
      wrappedKey: seal(tmk, key, namespaceKeyAad(tenant, kid, namespace, tmkKid)),
      algorithm: NAMESPACE_KEY_WRAP_ALGORITHM,
      createdAt: this.now(),
    };
  }

  private async unwrapTenantMasterKey(
    tenant: string,
    state: ProvisionedTenant,
    kid: string,
    version: number,
  ): Promise<Buffer> {
    const record = findKey(state, kid);
    if (!record?.parentKid) throw new IntegrityError(`Tenant master key ${kid} is not in the hierarchy.`);
    const entry = await this.material(tenant, kid, record.parentKid, version);
    const tmk = await this.options.rootKeyStore.unwrapKey({
      rootKid: record.parentKid,
      wrappedKey: entry.wrappedKey,
      encryptionContext: tenantMasterKeyContext(tenant, kid),
    });
    this.assertFingerprint(record, tmk);
    return tmk;
  }

  private async unwrapNamespaceKey(tenant: string, record: KeyRecord, tmk: Buffer, version: number): Promise<Buffer> {
    const parentKid = record.parentKid ?? '';
    const entry = await this.material(tenant, record.kid, parentKid, version);
    const key = open(tmk, entry.wrappedKey, namespaceKeyAad(tenant, record.kid, record.namespace ?? '', parentKid));
    this.assertFingerprint(record, key);
    return key;
  }

  /** Reads material the loaded state says exists; if it is gone, the stream has usually moved on. */
  private async material(tenant: string, kid: string, parentKid: string, version: number): Promise<WrappedKeyMaterial> {
    const entry = await this.options.keyMaterial.get({ tenant, kid, parentKid });
    if (entry) return entry;
    const latest = await this.options.repository.load(tenantStreamId(tenant));
    if (latest.version !== version) throw new StreamVersionConflictError(tenantStreamId(tenant), version);
    throw new IntegrityError(`Key material for ${kid} under ${parentKid} is missing.`);
  }

  private assertFingerprint(record: KeyRecord, key: Buffer): void {
    if (record.fingerprint !== null && keyFingerprint(key) !== record.fingerprint) {
      zeroize(key);
      throw new IntegrityError(`Key material for ${record.kid} does not match its recorded fingerprint.`);
    }
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

function asProvisioned(state: TenantKeyHierarchy): ProvisionedTenant {
  if (state.status !== 'provisioned') throw new NotFoundError('The tenant has no key hierarchy yet.');
  return state;
}
