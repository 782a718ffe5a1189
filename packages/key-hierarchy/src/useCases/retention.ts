import { asProvisioned, decide, type RetentionPolicy } from '@keyledger/domain';
import type { HierarchyContext } from '../context';
import { ensureProvisioned } from './provision';
import { retireKey } from './retireKey';

export async function getRetention(ctx: HierarchyContext, tenant: string): Promise<RetentionPolicy> {
  return (await ensureProvisioned(ctx, tenant)).state.retention;
}

/** Sets the tenant's automatic retirement (an ISO 8601 duration the caller validated), or turns it off (null). */
export async function setRetention(ctx: HierarchyContext, tenant: string, autoRetireAfter: string | null): Promise<RetentionPolicy> {
  await ensureProvisioned(ctx, tenant);
  const outcome = await ctx.execute(tenant, async ({ state }) => {
    const events = decide({ type: 'ChangeRetentionPolicy', data: { autoRetireAfter, now: ctx.now() } }, state);
    // The pass's list of tenants, before the commit: an entry whose commit lost is dropped by the next pass.
    if (events.length > 0) await ctx.catalog.registerRetention(tenant, autoRetireAfter !== null);
    return { events, result: null };
  });
  return asProvisioned(outcome.state).retention;
}

/**
 * The retention scheduler's pass: for every tenant with automatic retirement, retires each
 * deactivated namespace key that no stored secret depends on and that has been quiet (no
 * decrypt since it was deactivated) for the tenant's period, or the deployment's quiet period
 * if that is longer. Each retirement is a commit and an event like a manual one (cause
 * `retention`). Registry entries whose tenant has no such setting (a commit that lost) go.
 */
export async function retireByRetention(ctx: HierarchyContext): Promise<{ retired: string[] }> {
  const retired: string[] = [];
  for (const tenant of await ctx.catalog.retentionTenants()) {
    const { state } = await ctx.load(tenant);
    if (state.status !== 'provisioned' || state.retention.autoRetireAfter === null) {
      await ctx.catalog.registerRetention(tenant, false);
      continue;
    }
    for (const key of state.keys) {
      if (key.type !== 'tenant-encryption-key' || key.state !== 'deactivated') continue;
      try {
        // The period (the tenant's, or the quiet period if longer) is checked in the retirement's commit.
        await retireKey(ctx, tenant, key.kid, 'retention');
        retired.push(key.kid);
      } catch (error) {
        if ((error as { code?: string }).code !== 'key_in_use') ctx.logger.warn('automatic retirement failed', { tenant, kid: key.kid, error: String(error) });
      }
    }
  }
  return { retired };
}
