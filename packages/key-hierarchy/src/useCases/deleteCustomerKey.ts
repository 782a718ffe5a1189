import { zeroize } from '@keyledger/crypto';
import { asProvisioned, customerKeyOf, decide, environmentRootKid, type KeyHierarchyCommand, type KeyHierarchyEvent } from '@keyledger/domain';
import type { HierarchyContext } from '../context';
import { decision, stageTenantMasterKey, unwrapTenantMasterKey, withStaging } from '../material/wrapping';
import { destroyCustomerKeyMaterial } from '../sweep';

/**
 * Deletes a live CPRK: an active one first hands the TMK back to the ERK (same commit as its
 * destruction); then the root key store destroys its material. If that last step fails, the
 * key is still destroyed in the hierarchy and the sweep deletes the material later. `asCommand`
 * lets an executed destruction request be the command (its end in the same commit), and
 * `beforeCommit` runs with the events about to commit.
 */
export async function deleteCustomerKey(
  ctx: HierarchyContext,
  tenant: string,
  kid: string,
  options: { asCommand?: (now: string) => KeyHierarchyCommand; beforeCommit?: (events: KeyHierarchyEvent[], version: number) => Promise<void> } = {},
): Promise<void> {
  const outcome = await ctx.execute(tenant, async ({ state, version }) => {
    const current = asProvisioned(state);
    customerKeyOf(current, kid);
    const now = ctx.now();
    const command: KeyHierarchyCommand = options.asCommand?.(now) ?? { type: 'DeleteCustomerRootKey', data: { kid, now } };
    await options.beforeCommit?.(decide(command, current), version);
    if (current.rootKid !== kid) return { events: decide(command, current), result: null };
    return withStaging(ctx, async (staging) => {
      const tmk = await unwrapTenantMasterKey(ctx, tenant, current, version);
      try {
        await stageTenantMasterKey(ctx, staging, tenant, current.activeTmkKid, tmk, environmentRootKid(current));
      } finally {
        zeroize(tmk);
      }
      return decision(staging, command, current, null);
    });
  });
  ctx.logger.info('customer-provided root key destroyed', { tenant, kid, rootKid: asProvisioned(outcome.state).rootKid });
  await destroyCustomerKeyMaterial(ctx, tenant, kid);
}
