/** The public half of a receipt key, as stored (a P-256 JWK without `d`). */
export interface ReceiptPublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

/**
 * A receipt signing key at rest. The private key (PKCS#8 DER) is sealed with AES-256-GCM under
 * a random data key (AAD: the kid); the data key is wrapped by the root key store under the
 * encryption context of `receiptKeyContext(kid)`. Nothing here is secret in the clear.
 */
export interface StoredReceiptKey {
  /** `rk_<13-digit ms>_<8 hex>`: sorts by creation time. */
  kid: string;
  createdAt: string;
  publicJwk: ReceiptPublicJwk;
  /** The root key that wrapped the data key. */
  rootKid: string;
  /** Base64 of the root key store's wrapped data key. */
  wrappedDataKey: string;
  /** Base64 of `seal()`'s output: IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes). */
  sealedPrivateKey: string;
}

/** Where receipt keys live. Keys are never updated or deleted: old receipts must stay verifiable. */
export interface ReceiptKeyRepository {
  /** Every key ever created, in any order. */
  list(): Promise<StoredReceiptKey[]>;
  /** Stores a new key; throws `ReceiptKeyExistsError` if its kid is taken. */
  create(key: StoredReceiptKey): Promise<void>;
}
