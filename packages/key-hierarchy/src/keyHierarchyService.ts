import type { OaepHash } from '@keyledger/crypto';
import type { DestructionActor, DestructionRequest, KeyRecord, ProvisionedTenant, RetentionPolicy, TenantKeyHierarchy } from '@keyledger/domain';
import type { Loaded } from '@keyledger/event-store';
import { HierarchyContext, type KeyHierarchyOptions } from './context';
import { unwrapNamespaceKeys } from './namespaceKeys';
import { getKey, keyUsage, listKeys, listKeysAsOf, type KeyPage, type KeyPageAsOf, type KeyUsage } from './queries';
import { sweep } from './sweep';
import { createCustomerKey } from './useCases/createCustomerKey';
import { deleteCustomerKey } from './useCases/deleteCustomerKey';
import { deleteKey, type DeleteOutcome } from './useCases/deleteKey';
import {
  approveDestructionRequest,
  cancelDestructionRequest,
  getDestructionRequest,
  listDestructionRequests,
  settleDueDestructions,
} from './useCases/destruction';
import { getDestructionReceipt } from './useCases/receipts';
import { shredTenant } from './useCases/shred';
import { importCustomerKey } from './useCases/importCustomerKey';
import { issueWrappingKey, type WrappingKeyResult } from './useCases/issueWrappingKey';
import { ensureProvisioned, openTenant } from './useCases/provision';
import { rekey, type RekeyResult } from './useCases/rekey';
import { retireByRetention, getRetention, setRetention } from './useCases/retention';

/**
 * The use cases on tenants' key hierarchies, as the handlers and the data plane call them. Each
 * method is one module of useCases/ (or a query); this class only holds their shared context.
 */
export class KeyHierarchyService {
  /** The use cases' context: for composition-root tools beside the API (the restore's re-application, @keyledger/key-hierarchy/restore). */
  readonly ctx: HierarchyContext;

  constructor(options: KeyHierarchyOptions) {
    this.ctx = new HierarchyContext(options);
  }

  async ensureProvisioned(tenant: string): Promise<ProvisionedTenant> {
    return (await ensureProvisioned(this.ctx, tenant)).state;
  }

  openTenant(tenant: string): Promise<Loaded<ProvisionedTenant>> {
    return openTenant(this.ctx, tenant);
  }

  unwrapNamespaceKeys(tenant: string, loaded: Loaded<ProvisionedTenant>, kids: readonly string[]): Promise<Map<string, Buffer>> {
    return unwrapNamespaceKeys(this.ctx, tenant, loaded, kids);
  }

  /** A key that is no longer live: its catalog record (destroyed), or undefined. */
  retiredKey(tenant: string, kid: string): Promise<KeyRecord | undefined> {
    return this.ctx.catalog.get(tenant, kid);
  }

  listKeys(tenant: string, page: { page: number; perPage: number }): Promise<KeyPage> {
    return listKeys(this.ctx, tenant, page);
  }

  /** The listing as it was at `at` (read-only: nothing is provisioned). */
  listKeysAsOf(tenant: string, at: Date, page: { page: number; perPage: number }): Promise<KeyPageAsOf> {
    return listKeysAsOf(this.ctx, tenant, at, page);
  }

  /** The service's clock (the local stack's dev clock, if it has one). */
  now(): Date {
    return this.ctx.clock();
  }

  getKey(tenant: string, kid: string): Promise<KeyRecord> {
    return getKey(this.ctx, tenant, kid);
  }

  keyUsage(tenant: string, kid: string): Promise<KeyUsage> {
    return keyUsage(this.ctx, tenant, kid);
  }

  rekey(tenant: string): Promise<RekeyResult> {
    return rekey(this.ctx, tenant);
  }

  createCustomerKey(tenant: string): Promise<KeyRecord> {
    return createCustomerKey(this.ctx, tenant);
  }

  createWrappingKey(tenant: string, kid: string, oaepHash?: OaepHash): Promise<WrappingKeyResult> {
    return issueWrappingKey(this.ctx, tenant, kid, oaepHash);
  }

  importCustomerKey(tenant: string, kid: string, wrappedKey: Uint8Array): Promise<KeyRecord> {
    return importCustomerKey(this.ctx, tenant, kid, wrappedKey);
  }

  /**
   * DELETE of any key: a CPRK is deleted, a deactivated namespace key retired, a destroyed key
   * left as it is; under a destruction policy (with a `caller`), a request opened instead.
   */
  deleteKey(tenant: string, kid: string, caller?: DestructionActor): Promise<DeleteOutcome> {
    return deleteKey(this.ctx, tenant, kid, caller);
  }

  getDestructionRequest(tenant: string, id: string): Promise<DestructionRequest> {
    return getDestructionRequest(this.ctx, tenant, id);
  }

  listDestructionRequests(tenant: string): Promise<DestructionRequest[]> {
    return listDestructionRequests(this.ctx, tenant);
  }

  approveDestructionRequest(tenant: string, id: string, sub: string): Promise<DestructionRequest> {
    return approveDestructionRequest(this.ctx, tenant, id, sub);
  }

  cancelDestructionRequest(tenant: string, id: string, sub: string, mayApprove: boolean): Promise<DestructionRequest> {
    return cancelDestructionRequest(this.ctx, tenant, id, sub, mayApprove);
  }

  /** The signed receipt (compact JWS) of an executed destruction request. */
  getDestructionReceipt(tenant: string, id: string): Promise<string> {
    return getDestructionReceipt(this.ctx, tenant, id);
  }

  /** Crypto-shreds the tenant: a `shred_tenant` request, executed at once when no destruction policy is in force. */
  shredTenant(tenant: string, caller: DestructionActor): Promise<DestructionRequest> {
    return shredTenant(this.ctx, tenant, caller);
  }

  /** One pass of the destruction scheduler: due requests executed, expired ones ended, due receipts issued. */
  settleDueDestructions(): Promise<{ executed: number; expired: number; failed: number }> {
    return settleDueDestructions(this.ctx);
  }

  async deleteCustomerKey(tenant: string, kid: string): Promise<void> {
    await ensureProvisioned(this.ctx, tenant);
    await deleteCustomerKey(this.ctx, tenant, kid);
  }

  getRetention(tenant: string): Promise<RetentionPolicy> {
    return getRetention(this.ctx, tenant);
  }

  setRetention(tenant: string, autoRetireAfter: string | null): Promise<RetentionPolicy> {
    return setRetention(this.ctx, tenant, autoRetireAfter);
  }

  /** One pass of the retention scheduler over every tenant with automatic retirement. */
  retireByRetention(): Promise<{ retired: string[] }> {
    return retireByRetention(this.ctx);
  }

  sweep(tenant: string, state: TenantKeyHierarchy): Promise<number> {
    return sweep(this.ctx, tenant, state);
  }
}

export type { KeyPage, KeyPageAsOf, KeyUsage, RekeyResult, WrappingKeyResult };
