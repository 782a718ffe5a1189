import { decide, initialState, keysDestroyedBy, tenantStreamId, type TenantKeyHierarchy } from '@keyledger/domain';
import type { Loaded } from '@keyledger/event-store';
import type { HierarchyContext } from '../context';

/**
 * Once per hierarchy that began before the key catalog: replays its whole stream to find the
 * keys it destroyed, writes them to the catalog, and records that it did. Idempotent (the
 * catalog entries are rewritten the same) and safe under concurrency (the marker is one commit).
 */
export async function backfillCatalog(ctx: HierarchyContext, tenant: string): Promise<Loaded<TenantKeyHierarchy>> {
  const events = await ctx.repository.history(tenantStreamId(tenant));
  const destroyed = keysDestroyedBy(initialState(), events);
  await ctx.catalog.put(tenant, destroyed);
  const outcome = await ctx.execute(tenant, async (loaded) => ({
    events: decide({ type: 'RecordKeyCatalogBackfill', data: { keys: destroyed.length, now: ctx.now() } }, loaded.state),
    result: null,
  }));
  ctx.logger.info('destroyed keys of an older hierarchy written to the key catalog', { tenant, keys: destroyed.length });
  return { state: outcome.state, version: outcome.version };
}
