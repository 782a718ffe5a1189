import { assertCanCreateCustomerKey, customerKeyOf, decide, type KeyRecord } from '@keyledger/domain';
import type { HierarchyContext } from '../context';
import { ensureProvisioned } from './provision';

/**
 * BYOK step 1: a customer-provided root key in `pre-activation`. The store creates it first
 * (a KMS key with `Origin=EXTERNAL`); if the commit is refused, the store's key is deleted.
 */
export async function createCustomerKey(ctx: HierarchyContext, tenant: string): Promise<KeyRecord> {
  assertCanCreateCustomerKey((await ensureProvisioned(ctx, tenant)).state);
  const { kid } = await ctx.rootKeyStore.createCustomerKey({ tenant });
  try {
    const outcome = await ctx.execute(tenant, async ({ state }) => ({
      events: decide({ type: 'CreateCustomerRootKey', data: { kid, now: ctx.now() } }, state),
      result: null,
    }));
    ctx.logger.info('customer-provided root key created', { tenant, kid });
    return customerKeyOf(outcome.state, kid).key;
  } catch (error) {
    await ctx.rootKeyStore.deleteCustomerKey({ tenant, kid }).catch((cleanupError: unknown) =>
      ctx.logger.warn('root key store kept an uncommitted customer key', { tenant, kid, error: String(cleanupError) }),
    );
    throw error;
  }
}
