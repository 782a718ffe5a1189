/**
 * How long and how much the client uses one data key. These bounds are also the client's
 * revocation lag: a key retired, shredded or rekeyed away in keyledger keeps working in a running
 * client until its cached data keys pass them (docs/client.md, "Cache bounds and revocation lag").
 */
export interface DataKeyLimits {
  /** A cached data key encrypts at most this many messages: 2^20 by default (the service's own bound)... */
  maxMessages: number;
  /** ...and at most this many plaintext bytes: 1 GiB by default (the service's)... */
  maxBytes: number;
  /**
   * ...for at most this long after it was fetched: 60 s by default (the service allows 5 min).
   * An unwrapped data key is kept for decryption this long too. This is the revocation lag.
   */
  maxAgeMs: number;
  /** At most this many data keys cached for encryption, one per (namespace, encryption context): 100. */
  maxEncryptionKeys: number;
  /** At most this many unwrapped data keys cached for decryption: 1,000. */
  maxDecryptionKeys: number;
}

/**
 * The service's bounds for its own cached data keys (packages/data-plane/src/limits.ts); the client
 * cannot be set past them. 2^20 messages with random 96-bit IVs keep the chance of an IV collision
 * below 2^-57, far under NIST SP 800-38D's 2^32 invocations.
 */
export const SERVICE_DATA_KEY_LIMITS = { maxMessages: 2 ** 20, maxBytes: 2 ** 30, maxAgeMs: 5 * 60_000 } as const;

export const DEFAULT_DATA_KEY_LIMITS: DataKeyLimits = {
  maxMessages: SERVICE_DATA_KEY_LIMITS.maxMessages,
  maxBytes: SERVICE_DATA_KEY_LIMITS.maxBytes,
  maxAgeMs: 60_000,
  maxEncryptionKeys: 100,
  maxDecryptionKeys: 1_000,
};

/** The defaults with these changes, checked: whole numbers ≥ 1, none past the service's bounds. */
export function resolveDataKeyLimits(changes: Partial<DataKeyLimits>): DataKeyLimits {
  const limits = { ...DEFAULT_DATA_KEY_LIMITS, ...changes };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`dataKeyLimits.${name} must be a whole number ≥ 1 (got ${value}).`);
    const ceiling = (SERVICE_DATA_KEY_LIMITS as Record<string, number>)[name];
    if (ceiling !== undefined && value > ceiling) throw new RangeError(`dataKeyLimits.${name} must be at most ${ceiling}, the service's own bound (got ${value}).`);
  }
  return limits;
}
