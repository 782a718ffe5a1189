/** Where a secret lives: names are unique per tenant and namespace. */
export interface SecretRef {
  tenant: string;
  namespace: string;
  name: string;
}

export interface StoredSecretVersion {
  version: number;
  /** The namespace key the value's data key is wrapped by. */
  kid: string;
  /** The value's envelope. */
  ciphertext: Buffer;
  createdAt: string;
  createdBy: string;
  /** In the by-kid index (every version written by this keyledger is; older ones once a job visited them). */
  indexed?: boolean;
  /** Written by a scheduled rotation, for this due time (secretRotation.ts). */
  rotationDue?: string;
}

export type SecretVersionInfo = Omit<StoredSecretVersion, 'ciphertext' | 'indexed'>;

export interface SecretHead {
  /** Highest version number ever written, deleted versions included (0: none). */
  highestVersion: number;
  /** The latest version that is not deleted. */
  latest?: StoredSecretVersion;
}

/** A live version as the indexes list it; `position` orders it within its namespace. */
export interface SecretVersionKey {
  name: string;
  version: number;
  position: string;
}

export interface SecretListPage {
  secrets: Array<{ name: string; version: number }>;
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

/**
 * The secret store port. Version numbers are never reused while a secret exists: deleting a
 * version removes its value and keeps its number taken; deleting a secret removes every version.
 */
export interface SecretStore {
  head(ref: SecretRef): Promise<SecretHead>;
  get(ref: SecretRef, version: number): Promise<StoredSecretVersion | undefined>;
  /** Writes a new version; false when that version number is already taken (a concurrent put won). */
  put(ref: SecretRef, record: StoredSecretVersion): Promise<boolean>;
  /** Live versions, newest first. */
  versions(ref: SecretRef): Promise<SecretVersionInfo[]>;
  /** Names (after `after`, in order) with their latest live version. */
  list(scope: Omit<SecretRef, 'name'>, page: { after?: string; limit: number }): Promise<SecretListPage>;
  /** False when the version does not exist or is already deleted. */
  deleteVersion(ref: SecretRef, version: number, deletedAt: string): Promise<boolean>;
  /** Deletes every version; returns how many items went. */
  deleteAll(ref: SecretRef): Promise<number>;
  /** Live versions whose data key the namespace key wraps. */
  countByKid(tenant: string, kid: string): Promise<number>;
  countInNamespace(scope: Omit<SecretRef, 'name'>): Promise<number>;
  /** One page of a namespace's live versions, in (name, version) order, after a position. */
  versionsInNamespace(scope: Omit<SecretRef, 'name'>, page: { after?: string; limit: number }): Promise<{ versions: SecretVersionKey[]; next: string | null }>;
  /** A page of the live versions under a namespace key (the by-kid index), in (name, version) order after a position. */
  versionsUnderKid(tenant: string, kid: string, page: { after?: string; limit: number }): Promise<{ versions: SecretVersionKey[]; next: string | null }>;
  /** Puts a version written before the by-kid index into it (nothing if it is in already, moved or deleted). */
  index(ref: SecretRef, version: number, kid: string): Promise<void>;
  /** Records that every live version of the namespace is in the by-kid index. */
  markIndexed(scope: Omit<SecretRef, 'name'>, at: string): Promise<void>;
  isIndexed(scope: Omit<SecretRef, 'name'>): Promise<boolean>;
  /**
   * Replaces a version's envelope by the same value with its data key under another namespace
   * key, if it is still live and under `fromKid`; false otherwise. Records who moved it.
   */
  moveDataKey(ref: SecretRef, version: number, move: { fromKid: string; toKid: string; ciphertext: Buffer; movedBy: string }): Promise<boolean>;
  /** The job that last moved the version's data key, if any. */
  movedBy(ref: SecretRef, version: number): Promise<string | undefined>;
}
