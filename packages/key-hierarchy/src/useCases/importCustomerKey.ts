import { createHash } from 'node:crypto';
import { zeroize } from '@keyledger/crypto';
import { asProvisioned, ConcurrencyError, customerKeyOf, IllegalKeyStateError, importableWrappingKey, isRepeatedImport, type KeyRecord } from '@keyledger/domain';
import { KeyMaterialExistsError } from '@keyledger/key-material';
import type { HierarchyContext } from '../context';
import { decision, stageTenantMasterKey, unwrapTenantMasterKey, withStaging } from '../material/wrapping';
import { ensureProvisioned } from './provision';

/**
 * BYOK step 3: the root key store unwraps the material (it is never in the clear outside it),
 * the active TMK is re-wrapped under it, and one commit activates the CPRK and moves the TMK.
 * Bad material changes nothing: the store keeps nothing, and no event is written. A retry of an
 * import that succeeded (the same wrapped key, e.g. after a lost response) answers the key as it is.
 */
export async function importCustomerKey(ctx: HierarchyContext, tenant: string, kid: string, wrappedKey: Uint8Array): Promise<KeyRecord> {
  const { state: before } = await ensureProvisioned(ctx, tenant);
  const wrappedKeyDigest = createHash('sha256').update(wrappedKey).digest('hex');
  if (isRepeatedImport(before, kid, wrappedKeyDigest)) return customerKeyOf(before, kid).key;
  const store = ctx.rootKeyStore;
  let importedWith: string | undefined;
  let repeated = false;
  let outcome;
  try {
    outcome = await ctx.execute(tenant, async ({ state, version }) => {
      const now = ctx.now();
      // A concurrent retry of this very import committed first: its material is this material, and
      // must not be reverted (that would destroy the active key's material in the store).
      if (isRepeatedImport(state, kid, wrappedKeyDigest)) {
        repeated = true;
        return { events: [], result: null };
      }
      const wrappingKey = importableWrappingKey(state, kid, now);
      const current = asProvisioned(state);
      if (importedWith === undefined) {
        await store.importKeyMaterial({ tenant, kid, wrappingKey, wrappedKey });
        importedWith = wrappingKey.wrappingKeyId;
      } else if (importedWith !== wrappingKey.wrappingKeyId) {
        throw new IllegalKeyStateError(`A new wrapping key was issued for ${kid} during the import; wrap the key material with it.`);
      }
      return withStaging(ctx, async (staging) => {
        const tmk = await unwrapTenantMasterKey(ctx, tenant, current, version);
        try {
          await stageTenantMasterKey(ctx, staging, tenant, current.activeTmkKid, tmk, kid);
        } finally {
          zeroize(tmk);
        }
        return decision(staging, { type: 'ImportCustomerRootKey', data: { kid, wrappingKeyId: wrappingKey.wrappingKeyId, now, wrappedKeyDigest } }, current, null);
      });
    });
  } catch (error) {
    // Another import of this key staged the same entry and may be committing right now: reverting
    // would take the material from under it. Ask for a retry (which finds the import done, or not).
    if (error instanceof KeyMaterialExistsError) {
      throw new ConcurrencyError(`Another import of ${kid} is in progress; send the request again.`, { cause: error });
    }
    if (importedWith !== undefined && !repeated) {
      await store.revertImport({ tenant, kid }).catch((cleanupError: unknown) =>
        ctx.logger.warn('imported key material not reverted', { tenant, kid, error: String(cleanupError) }),
      );
    }
    throw error;
  }
  if (repeated) return customerKeyOf(outcome.state, kid).key;
  ctx.logger.info('customer-provided root key imported', { tenant, kid, tmkKid: asProvisioned(outcome.state).activeTmkKid });
  await ctx.afterCommit('discarding the used wrapping key', { tenant, kid }, () => store.discardWrappingKeys({ tenant, kid }));
  return customerKeyOf(outcome.state, kid).key;
}
