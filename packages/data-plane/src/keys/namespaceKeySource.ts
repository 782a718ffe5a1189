import type { KeyRecord, ProvisionedTenant } from '@keyledger/domain';
import type { Loaded } from '@keyledger/event-store';

/**
 * What the data plane needs of the key hierarchy, and nothing more: a tenant's current hierarchy
 * (provisioned on first use), its namespace keys unwrapped, and what became of a key that is no
 * longer live. The key hierarchy service implements it; tests may give another.
 */
export interface NamespaceKeySource {
  openTenant(tenant: string): Promise<Loaded<ProvisionedTenant>>;
  /** One root key store call (the TMK), then the namespace keys; the caller owns and zeroes them. */
  unwrapNamespaceKeys(tenant: string, loaded: Loaded<ProvisionedTenant>, kids: readonly string[]): Promise<Map<string, Buffer>>;
  /** A key that left the live hierarchy: its catalog record (destroyed), or undefined when the tenant never had it. */
  retiredKey(tenant: string, kid: string): Promise<KeyRecord | undefined>;
}
