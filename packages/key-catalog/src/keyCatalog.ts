import type { DestructionRequest, KeyRecord } from '@keyledger/domain';

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
  /** Finished destruction requests (executed, failed, cancelled, expired), written before the commit that finishes them. */
  putRequest(tenant: string, request: DestructionRequest): Promise<void>;
  getRequest(tenant: string, id: string): Promise<DestructionRequest | undefined>;
  /** Finished requests, newest first, at most `limit`. */
  listRequests(tenant: string, limit: number): Promise<DestructionRequest[]>;
}
