/**
 * Wrapped key material, kept apart from the immutable event log so that destroying a key can
 * really delete it ("destroyed means unrecoverable"). One entry per (key, wrapping parent):
 * re-wrapping writes a new entry before the commit and deletes the old one after it, so a
 * lost race never leaves a key wrapped only under a parent that does not exist.
 */
export interface WrappedKeyMaterial {
  tenant: string;
  kid: string;
  parentKid: string;
  wrappedKey: Uint8Array;
  /** How the parent wrapped it, e.g. `AES_256_GCM` or `KMS_SYMMETRIC_DEFAULT`. */
  algorithm: string;
  createdAt: string;
}

export type KeyMaterialRef = Pick<WrappedKeyMaterial, 'tenant' | 'kid' | 'parentKid'>;

export interface KeyMaterialStore {
  /** Writes a new entry; an entry for the same (key, parent) is never overwritten. */
  put(entry: WrappedKeyMaterial): Promise<void>;
  /**
   * Writes many new entries in batches, without the overwrite check: only for entries under a
   * parent that was generated for this command (a fresh TMK id), which no other writer can hold.
   */
  putMany(entries: readonly WrappedKeyMaterial[]): Promise<void>;
  get(ref: KeyMaterialRef): Promise<WrappedKeyMaterial | undefined>;
  list(tenant: string): Promise<WrappedKeyMaterial[]>;
  /** Deletes the entry for good; deleting an absent entry is not an error. */
  delete(ref: KeyMaterialRef): Promise<void>;
  /** Deletes many entries for good, in batches. */
  deleteMany(refs: readonly KeyMaterialRef[]): Promise<void>;
}
