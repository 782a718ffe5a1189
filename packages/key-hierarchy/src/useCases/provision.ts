import { generateAes256Key, zeroize } from '@keyledger/crypto';
import { asProvisioned, assertNotShredded, type KeyHierarchyEvent, type ProvisionedTenant, type TenantKeyHierarchy } from '@keyledger/domain';
import type { Decision, Loaded } from '@keyledger/event-store';
import type { HierarchyContext } from '../context';
import { createNamespaceKeys, decision, stageTenantMasterKey, unwrapTenantMasterKey, withStaging } from '../material/wrapping';
import { sweepAt } from '../sweep';
import { backfillCatalog } from './backfillCatalog';

/**
 * A tenant's hierarchy for an admin call: provisioned on its first call (concurrent first calls
 * race on the stream's first commit; the others reload and find it provisioned), with keys added
 * for namespaces configured since, older destroyed keys moved to the catalog once, and leftovers
 * of a crash swept on the first call at each version.
 */
export async function ensureProvisioned(ctx: HierarchyContext, tenant: string): Promise<Loaded<ProvisionedTenant>> {
  let loaded: Loaded<TenantKeyHierarchy> = await ctx.load(tenant);
  assertNotShredded(loaded.state);
  if (loaded.state.status !== 'provisioned' || missingNamespaces(ctx, loaded.state).length > 0) return provision(ctx, tenant);
  if (!loaded.state.catalogComplete) loaded = await backfillCatalog(ctx, tenant);
  if (ctx.sweptAt.get(tenant) !== loaded.version) await sweepAt(ctx, tenant, loaded.state, loaded.version);
  return { state: asProvisioned(loaded.state), version: loaded.version };
}

/**
 * The tenant's current hierarchy for the data plane: a plain read (snapshot and tail),
 * provisioning only when the tenant or one of the configured namespaces has no key yet.
 */
export async function openTenant(ctx: HierarchyContext, tenant: string): Promise<Loaded<ProvisionedTenant>> {
  const loaded = await ctx.load(tenant);
  assertNotShredded(loaded.state);
  if (loaded.state.status === 'provisioned' && missingNamespaces(ctx, loaded.state).length === 0) {
    return { state: loaded.state, version: loaded.version };
  }
  return provision(ctx, tenant);
}

/** Adds what is missing (the whole hierarchy, or keys of new namespaces) in one commit. */
async function provision(ctx: HierarchyContext, tenant: string): Promise<Loaded<ProvisionedTenant>> {
  const outcome = await ctx.execute(tenant, (current) => decideProvisioning(ctx, tenant, current));
  if (outcome.commit) ctx.logger.info('tenant key hierarchy provisioned', { tenant, version: outcome.version });
  return { state: asProvisioned(outcome.state), version: outcome.version };
}

function missingNamespaces(ctx: HierarchyContext, state: ProvisionedTenant): string[] {
  return ctx.namespaces.filter((namespace) => !state.activeNamespaceKeys[namespace]);
}

async function decideProvisioning(
  ctx: HierarchyContext,
  tenant: string,
  { state, version }: Loaded<TenantKeyHierarchy>,
): Promise<Decision<KeyHierarchyEvent, null>> {
  if (state.status === 'provisioned') {
    const missing = missingNamespaces(ctx, state);
    if (missing.length === 0) return { events: [], result: null };
    return withStaging(ctx, async (staging) => {
      const tmk = await unwrapTenantMasterKey(ctx, tenant, state, version);
      try {
        const namespaceKeys = await createNamespaceKeys(ctx, staging, tenant, missing, tmk, state.activeTmkKid);
        return decision(staging, { type: 'AddNamespaceKeys', data: { namespaceKeys, now: ctx.now() } }, state, null);
      } finally {
        zeroize(tmk);
      }
    });
  }
  return withStaging(ctx, async (staging) => {
    const rootKey = await ctx.rootKeyStore.describeRootKey();
    const tmkKid = ctx.newKid();
    const tmk = generateAes256Key();
    try {
      const fingerprint = await stageTenantMasterKey(ctx, staging, tenant, tmkKid, tmk, rootKey.kid);
      const namespaceKeys = await createNamespaceKeys(ctx, staging, tenant, ctx.namespaces, tmk, tmkKid);
      const command = { type: 'ProvisionTenant', data: { tenant, rootKey, tmk: { kid: tmkKid, fingerprint }, namespaceKeys, now: ctx.now() } } as const;
      return decision(staging, command, state, null);
    } finally {
      zeroize(tmk);
    }
  });
}
