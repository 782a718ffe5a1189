import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { encodeEncryptionContext, type EncryptionContext, type OaepHash } from '@keyledger/crypto';
import { ConcurrencyError, CONTEXT_KEYS, KeyImportError, RootKeyStoreError } from '@keyledger/domain';
import * as pkcs11Namespace from 'pkcs11js';
import type * as P from 'pkcs11js';
import { checkKeyMaterialLength, checkWrappedKeyShape, CUSTOMER_KID_PATTERN, newCustomerKid, UNWRAP_FAILED_MESSAGE } from './customerKeyImport';
import {
  WRAPPING_KEY_VALIDITY_MS,
  type CustomerKeyRef,
  type ImportKeyMaterialInput,
  type IssuedWrappingKey,
  type RootKeyDescription,
  type RootKeyStore,
  type UnwrapKeyInput,
  type WrapKeyInput,
  type WrappingKeyRequest,
} from './rootKeyStore';
import { assertWrappingProfile } from './wrappingProfiles';

/**
 * pkcs11js is CommonJS with exports Node's ESM loader cannot detect: from an ES module bundle its
 * namespace holds only `default`. That is module.exports in both module systems.
 */
const pkcs11js: typeof pkcs11Namespace = (pkcs11Namespace as unknown as { default?: typeof pkcs11Namespace }).default ?? pkcs11Namespace;

const {
  CKA_CLASS,
  CKA_DECRYPT,
  CKA_ENCRYPT,
  CKA_EXTRACTABLE,
  CKA_ID,
  CKA_KEY_TYPE,
  CKA_LABEL,
  CKA_MODULUS,
  CKA_MODULUS_BITS,
  CKA_PRIVATE,
  CKA_PUBLIC_EXPONENT,
  CKA_SENSITIVE,
  CKA_TOKEN,
  CKA_UNWRAP,
  CKA_VALUE_LEN,
  CKA_WRAP,
  CKF_RW_SESSION,
  CKF_SERIAL_SESSION,
  CKK_AES,
  CKK_RSA,
  CKM_AES_GCM,
  CKM_AES_KEY_GEN,
  CKM_AES_KEY_WRAP_PAD,
  CKM_RSA_PKCS_KEY_PAIR_GEN,
  CKM_RSA_PKCS_OAEP,
  CKO_PRIVATE_KEY,
  CKO_PUBLIC_KEY,
  CKO_SECRET_KEY,
  CKU_USER,
  CK_PARAMS_AES_GCM,
  CK_PARAMS_RSA_OAEP,
} = pkcs11js;

/** PKCS#11 v2.40 CKM_RSA_AES_KEY_WRAP: pkcs11js has no constant and cannot pass its parameters (a struct with a pointer). */
export const CKM_RSA_AES_KEY_WRAP = 0x1054;
const CKZ_DATA_SPECIFIED = 1;
const OAEP: Record<OaepHash, { hashAlg: number; mgf: number }> = {
  sha256: { hashAlg: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256 },
  sha1: { hashAlg: pkcs11js.CKM_SHA_1, mgf: pkcs11js.CKG_MGF1_SHA1 },
};
const REQUIRED_MECHANISMS: Record<string, number> = {
  CKM_AES_GCM,
  CKM_AES_KEY_GEN,
  CKM_AES_KEY_WRAP_PAD,
  CKM_RSA_PKCS_OAEP,
  CKM_RSA_PKCS_KEY_PAIR_GEN,
};
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
export const PKCS11_WRAP_ALGORITHM = 'PKCS11_AES_256_GCM';

export interface Pkcs11RootKeyStoreOptions {
  /** The PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so or CloudHSM's libcloudhsm_pkcs11.so. */
  library: string;
  tokenLabel: string;
  pin: string;
  /** Label of the environment root key in the token; created on first open when absent. */
  rootKeyLabel?: string;
  /**
   * Create the root key when the token has none (default true, for one local process). Lambda
   * passes false: concurrent cold starts would each create one, so there the operator creates it
   * once, before the first request.
   */
  createRootKey?: boolean;
  clock?: () => Date;
}

