import { actsAtOnce, findKey, NotFoundError, type DestructionActor, type DestructionRequest } from '@keyledger/domain';
import type { HierarchyContext } from '../context';
import { deleteCustomerKey } from './deleteCustomerKey';
import { requestDestruction } from './destruction';
import { ensureProvisioned } from './provision';
import { retireKey } from './retireKey';

/**
 * `DELETE /api/v2/keys/encryption/{kid}`, by key (the README's API table): a
 * key already destroyed changes nothing; a CPRK is deleted (the TMK back under the ERK); a
 * deactivated namespace key is retired if nothing depends on it; any other key is refused.
 */
export type DeleteOutcome = 'destroyed' | 'already-destroyed' | { request: DestructionRequest };

export async function deleteKey(ctx: HierarchyContext, tenant: string, kid: string, caller?: DestructionActor): Promise<DeleteOutcome> {
  const { state } = await ensureProvisioned(ctx, tenant);
  const key = findKey(state, kid);
  if (!key) {
    if ((await ctx.catalog.get(tenant, kid))?.state === 'destroyed') return 'already-destroyed';
    throw new NotFoundError(`The key ${kid} does not exist.`);
  }
  // Under a destruction policy an active CPRK and a deactivated namespace key wait in a request
  // (DESIGN.md's DELETE table); every other key is answered as without one.
  if (caller && !actsAtOnce(ctx.destructionPolicy)) {
    if (key.type === 'customer-provided-root-key' && key.state === 'active') return { request: await requestDestruction(ctx, tenant, 'delete_cprk', [kid], caller) };
    if (key.type === 'tenant-encryption-key' && key.state === 'deactivated') return { request: await requestDestruction(ctx, tenant, 'retire_key', [kid], caller) };
  }
  try {
    // A CPRK is deleted; any other key is retired, which refuses all but a deactivated namespace key.
    if (key.type === 'customer-provided-root-key') await deleteCustomerKey(ctx, tenant, kid);
    else await retireKey(ctx, tenant, kid, 'retire');
  } catch (error) {
    // A concurrent DELETE destroyed it first: the key is destroyed, as this one asked.
    if (error instanceof NotFoundError && (await ctx.catalog.get(tenant, kid))?.state === 'destroyed') return 'already-destroyed';
    throw error;
  }
  return 'destroyed';
}
