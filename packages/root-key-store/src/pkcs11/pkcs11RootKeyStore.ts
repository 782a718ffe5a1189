import { randomBytes } from 'node:crypto';
import { encodeEncryptionContext, type EncryptionContext, type OaepHash } from '@keyledger/crypto';
import { CONTEXT_KEYS, RootKeyStoreError } from '@keyledger/domain';
import type * as P from 'pkcs11js';
import { CUSTOMER_KID_PATTERN, newCustomerKid } from '../customerKeyImport';
import type {
  CustomerKeyRef,
  ImportKeyMaterialInput,
  IssuedWrappingKey,
  RootKeyDescription,
  RootKeyStore,
  UnwrapKeyInput,
  WrapKeyInput,
  WrappingKeyRequest,
} from '../rootKeyStore';
import { assertWrappingProfile } from '../wrappingProfiles';
import { generateWrappingKey, importWrappedKeyMaterial, type TokenAccess } from './customerKeyImport';
import { findObjects, label, pkcs11js, pkcs11Reason, ulong, unloadModule } from './pkcs11Module';
import { GCM_IV_BYTES, GCM_TAG_BYTES, gcmMechanism, PKCS11_WRAP_ALGORITHM, wrappingKeyLabel } from './templates';
import { openToken, type Pkcs11RootKeyStoreOptions } from './tokenSetup';

const { CKA_CLASS, CKA_EXTRACTABLE, CKA_ID, CKA_LABEL, CKA_SENSITIVE, CKA_TOKEN, CKA_VALUE_LEN, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_SECRET_KEY } = pkcs11js;

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
  private readonly token: TokenAccess;

  /** One module instance serves every store of a process; each store has its own session. */
  private constructor(
    private readonly pkcs11: P.PKCS11,
    slot: Buffer,
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
    this.token = { pkcs11, slot, session, clock: this.clock, find: (objectClass, objectLabel, id) => this.find(objectClass, objectLabel, id) };
  }

  static async open(options: Pkcs11RootKeyStoreOptions): Promise<Pkcs11RootKeyStore> {
    const opened = openToken(options);
    return new Pkcs11RootKeyStore(
      opened.pkcs11,
      opened.slot,
      opened.session,
      options,
      opened.rootKey.description,
      opened.rootKey.handle,
      opened.wrappingProfiles,
      opened.hasRsaAesKeyWrap,
    );
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

  async createWrappingKey(request: WrappingKeyRequest): Promise<IssuedWrappingKey> {
    assertWrappingProfile(this, request.oaepHash);
    return generateWrappingKey(this.token, request);
  }

  async importKeyMaterial(input: ImportKeyMaterialInput): Promise<void> {
    importWrappedKeyMaterial(this.token, input);
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
