import type { EncryptionContext, OaepHash } from '@keyledger/crypto';

export interface RootKeyDescription {
  /** The key id listed as the tenant hierarchy's `environment-root-key`. */
  kid: string;
  createdAt: string;
}

export interface WrapKeyInput {
  /** The environment root key, or a tenant's active customer-provided root key. */
  rootKid: string;
  plaintextKey: Uint8Array;
  /** Binds the wrapped key to its tenant and key id: unwrapping under another context fails. */
  encryptionContext: EncryptionContext;
}

export interface UnwrapKeyInput {
  rootKid: string;
  wrappedKey: Uint8Array;
  encryptionContext: EncryptionContext;
}

/** A customer-provided root key (CPRK) of one tenant, as the store knows it. */
export interface CustomerKeyRef {
  tenant: string;
  kid: string;
}

export interface WrappingKeyRequest extends CustomerKeyRef {
  /** OAEP (and MGF1) hash of CKM_RSA_AES_KEY_WRAP; must be one of the store's `wrappingProfiles`. */
  oaepHash: OaepHash;
}

/** A one-time RSA-3072 public wrapping key; the store holds its private half. */
export interface IssuedWrappingKey {
  wrappingKeyId: string;
  publicKeyPem: string;
  oaepHash: OaepHash;
  expiresAt: string;
  /** What the store needs back at import besides the id (the KMS import token); null if nothing. */
  importToken: string | null;
}

export interface ImportKeyMaterialInput extends CustomerKeyRef {
  /** The CPRK's current, unexpired wrapping key (the hierarchy checks both before calling). */
  wrappingKey: Pick<IssuedWrappingKey, 'wrappingKeyId' | 'oaepHash' | 'importToken'>;
  /** CKM_RSA_AES_KEY_WRAP output: OAEP(ephemeral AES key) ‖ RFC 5649 wrap of the key material. */
  wrappedKey: Uint8Array;
}

/** Operations a root key store performs, as named in `kms_key_management_*` events. */
export type RootKeyOperation =
  | 'describe'
  | 'wrap'
  | 'unwrap'
  | 'create'
  | 'create-wrapping-key'
  | 'import'
  | 'revert-import'
  | 'delete-wrapping-key'
  | 'delete';

/** How long a wrapping key may be used, as AWS KMS import parameters. */
export const WRAPPING_KEY_VALIDITY_MS = 24 * 60 * 60 * 1000;

/** An import claim this old (a process died between the store import and its commit) may be replaced. */
export const STALE_IMPORT_MS = 5 * 60 * 1000;

/** Length of the CPRK key material every store accepts: AES-256. */
export const CUSTOMER_KEY_BYTES = 32;

/**
 * Where root keys live (KMS, an HSM, or a dev key file). Only tenant master keys are wrapped
 * here; nothing on the data plane's hot path calls it. A store also holds tenants' customer
 * provided root keys (BYOK): it creates them, issues one-time wrapping keys, imports material
 * wrapped with CKM_RSA_AES_KEY_WRAP without it ever being in the clear outside the store, and
 * destroys them.
 */
export interface RootKeyStore {
  readonly kind: string;
  /** True for stores that must never hold production keys. */
  readonly developmentOnly: boolean;
  /** OAEP hashes of CKM_RSA_AES_KEY_WRAP this store can import with, preferred first. */
  readonly wrappingProfiles: readonly OaepHash[];
  describeRootKey(): Promise<RootKeyDescription>;
  wrapKey(input: WrapKeyInput): Promise<{ wrappedKey: Buffer; algorithm: string }>;
  unwrapKey(input: UnwrapKeyInput): Promise<Buffer>;
  /** A new CPRK with no material yet (`pre-activation`); returns its key id. */
  createCustomerKey(input: { tenant: string }): Promise<{ kid: string }>;
  createWrappingKey(input: WrappingKeyRequest): Promise<IssuedWrappingKey>;
  /**
   * Unwraps the material inside the store and keeps it as the CPRK's key. Refuses with a
   * `KeyImportError` (what is wrong, never why the cryptography failed) and keeps nothing.
   */
  importKeyMaterial(input: ImportKeyMaterialInput): Promise<void>;
  /** Undoes an import whose commit did not happen: the material is gone, wrapping keys stay. */
  revertImport(ref: CustomerKeyRef): Promise<void>;
  /** Destroys the private halves of the CPRK's wrapping keys. Idempotent. */
  discardWrappingKeys(ref: CustomerKeyRef): Promise<void>;
  /** Destroys the CPRK's material and wrapping keys for good. Idempotent. */
  deleteCustomerKey(ref: CustomerKeyRef): Promise<void>;
}
