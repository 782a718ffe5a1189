import { findKey, NotFoundError } from '@keyledger/domain';
import type { HierarchyContext } from '../context';
import { deleteCustomerKey } from './deleteCustomerKey';
import { ensureProvisioned } from './provision';
import { retireKey } from './retireKey';

/**
 * `DELETE /api/v2/keys/encryption/{kid}`, by key (the README's API table; no destruction policy yet): a
 * key already destroyed changes nothing; a CPRK is deleted (the TMK back under the ERK); a
 * deactivated namespace key is retired if nothing depends on it; any other key is refused.
 */
export async function deleteKey(ctx: HierarchyContext, tenant: string, kid: string): Promise<'destroyed' | 'already-destroyed'> {
  const { state } = await ensureProvisioned(ctx, tenant);
  const key = findKey(state, kid);
  if (!key) {
    if ((await ctx.catalog.get(tenant, kid))?.state === 'destroyed') return 'already-destroyed';
    throw new NotFoundError(`The key ${kid} does not exist.`);
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
