import { generateAes256Key, keyFingerprint, open, seal, zeroize } from '@keyledger/crypto';
import {
  decide,
  findKey,
  IntegrityError,
  tenantStreamId,
  type KeyHierarchyCommand,
  type KeyHierarchyEvent,
  type KeyRecord,
  type NewNamespaceKey,
  type ProvisionedTenant,
  type TenantKeyHierarchy,
} from '@keyledger/domain';
import { StreamVersionConflictError, type Decision } from '@keyledger/event-store';
import type { KeyMaterialRef, WrappedKeyMaterial } from '@keyledger/key-material';
import type { HierarchyContext } from '../context';
import { NAMESPACE_KEY_WRAP_ALGORITHM, namespaceKeyAad, tenantMasterKeyContext } from './materialCodec';
import { MaterialStaging } from './materialStaging';

/**
 * Key material handling shared by the use cases: TMKs are wrapped by the root key store,
 * namespace keys by the TMK with AES-256-GCM; new material is staged before the commit, and
 * every unwrapped key is checked against its recorded fingerprint. Callers own (and zero) the
 * plaintext keys they get.
 */

/** Runs a decision with staged material, which is deleted again if the decision fails or loses. */
export async function withStaging<R>(
  ctx: HierarchyContext,
  run: (staging: MaterialStaging) => Promise<Decision<KeyHierarchyEvent, R>>,
): Promise<Decision<KeyHierarchyEvent, R>> {
  const staging = new MaterialStaging(ctx.keyMaterial);
  try {
    return await run(staging);
  } catch (error) {
    await staging.abandon().catch((cleanupError: unknown) =>
      ctx.logger.warn('staged key material not cleaned up; the sweep will', { error: String(cleanupError) }),
    );
    throw error;
  }
}

/** A decision whose staged material goes if its commit loses. */
export function decision<R>(staging: MaterialStaging, command: KeyHierarchyCommand, state: TenantKeyHierarchy, result: R): Decision<KeyHierarchyEvent, R> {
  return { events: decide(command, state), result, abandon: () => staging.abandon() };
}

/** Wraps a TMK under a root key (ERK or CPRK) and stages it; returns its fingerprint. */
export async function stageTenantMasterKey(
  ctx: HierarchyContext,
  staging: MaterialStaging,
  tenant: string,
  kid: string,
  tmk: Buffer,
  rootKid: string,
): Promise<string> {
  const { wrappedKey, algorithm } = await ctx.rootKeyStore.wrapKey({ rootKid, plaintextKey: tmk, encryptionContext: tenantMasterKeyContext(tenant, kid) });
  await staging.put({ tenant, kid, parentKid: rootKid, wrappedKey, algorithm, createdAt: ctx.now() });
  return keyFingerprint(tmk);
}

/** A fresh key per namespace, wrapped under the TMK and staged. */
export async function createNamespaceKeys(
  ctx: HierarchyContext,
  staging: MaterialStaging,
  tenant: string,
  namespaces: readonly string[],
  tmk: Buffer,
  tmkKid: string,
): Promise<NewNamespaceKey[]> {
  const created: NewNamespaceKey[] = [];
  const entries: WrappedKeyMaterial[] = [];
  for (const namespace of namespaces) {
    const kid = ctx.newKid();
    const key = generateAes256Key();
    try {
      entries.push(wrapNamespaceKey(ctx, tenant, { kid, namespace }, key, tmk, tmkKid));
      created.push({ namespace, kid, fingerprint: keyFingerprint(key) });
    } finally {
      zeroize(key);
    }
  }
  await staging.putMany(entries);
  return created;
}

export function wrapNamespaceKey(
  ctx: HierarchyContext,
  tenant: string,
  key: { kid: string; namespace: string },
  plaintext: Buffer,
  tmk: Buffer,
  tmkKid: string,
): WrappedKeyMaterial {
  return {
    tenant,
    kid: key.kid,
    parentKid: tmkKid,
    wrappedKey: seal(tmk, plaintext, namespaceKeyAad(tenant, key.kid, key.namespace, tmkKid)),
    algorithm: NAMESPACE_KEY_WRAP_ALGORITHM,
    createdAt: ctx.now(),
  };
}

export async function unwrapTenantMasterKey(ctx: HierarchyContext, tenant: string, state: ProvisionedTenant, version: number): Promise<Buffer> {
  const record = findKey(state, state.activeTmkKid);
  if (!record?.parentKid) throw new IntegrityError(`Tenant master key ${state.activeTmkKid} is not in the hierarchy.`);
  const entry = await readMaterial(ctx, { tenant, kid: record.kid, parentKid: record.parentKid }, version);
  const tmk = await ctx.rootKeyStore.unwrapKey({
    rootKid: record.parentKid,
    wrappedKey: entry.wrappedKey,
    encryptionContext: tenantMasterKeyContext(tenant, record.kid),
  });
  assertFingerprint(record, tmk);
  return tmk;
}

/** Unwraps a namespace key from its entry (read here unless given) under the TMK it is recorded under. */
export async function unwrapNamespaceKey(
  ctx: HierarchyContext,
  tenant: string,
  record: KeyRecord,
  tmk: Buffer,
  version: number,
  entry?: WrappedKeyMaterial,
): Promise<Buffer> {
  const parentKid = record.parentKid ?? '';
  const material = entry ?? (await readMaterial(ctx, { tenant, kid: record.kid, parentKid }, version));
  const key = open(tmk, material.wrappedKey, namespaceKeyAad(tenant, record.kid, record.namespace ?? '', parentKid));
  assertFingerprint(record, key);
  return key;
}

/** Reads material the loaded state says exists; if it is gone, the stream has usually moved on. */
export async function readMaterial(ctx: HierarchyContext, ref: KeyMaterialRef, version: number): Promise<WrappedKeyMaterial> {
  const entry = await ctx.keyMaterial.get(ref);
  if (entry) return entry;
  throw await missingMaterial(ctx, ref, version);
}

/** A conflict when the stream moved on since `version` (the material was superseded), else an integrity error. */
export async function missingMaterial(ctx: HierarchyContext, ref: KeyMaterialRef, version: number): Promise<Error> {
  const latest = await ctx.load(ref.tenant);
  if (latest.version !== version) return new StreamVersionConflictError(tenantStreamId(ref.tenant), version);
  return new IntegrityError(`Key material for ${ref.kid} under ${ref.parentKid} is missing.`);
}

export function assertFingerprint(record: KeyRecord, key: Buffer): void {
  if (record.fingerprint !== null && keyFingerprint(key) !== record.fingerprint) {
    zeroize(key);
    throw new IntegrityError(`Key material for ${record.kid} does not match its recorded fingerprint.`);
  }
}

/**
 * Material a commit left behind: the entry of every key the commit destroyed, and every entry
 * under a parent the key no longer has. Deleting it is what makes "destroyed" unrecoverable.
 */
export function supersededMaterial(tenant: string, before: TenantKeyHierarchy, after: TenantKeyHierarchy): KeyMaterialRef[] {
  if (before.status !== 'provisioned') return [];
  const refs: KeyMaterialRef[] = [];
  for (const key of before.keys) {
    if (key.parentKid === null) continue;
    if (findKey(after, key.kid)?.parentKid !== key.parentKid) refs.push({ tenant, kid: key.kid, parentKid: key.parentKid });
  }
  return refs;
}