/** Modules loaded by this process: C_Initialize and C_Finalize are per process, not per store. */
const modules = new Map<string, { module: P.PKCS11; users: number }>();

function loadModule(library: string): P.PKCS11 {
  const loaded = modules.get(library);
  if (loaded) {
    loaded.users += 1;
    return loaded.module;
  }
  const module = new pkcs11js.PKCS11();
  try {
    module.load(library);
    module.C_Initialize();
  } catch (error) {
    throw new RootKeyStoreError('hsm_unavailable', `Cannot load the PKCS#11 module ${library}: ${pkcs11Reason(error)}.`);
  }
  modules.set(library, { module, users: 1 });
  return module;
}

function unloadModule(library: string): void {
  const loaded = modules.get(library);
  if (!loaded || (loaded.users -= 1) > 0) return;
  modules.delete(library);
  loaded.module.C_Finalize();
  loaded.module.close();
}

/** The CKR_ name of a PKCS#11 failure; never more (messages may echo inputs). */
function pkcs11Reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return /CKR_[A-Z_]+/.exec(message)?.[0] ?? (error as Error)?.name ?? 'error';
}

const label = (handle: P.PKCS11, session: Buffer, object: Buffer) =>
  handle.C_GetAttributeValue(session, object, [{ type: CKA_LABEL }])[0]?.value?.toString() ?? '';

/**
 * Root keys in an HSM through PKCS#11 (CloudHSM in AWS, SoftHSM2 locally). The ERK and every
 * CPRK are non-extractable, sensitive AES-256 token objects; TMKs are wrapped inside the HSM
 * with CKM_AES_GCM (96-bit random IV, the encryption context as AAD). Imports unwrap inside
 * the HSM in two steps, RSA-OAEP to an ephemeral session AES key, then CKM_AES_KEY_WRAP_PAD to
 * the CPRK token object, which is the same scheme as CKM_RSA_AES_KEY_WRAP. Wrapping keys are
 * RSA-3072 pairs whose private half is a non-extractable token object. Destroying a key is
 * C_DestroyObject. The OAEP hashes on offer are probed from the token at open.
 */
export class Pkcs11RootKeyStore implements RootKeyStore {
  readonly kind = 'pkcs11';
  readonly developmentOnly = false;
  private readonly clock: () => Date;

