import { generateAes256Key, zeroize } from '@keyledger/crypto';
import { asProvisioned, liveNamespaceKeys, type KeyHierarchyEvent, type TenantKeyHierarchy } from '@keyledger/domain';
import type { Decision, Loaded } from '@keyledger/event-store';
import type { WrappedKeyMaterial } from '@keyledger/key-material';
import type { HierarchyContext } from '../context';
import {
  createNamespaceKeys,
  decision,
  missingMaterial,
  stageTenantMasterKey,
  unwrapNamespaceKey,
  unwrapTenantMasterKey,
  withStaging,
  wrapNamespaceKey,
} from '../material/wrapping';
import { ensureProvisioned } from './provision';

export interface RekeyResult {
  previousTmkKid: string;
  tmkKid: string;
  /** namespace → its new active key. */
  namespaceKeys: Record<string, string>;
  /** namespace → the key that was active before and is now deactivated. */
  deactivated: Record<string, string>;
}

/**
 * Rekey: a new TMK under the tenant's root key, a new key per namespace, every live namespace key
 * re-wrapped under the new TMK (staged in batches before the commit), the previous TMK destroyed.
 * The cost is one root key store wrap and unwrap plus O(live namespace keys), never O(data) and
 * never O(destroyed keys). After the commit the superseded material is deleted (HierarchyContext.execute).
 */
export async function rekey(ctx: HierarchyContext, tenant: string): Promise<RekeyResult> {
  await ensureProvisioned(ctx, tenant);
  const outcome = await ctx.execute(tenant, (loaded) => decideRekey(ctx, tenant, loaded));
  const { result } = outcome;
  ctx.logger.info('tenant rekeyed', { tenant, previousTmkKid: result.previousTmkKid, tmkKid: result.tmkKid });
  // Everything the old TMK wrapped is gone with it: nothing is left for a sweep at this version.
  if (outcome.materialDeleted) ctx.sweptAt.set(tenant, outcome.version);
  return result;
}

async function decideRekey(ctx: HierarchyContext, tenant: string, { state, version }: Loaded<TenantKeyHierarchy>): Promise<Decision<KeyHierarchyEvent, RekeyResult>> {
  const current = asProvisioned(state);
  return withStaging(ctx, async (staging) => {
    const previousTmkKid = current.activeTmkKid;
    const previousTmk = await unwrapTenantMasterKey(ctx, tenant, current, version);
    const tmkKid = ctx.newKid();
    const tmk = generateAes256Key();
    try {
      const fingerprint = await stageTenantMasterKey(ctx, staging, tenant, tmkKid, tmk, current.rootKid);
      const namespaceKeys = await createNamespaceKeys(ctx, staging, tenant, Object.keys(current.activeNamespaceKeys), tmk, tmkKid);
      // Re-wrap every live namespace key, old and new, under the new TMK. No data moves.
      const entries = new Map((await ctx.keyMaterial.list(tenant)).map((entry) => [`${entry.kid}#${entry.parentKid}`, entry]));
      const rewrapped: WrappedKeyMaterial[] = [];
      for (const key of liveNamespaceKeys(current)) {
        const entry = entries.get(`${key.kid}#${key.parentKid}`);
        if (!entry) throw await missingMaterial(ctx, { tenant, kid: key.kid, parentKid: key.parentKid ?? '' }, version);
        const plaintext = await unwrapNamespaceKey(ctx, tenant, key, previousTmk, version, entry);
        try {
          rewrapped.push(wrapNamespaceKey(ctx, tenant, { kid: key.kid, namespace: key.namespace ?? '' }, plaintext, tmk, tmkKid));
        } finally {
          zeroize(plaintext);
        }
      }
      await staging.putMany(rewrapped);
      const command = { type: 'Rekey', data: { tmk: { kid: tmkKid, fingerprint }, namespaceKeys, now: ctx.now() } } as const;
      return decision(staging, command, current, {
        previousTmkKid,
        tmkKid,
        namespaceKeys: Object.fromEntries(namespaceKeys.map((key) => [key.namespace, key.kid])),
        deactivated: { ...current.activeNamespaceKeys },
      });
    } finally {
      zeroize(tmk, previousTmk);
    }
  });
}
