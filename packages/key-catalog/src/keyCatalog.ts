import type { DestructionRequest, KeyRecord } from '@keyledger/domain';

/** What an executed request destroyed, noted after its commit: its receipt is due until it is signed. */
export interface ReceiptDue {
  requestId: string;
  executedAt: string;
  /** The stored event that executed it (its `destruction_executed` log entry has this event id). */
  eventId: string;
  keys: Array<{ kid: string; type: string; namespace: string | null; fingerprint: string | null; stateBefore: string }>;
  /** A shred's deletions so far (by kind), kept across tries of issuing its receipt. */
  deleted?: Record<string, number>;
  /** When a shred's data was purged: later tries (waiting for the store or the audit chain) do not purge again. */
  purgedAt?: string;
}

/**
 * A finished request as the catalog holds it. `provisionalFrom`: written before the commit that
 * would finish it, decided on the stream at that version; the commit may have lost, so the
 * stream after that version says what became of it. Without it: written after its commit.
 */
export interface StoredRequest {
  request: DestructionRequest;
  provisionalFrom?: number;
}

/**
 * Where destroyed keys go when they leave a tenant's decision state: still listed (Auth0 lists
 * them), read a page at a time. Entries are written before the commit that destroys the key,
 * so the listing never misses one; an entry whose key is still live in the state is ignored.
 */
export interface KeyCatalog {
  /** Writes (or rewrites) destroyed keys' records. */
  put(tenant: string, records: readonly KeyRecord[]): Promise<void>;
  get(tenant: string, kid: string): Promise<KeyRecord | undefined>;
  /** The records with `fromSeq <= seq <= toSeq`, newest (highest seq) first. */
  range(tenant: string, fromSeq: number, toSeq: number): Promise<KeyRecord[]>;
  /**
   * Registers a tenant whose retention setting retires keys automatically (or removes it): the
   * tenants the retention pass visits. The setting itself is in the tenant's state.
   */
  registerRetention(tenant: string, registered: boolean): Promise<void>;
  retentionTenants(): Promise<string[]>;
  /** Registers a tenant with live destruction requests (or removes it): the tenants the destruction scheduler visits. */
  registerDestruction(tenant: string, registered: boolean): Promise<void>;
  destructionTenants(): Promise<string[]>;
  /**
   * Finished destruction requests (executed, failed, cancelled, expired): provisionally before
   * the commit that finishes them (false, writing nothing, once a committed record is there: the
   * request finished already), then as committed after it.
   */
  putRequest(tenant: string, request: DestructionRequest, as: { provisionalFrom: number } | { committed: true }): Promise<boolean>;
  getRequest(tenant: string, id: string): Promise<StoredRequest | undefined>;
  /** Finished requests, newest first, at most `limit`. */
  listRequests(tenant: string, limit: number): Promise<StoredRequest[]>;
  /** Tombstones a shredded tenant (written after its shred commits; the state says so too). */
  registerShredded(tenant: string): Promise<void>;
  isShredded(tenant: string): Promise<boolean>;
  /** Notes (after the commit that executed a request) that its receipt is due; cleared once the receipt is stored. */
  putReceiptDue(tenant: string, due: ReceiptDue): Promise<void>;
  receiptsDue(tenant: string): Promise<ReceiptDue[]>;
  /** Drops a due note whose request did not execute after all. */
  clearReceiptDue(tenant: string, requestId: string): Promise<void>;
  /** Stores the signed receipt (a compact JWS) and clears its due note. */
  putReceipt(tenant: string, requestId: string, receipt: string): Promise<void>;
  getReceipt(tenant: string, requestId: string): Promise<string | undefined>;
}