  /** Where the wrapping keys and CPRKs go; one module instance serves every store of a process. */
  private constructor(
    private readonly pkcs11: P.PKCS11,
    private readonly slot: Buffer,
    private readonly session: Buffer,
    private readonly options: Pkcs11RootKeyStoreOptions,
    private readonly description: RootKeyDescription,
    /** The ERK's object handle, found once: token object handles hold for the session's life. */
    private readonly rootKeyObject: Buffer,
    readonly wrappingProfiles: readonly OaepHash[],
    /** Whether the token lists CKM_RSA_AES_KEY_WRAP (it is not called: pkcs11js cannot pass its parameters, see CKM_RSA_AES_KEY_WRAP). */
    readonly tokenHasRsaAesKeyWrap: boolean,
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  static async open(options: Pkcs11RootKeyStoreOptions): Promise<Pkcs11RootKeyStore> {
    const pkcs11 = loadModule(options.library);
    try {
      const slot = pkcs11
        .C_GetSlotList(true)
        .find((candidate) => pkcs11.C_GetTokenInfo(candidate).label.trim() === options.tokenLabel);
      if (!slot) {
        throw new RootKeyStoreError('token_not_found', `No PKCS#11 token labelled '${options.tokenLabel}' in ${options.library}.`);
      }
      const mechanisms = pkcs11.C_GetMechanismList(slot);
      const missing = Object.entries(REQUIRED_MECHANISMS).filter(([, mechanism]) => !mechanisms.includes(mechanism));
      if (missing.length > 0) {
        throw new RootKeyStoreError('unsupported_token', `Token '${options.tokenLabel}' lacks ${missing.map(([name]) => name).join(', ')}.`);
      }
      const session = pkcs11.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION);
      try {
        pkcs11.C_Login(session, CKU_USER, options.pin);
      } catch (error) {
        if (pkcs11Reason(error) !== 'CKR_USER_ALREADY_LOGGED_IN') {
          throw new RootKeyStoreError('hsm_login_failed', `Cannot log in to token '${options.tokenLabel}': ${pkcs11Reason(error)}.`);
        }
      }
      const rootKey = Pkcs11RootKeyStore.ensureRootKey(
        pkcs11,
        session,
        options.rootKeyLabel ?? 'keyledger-erk',
        options.clock?.() ?? new Date(),
        options.createRootKey ?? true,
      );
      const profiles = (['sha256', 'sha1'] as const).filter((hash) => Pkcs11RootKeyStore.probeOaep(pkcs11, session, hash));
      return new Pkcs11RootKeyStore(pkcs11, slot, session, options, rootKey.description, rootKey.handle, profiles, mechanisms.includes(CKM_RSA_AES_KEY_WRAP));
    } catch (error) {
      unloadModule(options.library);
      if (error instanceof RootKeyStoreError) throw error;
      throw new RootKeyStoreError('hsm_error', `Cannot open PKCS#11 token '${options.tokenLabel}': ${pkcs11Reason(error)}.`);
    }
  }

  /**
   * The ERK is a token AES-256 key with the configured label, created on first start when
   * absent. Its CKA_ID holds its kid and creation time (PKCS#11 keys keep no timestamps).
   */
  private static ensureRootKey(
    pkcs11: P.PKCS11,
    session: Buffer,
    rootKeyLabel: string,
    now: Date,
    create: boolean,
  ): { description: RootKeyDescription; handle: Buffer } {
    const found = findObjects(pkcs11, session, [
      { type: CKA_CLASS, value: CKO_SECRET_KEY },
      { type: CKA_LABEL, value: rootKeyLabel },
    ]);
    if (found.length > 1) throw new RootKeyStoreError('ambiguous_root_key', `Token holds ${found.length} keys labelled '${rootKeyLabel}'.`);
    let handle = found[0];
    if (!handle && !create) {
      throw new RootKeyStoreError(
        'root_key_not_found',
        `Token holds no key labelled '${rootKeyLabel}'; create the environment root key once (README, "Deploy to AWS") before the first request.`,
      );
    }
    if (!handle) {
      const id = Buffer.from(JSON.stringify({ kid: `erk-${randomUUID()}`, created_at: now.toISOString() }));
      handle = pkcs11.C_GenerateKey(session, { mechanism: CKM_AES_KEY_GEN }, aesKeyTemplate(rootKeyLabel, id, 32));
    }
    const id = pkcs11.C_GetAttributeValue(session, handle, [{ type: CKA_ID }])[0]?.value?.toString() ?? '';
    let parsed: { kid?: unknown; created_at?: unknown } = {};
    try {
      parsed = JSON.parse(id) as typeof parsed;
    } catch {
      // reported below
    }
    if (typeof parsed.kid !== 'string' || !/^erk-[0-9a-f-]{36}$/.test(parsed.kid) || typeof parsed.created_at !== 'string') {
      throw new RootKeyStoreError('invalid_root_key', `Key '${rootKeyLabel}' in the token was not created by keyledger (its CKA_ID holds no keyledger id).`);
    }
    return { description: { kid: parsed.kid, createdAt: parsed.created_at }, handle };
  }

