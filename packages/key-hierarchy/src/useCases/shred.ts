import { actsAtOnce, DestructionRequestNotFoundError, hasErrorCode, keysToShred, type DestructionActor, type DestructionRequest } from '@keyledger/domain';
import type { HierarchyContext } from '../context';
import { execute, getDestructionRequest, requestDestruction } from './destruction';
import { ensureProvisioned } from './provision';

/** How long DELETE /v1/tenant waits for the receipt after the commit before it answers anyway (the purge of a large tenant goes on). */
const RECEIPT_WAIT_MS = 5_000;

/**
 * `DELETE /v1/tenant`: crypto-shredding. A `shred_tenant` request names every key of the tenant
 * but the shared environment root key; while it is live those keys are unusable, and when it
 * executes they are destroyed in one commit that tombstones the tenant (410 tenant_shredded from
 * then on). Its material, CPRKs and secrets are deleted after, then the receipt is signed. With
 * no destruction policy it executes at once, in this call; else it waits like any request.
 */
export async function shredTenant(ctx: HierarchyContext, tenant: string, caller: DestructionActor): Promise<DestructionRequest> {
  await ensureProvisioned(ctx, tenant);
  const request = await requestDestruction(ctx, tenant, 'shred_tenant', (state) => keysToShred(state).map((key) => key.kid), caller);
  if (!actsAtOnce(ctx.destructionPolicy) || request.state !== 'approved') return request;
  try {
    await execute(ctx, tenant, request, { waitForReceiptMs: RECEIPT_WAIT_MS });
  } catch (error) {
    // A concurrent DELETE (or the scheduler) executed it first: answer the executed request.
    if (!(error instanceof DestructionRequestNotFoundError) && !hasErrorCode(error, 'tenant_shredded')) throw error;
  }
  return getDestructionRequest(ctx, tenant, request.id);
}
