/** Decrypt usage of one deactivated namespace key. */
export interface KeyUsageRecord {
  /** The latest decrypt (or rewrap) under the key since it was deactivated; null if none. */
  lastDecryptAt: string | null;
  decrypts: number;
}

/** Where usage is kept across processes (the KeyUsage table). */
export interface KeyUsageStore {
  /** Adds `decrypts` and moves `lastDecryptAt` forward (never back). */
  add(tenant: string, kid: string, usage: { decrypts: number; lastDecryptAt: string }): Promise<void>;
  get(tenant: string, kid: string): Promise<KeyUsageRecord>;
}