  /** Does the token unwrap with RSA-OAEP and this hash? Tried on throw-away session keys. */
  private static probeOaep(pkcs11: P.PKCS11, session: Buffer, hash: OaepHash): boolean {
    const keys = pkcs11.C_GenerateKeyPair(
      session,
      { mechanism: CKM_RSA_PKCS_KEY_PAIR_GEN },
      [
        { type: CKA_TOKEN, value: false },
        { type: CKA_ENCRYPT, value: true },
        { type: CKA_MODULUS_BITS, value: 1024 },
        { type: CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ],
      [
        { type: CKA_TOKEN, value: false },
        { type: CKA_UNWRAP, value: true },
        { type: CKA_SENSITIVE, value: true },
      ],
    );
    try {
      const secret = randomBytes(32);
      pkcs11.C_EncryptInit(session, oaepMechanism(hash), keys.publicKey);
      const encrypted = pkcs11.C_Encrypt(session, secret, Buffer.alloc(256));
      const unwrapped = pkcs11.C_UnwrapKey(session, oaepMechanism(hash), keys.privateKey, encrypted, ephemeralKeyTemplate());
      pkcs11.C_DestroyObject(session, unwrapped);
      return true;
    } catch {
      return false;
    } finally {
      pkcs11.C_DestroyObject(session, keys.publicKey);
      pkcs11.C_DestroyObject(session, keys.privateKey);
    }
  }

  async describeRootKey(): Promise<RootKeyDescription> {
    return { ...this.description };
  }

  async wrapKey({ rootKid, plaintextKey, encryptionContext }: WrapKeyInput) {
    const key = this.rootKeyHandle(rootKid, encryptionContext);
    const iv = randomBytes(GCM_IV_BYTES);
    const sealed = this.call('wrap', () => {
      this.pkcs11.C_EncryptInit(this.session, gcmMechanism(iv, this.aad(rootKid, encryptionContext)), key);
      return this.pkcs11.C_Encrypt(this.session, Buffer.from(plaintextKey), Buffer.alloc(plaintextKey.length + GCM_TAG_BYTES));
    });
    return { wrappedKey: Buffer.concat([iv, sealed]), algorithm: PKCS11_WRAP_ALGORITHM };
  }

  async unwrapKey({ rootKid, wrappedKey, encryptionContext }: UnwrapKeyInput): Promise<Buffer> {
    const key = this.rootKeyHandle(rootKid, encryptionContext);
    const blob = Buffer.from(wrappedKey);
    if (blob.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new RootKeyStoreError('invalid_ciphertext', 'The wrapped key is too short.');
    try {
      this.pkcs11.C_DecryptInit(this.session, gcmMechanism(blob.subarray(0, GCM_IV_BYTES), this.aad(rootKid, encryptionContext)), key);
      return Buffer.from(this.pkcs11.C_Decrypt(this.session, blob.subarray(GCM_IV_BYTES), Buffer.alloc(blob.length)));
    } catch {
      throw new RootKeyStoreError('invalid_ciphertext', 'The root key could not unwrap this key under the given context.');
    }
  }

  async createCustomerKey(_input: { tenant: string }): Promise<{ kid: string }> {
    // The token object appears at import; before that the key id is all there is.
    return { kid: newCustomerKid() };
  }

  async createWrappingKey({ tenant, kid, oaepHash }: WrappingKeyRequest): Promise<IssuedWrappingKey> {
    assertWrappingProfile(this, oaepHash);
    const wrappingKeyId = `wk-${randomUUID()}`;
    // Key generation runs off the event loop, in a session of its own.
    const session = this.pkcs11.C_OpenSession(this.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION);
    let keys: P.KeyPair;
    try {
      keys = await this.pkcs11.C_GenerateKeyPairAsync(
        session,
        { mechanism: CKM_RSA_PKCS_KEY_PAIR_GEN },
        [
          { type: CKA_TOKEN, value: false },
          { type: CKA_ENCRYPT, value: true },
          { type: CKA_WRAP, value: true },
          { type: CKA_MODULUS_BITS, value: 3072 },
          { type: CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        ],
        [
          { type: CKA_CLASS, value: CKO_PRIVATE_KEY },
          { type: CKA_KEY_TYPE, value: CKK_RSA },
          { type: CKA_TOKEN, value: true },
          { type: CKA_PRIVATE, value: true },
          { type: CKA_SENSITIVE, value: true },
          { type: CKA_EXTRACTABLE, value: false },
          { type: CKA_UNWRAP, value: true },
          { type: CKA_DECRYPT, value: false },
          { type: CKA_LABEL, value: wrappingKeyLabel(kid) },
          { type: CKA_ID, value: Buffer.from(`${tenant}/${wrappingKeyId}`) },
        ],
      );
      const [modulus, exponent] = this.pkcs11.C_GetAttributeValue(session, keys.publicKey, [{ type: CKA_MODULUS }, { type: CKA_PUBLIC_EXPONENT }]);
      const publicKey = createPublicKey({
        key: { kty: 'RSA', n: (modulus?.value as Buffer).toString('base64url'), e: (exponent?.value as Buffer).toString('base64url') },
        format: 'jwk',
      });
      // A new wrapping key replaces the earlier ones of this key: each is good for one import.
      for (const earlier of this.find(CKO_PRIVATE_KEY, wrappingKeyLabel(kid))) {
        if (!earlier.equals(keys.privateKey)) this.pkcs11.C_DestroyObject(this.session, earlier);
      }
      return {
        wrappingKeyId,
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        oaepHash,
        expiresAt: new Date(this.clock().getTime() + WRAPPING_KEY_VALIDITY_MS).toISOString(),
        importToken: null,
      };
    } catch (error) {
      if (error instanceof RootKeyStoreError) throw error;
      throw new RootKeyStoreError('hsm_error', `PKCS#11 wrapping key generation failed: ${pkcs11Reason(error)}.`);
    } finally {
      this.pkcs11.C_CloseSession(session);
    }
  }

  async importKeyMaterial({ tenant, kid, wrappingKey, wrappedKey }: ImportKeyMaterialInput): Promise<void> {
    const privateKey = this.find(CKO_PRIVATE_KEY, wrappingKeyLabel(kid), Buffer.from(`${tenant}/${wrappingKey.wrappingKeyId}`))[0];
    if (!privateKey) throw new KeyImportError('wrapping_key_unknown', 'The HSM no longer holds this wrapping key; request a new one.');
    const modulus = this.pkcs11.C_GetAttributeValue(this.session, privateKey, [{ type: CKA_MODULUS }])[0]?.value as Buffer;
    checkWrappedKeyShape(wrappedKey.length, modulus.length);
    if (this.find(CKO_SECRET_KEY, kid).length > 0) throw new ConcurrencyError(`Key material for ${kid} is being imported by another request.`);
    const blob = Buffer.from(wrappedKey);
    let ephemeral: Buffer | undefined;
    let imported: Buffer;
    try {
      ephemeral = this.pkcs11.C_UnwrapKey(this.session, oaepMechanism(wrappingKey.oaepHash), privateKey, blob.subarray(0, modulus.length), ephemeralKeyTemplate());
      imported = this.pkcs11.C_UnwrapKey(this.session, { mechanism: CKM_AES_KEY_WRAP_PAD }, ephemeral, blob.subarray(modulus.length), aesKeyTemplate(kid, Buffer.from(tenant)));
    } catch {
      throw new KeyImportError('unwrap_failed', UNWRAP_FAILED_MESSAGE);
    } finally {
      if (ephemeral) this.pkcs11.C_DestroyObject(this.session, ephemeral);
    }
    try {
      checkKeyMaterialLength(this.importedKeyLength(imported));
    } catch (error) {
      this.pkcs11.C_DestroyObject(this.session, imported);
      throw error;
    }
  }

  /**
   * The imported key's length without reading it: CKA_VALUE_LEN where the token sets it on
   * unwrap; else (SoftHSM2 leaves it unset) an AES-GCM operation, which works only for AES key
   * sizes, and the only AES size an accepted wrapped length can hold (25 to 32 bytes) is 32.
   */
  private importedKeyLength(imported: Buffer): number {
    const declared = ulong(this.pkcs11.C_GetAttributeValue(this.session, imported, [{ type: CKA_VALUE_LEN }])[0]?.value as Buffer | undefined);
    if (declared > 0) return declared;
    try {
      this.pkcs11.C_EncryptInit(this.session, gcmMechanism(randomBytes(GCM_IV_BYTES), Buffer.alloc(0)), imported);
      this.pkcs11.C_Encrypt(this.session, Buffer.alloc(16), Buffer.alloc(16 + GCM_TAG_BYTES));
      return 32;
    } catch {
      return 0;
    }
  }

  async revertImport({ kid }: CustomerKeyRef): Promise<void> {
    this.destroyAll(CKO_SECRET_KEY, kid);
  }

  async discardWrappingKeys({ kid }: CustomerKeyRef): Promise<void> {
    this.destroyAll(CKO_PRIVATE_KEY, wrappingKeyLabel(kid));
  }

  async deleteCustomerKey({ kid }: CustomerKeyRef): Promise<void> {
    this.destroyAll(CKO_SECRET_KEY, kid);
    this.destroyAll(CKO_PRIVATE_KEY, wrappingKeyLabel(kid));
  }

  /**
   * Closes this store's session. Login is per application, not per session, so logging out
   * is left to the last store of the module, whose C_Finalize ends it.
   */
  close(): void {
    try {
      this.pkcs11.C_CloseSession(this.session);
    } finally {
      unloadModule(this.options.library);
    }
  }

  /** Labels of the token's key objects, sorted (for tests and inspection). */
  listObjectLabels(): string[] {
    return [...this.find(CKO_SECRET_KEY), ...this.find(CKO_PRIVATE_KEY), ...this.find(CKO_PUBLIC_KEY)]
      .map((object) => label(this.pkcs11, this.session, object))
      .sort();
  }

  /** The protection attributes of a root key object (never its value). */
  inspectKey(objectLabel: string): { token: boolean; sensitive: boolean; extractable: boolean; valueLength: number } | undefined {
    const object = this.find(CKO_SECRET_KEY, objectLabel)[0];
    if (!object) return undefined;
    const [token, sensitive, extractable, length] = this.pkcs11.C_GetAttributeValue(this.session, object, [
      { type: CKA_TOKEN },
      { type: CKA_SENSITIVE },
      { type: CKA_EXTRACTABLE },
      { type: CKA_VALUE_LEN },
    ]);
    const flag = (attribute: P.Attribute | undefined) => (attribute?.value as Buffer | undefined)?.[0] === 1;
    return {
      token: flag(token),
      sensitive: flag(sensitive),
      extractable: flag(extractable),
      valueLength: ulong(length?.value as Buffer | undefined),
    };
  }

  get rootKeyLabel(): string {
    return this.options.rootKeyLabel ?? 'keyledger-erk';
  }

  private rootKeyHandle(rootKid: string, context: EncryptionContext): Buffer {
    if (rootKid === this.description.kid) return this.rootKeyObject;
    if (CUSTOMER_KID_PATTERN.test(rootKid)) {
      // A CPRK serves only the tenant it was imported for (its CKA_ID).
      const cprk = this.find(CKO_SECRET_KEY, rootKid, Buffer.from(context[CONTEXT_KEYS.tenant] ?? ''))[0];
      if (cprk) return cprk;
    }
    throw new RootKeyStoreError('unknown_root_key', `Root key ${rootKid} is not held by this store.`);
  }

  private find(objectClass: number, objectLabel?: string, id?: Buffer): Buffer[] {
    const template: P.Template = [{ type: CKA_CLASS, value: objectClass }];
    if (objectLabel !== undefined) template.push({ type: CKA_LABEL, value: objectLabel });
    if (id) template.push({ type: CKA_ID, value: id });
    return findObjects(this.pkcs11, this.session, template);
  }

  private destroyAll(objectClass: number, objectLabel: string): void {
    this.call('delete', () => {
      for (const object of this.find(objectClass, objectLabel)) this.pkcs11.C_DestroyObject(this.session, object);
    });
  }

  private call<T>(operation: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      throw new RootKeyStoreError('hsm_error', `PKCS#11 ${operation} failed: ${pkcs11Reason(error)}.`);
    }
  }

  private aad(rootKid: string, context: EncryptionContext): Buffer {
    return encodeEncryptionContext({ ...context, [CONTEXT_KEYS.rootKid]: rootKid });
  }
}

function findObjects(pkcs11: P.PKCS11, session: Buffer, template: P.Template): Buffer[] {
  pkcs11.C_FindObjectsInit(session, template);
  try {
    const found: Buffer[] = [];
    for (let batch = pkcs11.C_FindObjects(session, 64); batch.length > 0; batch = pkcs11.C_FindObjects(session, 64)) found.push(...batch);
    return found;
  } finally {
    pkcs11.C_FindObjectsFinal(session);
  }
}

const wrappingKeyLabel = (kid: string) => `wk:${kid}`;

/** A CK_ULONG attribute value (4 or 8 bytes, little-endian on the platforms we run on). */
function ulong(value: Buffer | undefined): number {
  if (!value || value.length === 0) return 0;
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUIntLE(0, value.length);
}

/**
 * A root key: AES in the token, never extractable, never shown. The length is given when
 * generating; an unwrapped key takes the length of its material (checked after the import).
 */
function aesKeyTemplate(objectLabel: string, id: Buffer, valueLength?: number): P.Template {
  const template: P.Template = [
    { type: CKA_CLASS, value: CKO_SECRET_KEY },
    { type: CKA_KEY_TYPE, value: CKK_AES },
    { type: CKA_TOKEN, value: true },
    { type: CKA_PRIVATE, value: true },
    { type: CKA_SENSITIVE, value: true },
    { type: CKA_EXTRACTABLE, value: false },
    { type: CKA_ENCRYPT, value: true },
    { type: CKA_DECRYPT, value: true },
    { type: CKA_WRAP, value: false },
    { type: CKA_UNWRAP, value: false },
    { type: CKA_LABEL, value: objectLabel },
    { type: CKA_ID, value: id },
  ];
  if (valueLength !== undefined) template.push({ type: CKA_VALUE_LEN, value: valueLength });
  return template;
}

/** The ephemeral AES key of CKM_RSA_AES_KEY_WRAP: a session object that can only unwrap. */
function ephemeralKeyTemplate(): P.Template {
  return [
    { type: CKA_CLASS, value: CKO_SECRET_KEY },
    { type: CKA_KEY_TYPE, value: CKK_AES },
    { type: CKA_TOKEN, value: false },
    { type: CKA_SENSITIVE, value: true },
    { type: CKA_EXTRACTABLE, value: false },
    { type: CKA_UNWRAP, value: true },
    { type: CKA_ENCRYPT, value: false },
    { type: CKA_DECRYPT, value: false },
  ];
}

function oaepMechanism(hash: OaepHash): P.Mechanism {
  return {
    mechanism: CKM_RSA_PKCS_OAEP,
    parameter: { type: CK_PARAMS_RSA_OAEP, ...OAEP[hash], source: CKZ_DATA_SPECIFIED } as P.RsaOAEP,
  };
}

function gcmMechanism(iv: Buffer, aad: Buffer): P.Mechanism {
  return {
    mechanism: CKM_AES_GCM,
    parameter: { type: CK_PARAMS_AES_GCM, iv, aad, ivBits: GCM_IV_BYTES * 8, tagBits: GCM_TAG_BYTES * 8 } as P.AesGCM,
  };
}
