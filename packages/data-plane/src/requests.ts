import type { EncryptionContext } from '@keyledger/crypto';
import type { Logger } from '@keyledger/domain';
import type { NamespaceKeySource } from './keys/namespaceKeySource';
import type { DataPlaneLimits } from './limits';
import type { UsageTracker } from './usage/usageTracker';

export interface EncryptRequest {
  tenant: string;
  namespace: string;
  plaintext: Uint8Array;
  encryptionContext?: EncryptionContext;
  /** Entries bound into the AAD besides tenant and namespace (a secret's name and version). */
  binding?: EncryptionContext;
  /** `cached` (default): a data key reused within the limits; `own`: a fresh data key for this one message. */
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

export interface RewrapRequest extends DecryptRequest {
  /** False for maintenance (moving stored data), which is not a use of the old key. */
  countUse?: boolean;
  /** As for encrypt: `own` for a value that must keep a data key of its own (a secret). */
  dataKey?: 'cached' | 'own';
}

export interface DataKeyResult {
  /** The caller owns these bytes and should zero them when done. */
  plaintextKey: Buffer;
  /** An envelope whose body is the data key: `decrypt` with the same context returns it. */
  ciphertextKey: Buffer;
  kid: string;
}

export interface CryptoDataPlaneOptions {
  keySource: NamespaceKeySource;
  limits?: Partial<DataPlaneLimits>;
  /** Counts decrypts under deactivated keys (retirement checks read them); none: not counted. */
  usage?: Pick<UsageTracker, 'noteDecrypt'>;
  /** Milliseconds; tests move it. */
  now?: () => number;
  logger?: Logger;
}
