import { NotFoundError, IllegalKeyStateError, TenantShreddedError } from '../errors';
import type { WrappingKeyRecord } from '../events';
import type { KeyRecord } from '../keys';
import type { DestructionRequest } from '../destructionRequests';

/**
 * State of one tenant's key hierarchy, rebuilt from its event stream: the decision state. It
 * holds only live keys (pre-activation, active, deactivated) and the few facts decisions need,
 * so that it stays the same size however long the tenant lives; destroyed keys leave it for the
 * tenant's key catalog. JSON-safe, so that it can be snapshotted to DynamoDB as is.
 */
export type TenantKeyHierarchy =
  | { status: 'unprovisioned' }
  | {
      status: 'provisioned';
      tenant: string;
      /** The key that wraps the TMK: the environment root key, or the tenant's active CPRK. */
      rootKid: string;
      /** The deployment's environment root key, which every tenant falls back to. */
      erkKid: string;
      activeTmkKid: string;
      /** namespace → kid of its one active key. */
      activeNamespaceKeys: Record<string, string>;
      /** Live keys in creation order. */
      keys: KeyRecord[];
      /** How many keys the tenant ever had: the next key's `seq`, and the total the listing shows. */
      keyCount: number;
      rekeyCount: number;
      /** Import state of each live customer-provided root key, by kid. */
      customerKeys: Record<string, CustomerKeyState>;
      /** Destroyed CPRKs whose material the root key store may still hold (a crash after the commit). */
      customerKeysAwaitingDeletion: string[];
      retention: RetentionPolicy;
      /**
       * False for a hierarchy that began before the key catalog existed: its earlier destroyed keys
       * are written to the catalog once (a backfill), then this turns true.
       */
      catalogComplete: boolean;
      /**
       * The storage layout the tenant began with: 1 has had the key catalog and the data plane's
       * index of secrets by key from the start; 0 began earlier, so a namespace's older secret
       * versions are only counted by key once a re-encryption job has scanned it.
       */
      storageVersion: number;
      /** Live destruction requests (pending or approved); absent in states from before them. */
      destructionRequests?: DestructionRequest[];
      /** Set when a `shred_tenant` request executed: the tenant is tombstoned for good (410 tenant_shredded). */
      shredded?: { at: string; requestId: string };
    };

export interface CustomerKeyState {
  /** The one wrapping key an import may use; null before the first is issued. */
  wrappingKey: WrappingKeyRecord | null;
  /** The wrapping key the material was imported with; null until the import. */
  importedWith: string | null;
  /**
   * SHA-256 (hex) of the wrapped key the import sent (ciphertext, never key material): a retry of
   * the same import is answered with the key instead of a conflict. Absent on older imports.
   */
  importedDigest?: string;
}

/** The tenant's retention setting: retire quiet, unused deactivated keys automatically after this long (ISO 8601), or never (null). */
export interface RetentionPolicy {
  autoRetireAfter: string | null;
}

export type ProvisionedTenant = Extract<TenantKeyHierarchy, { status: 'provisioned' }>;

export const initialState = (): TenantKeyHierarchy => ({ status: 'unprovisioned' });

/** A live key of the hierarchy; destroyed keys are not here (see the key catalog). */
export function findKey(state: TenantKeyHierarchy, kid: string): KeyRecord | undefined {
  return state.status === 'provisioned' ? state.keys.find((key) => key.kid === kid) : undefined;
}

export function assertProvisioned(state: TenantKeyHierarchy): asserts state is ProvisionedTenant {
  if (state.status !== 'provisioned') throw new NotFoundError('The tenant has no key hierarchy yet.');
}

/** Refuses every use of a shredded tenant (410 tenant_shredded); the destruction reads skip this. */
export function assertNotShredded(state: TenantKeyHierarchy): void {
  if (state.status === 'provisioned' && state.shredded) throw new TenantShreddedError(state.tenant, state.shredded.requestId, state.shredded.at);
}

export function asProvisioned(state: TenantKeyHierarchy): ProvisionedTenant {
  assertProvisioned(state);
  return state;
}

/** The environment root key every tenant falls back to (listed first, never changes). */
export function environmentRootKid(state: ProvisionedTenant): string {
  return state.erkKid;
}

export function activeTenantMasterKey(state: ProvisionedTenant): KeyRecord {
  const tmk = findKey(state, state.activeTmkKid);
  if (!tmk) throw new IllegalKeyStateError(`Tenant ${state.tenant} has no active tenant master key.`);
  return tmk;
}

/** Every live namespace key (active and deactivated), in creation order. */
export function liveNamespaceKeys(state: ProvisionedTenant): KeyRecord[] {
  return state.keys.filter((key) => key.type === 'tenant-encryption-key');
}
