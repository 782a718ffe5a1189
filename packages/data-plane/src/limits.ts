/**
 * Limits of the data plane, with their defaults (docs/data-plane.md). Every one can be set per
 * deployment (KEYLEDGER_* settings, see `dataPlaneLimitsSchema`).
 */
export interface DataPlaneLimits {
  /**
   * How long a tenant's loaded key hierarchy is used before it is read again. This bounds how
   * long encryptions keep using a namespace key after a rekey made another one active, and how
   * long a key destroyed elsewhere stays usable here.
   */
  keyStateTtlMs: number;
  /** How long an unwrapped namespace key stays in memory. */
  namespaceKeyTtlMs: number;
  /** At most this many unwrapped namespace keys in memory (least recently used go first). */
  maxNamespaceKeys: number;
  /** A cached data key encrypts at most this many messages... */
  dataKeyMaxMessages: number;
  /** ...and at most this many plaintext bytes... */
  dataKeyMaxBytes: number;
  /** ...and for at most this long; an unwrapped data key is kept for decryption this long too. */
  dataKeyMaxAgeMs: number;
  /** At most this many data keys in memory, for encryption and for decryption each. */
  maxDataKeys: number;
  /** At most this many tenants' hierarchies in memory. */
  maxTenants: number;
  /** A ciphertext naming a key id this process does not know re-reads the hierarchy at most this often per tenant. */
  unknownKeyRefreshMs: number;
}

export const DEFAULT_DATA_PLANE_LIMITS: DataPlaneLimits = {
  keyStateTtlMs: 5_000,
  namespaceKeyTtlMs: 5 * 60_000,
  maxNamespaceKeys: 1_000,
  // 2^20 messages under one key with 96-bit random IVs: an IV collision chance below 2^-57,
  // 4,096 times under NIST SP 800-38D's limit of 2^32 invocations.
  dataKeyMaxMessages: 2 ** 20,
  dataKeyMaxBytes: 2 ** 30,
  dataKeyMaxAgeMs: 5 * 60_000,
  maxDataKeys: 10_000,
  maxTenants: 10_000,
  unknownKeyRefreshMs: 1_000,
};

/** Largest plaintext `encrypt` takes (and so the largest body of an envelope): 256 KiB. */
export const MAX_PLAINTEXT_BYTES = 256 * 1024;
/** Largest secret value: 64 KiB of UTF-8 (a DynamoDB item holds at most 400 KB). */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;
/** Encryption context: at most 32 entries, keys 1-128 and values 0-1,024 characters. */
export const MAX_CONTEXT_ENTRIES = 32;
export const MAX_CONTEXT_KEY_LENGTH = 128;
export const MAX_CONTEXT_VALUE_LENGTH = 1024;
/** A batch of encrypt, decrypt or rewrap: at most 100 items, carrying at most 512 KiB of plaintext or ciphertext in all. */
export const MAX_BATCH_ITEMS = 100;
export const MAX_BATCH_BYTES = 512 * 1024;
