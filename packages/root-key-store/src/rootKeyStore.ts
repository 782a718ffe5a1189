import type { EncryptionContext } from '@keyledger/crypto';

export interface RootKeyDescription {
  /** The key id listed as the tenant hierarchy's `environment-root-key`. */
  kid: string;
  createdAt: string;
}

export interface WrapKeyInput {
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

/** Operations a root key store performs, for metrics and the management events of a later issue. */
export type RootKeyOperation = 'describe' | 'wrap' | 'unwrap';

/**
 * Where root keys live (KMS, an HSM, or a dev key file). Only tenant master keys are wrapped
 * here; nothing on the data plane's hot path calls it.
 */
export interface RootKeyStore {
  readonly kind: string;
  /** True for stores that must never hold production keys. */
  readonly developmentOnly: boolean;
  describeRootKey(): Promise<RootKeyDescription>;
  wrapKey(input: WrapKeyInput): Promise<{ wrappedKey: Buffer; algorithm: string }>;
  unwrapKey(input: UnwrapKeyInput): Promise<Buffer>;
}
