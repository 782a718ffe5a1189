import { customerKeysAwaitingDeletion, decide, findKey, type TenantKeyHierarchy } from '@keyledger/domain';
import type { WrappedKeyMaterial } from '@keyledger/key-material';
import type { HierarchyContext } from './context';

/**
 * Deletes material that no live key needs, which a crash between a commit and its follow-up can
 * leave behind: entries of destroyed keys or under a destroyed parent, and (after a grace
 * period, since another process may be about to commit them) entries under a live parent the
 * key no longer has and entries of keys or parents the state does not know; and has the root key store destroy destroyed customer keys
 * it still holds. Destroyed keys are known from the catalog (they are no longer in the state).
 */
export async function sweep(ctx: HierarchyContext, tenant: string, state: TenantKeyHierarchy): Promise<number> {
  for (const kid of customerKeysAwaitingDeletion(state)) await destroyCustomerKeyMaterial(ctx, tenant, kid);
  const entries = await ctx.keyMaterial.list(tenant);
  const now = ctx.clock().getTime();
  const destroyed = new Map<string, Promise<boolean>>();
  const isDestroyed = (kid: string) => {
    let known = destroyed.get(kid);
    if (!known) {
      known = ctx.catalog.get(tenant, kid).then((record) => record?.state === 'destroyed');
      destroyed.set(kid, known);
    }
    return known;
  };
  const obsolete: WrappedKeyMaterial[] = [];
  for (const entry of entries) {
    const key = findKey(state, entry.kid);
    const parent = findKey(state, entry.parentKid);
    if (key && parent) {
      // Under another live parent than the key has: superseded by a re-wrap, or staged by a
      // command of another process that has not committed yet (so only once it is old enough).
      if (key.parentKid !== entry.parentKid && now - Date.parse(entry.createdAt) > ctx.orphanGraceMs) obsolete.push(entry);
      continue;
    }
    if ((!key && (await isDestroyed(entry.kid))) || (!parent && (await isDestroyed(entry.parentKid)))) obsolete.push(entry);
    else if (now - Date.parse(entry.createdAt) > ctx.orphanGraceMs) obsolete.push(entry);
  }
  await ctx.keyMaterial.deleteMany(obsolete);
  if (obsolete.length > 0) ctx.logger.info('superseded key material deleted', { tenant, entries: obsolete.length });
  return obsolete.length;
}

/** The store's part of destroying a CPRK; a failure is left for the next sweep. */
export async function destroyCustomerKeyMaterial(ctx: HierarchyContext, tenant: string, kid: string): Promise<void> {
  try {
    await ctx.rootKeyStore.deleteCustomerKey({ tenant, kid });
    await ctx.execute(
      tenant,
      async ({ state }) => ({ events: decide({ type: 'RecordCustomerKeyMaterialDeleted', data: { kid, now: ctx.now() } }, state), result: null }),
      { afterShred: true },
    );
  } catch (error) {
    ctx.logger.warn('destroyed customer key still held by the root key store; the next sweep retries', { tenant, kid, error: String(error) });
  }
}

/** Sweeps and remembers the version, so the next call at that version does not sweep again. */
export async function sweepAt(ctx: HierarchyContext, tenant: string, state: TenantKeyHierarchy, version: number): Promise<void> {
  if (await ctx.afterCommit('sweep', { tenant, version }, () => sweep(ctx, tenant, state), () => ctx.sweepLatest(tenant))) ctx.sweptAt.set(tenant, version);
}
