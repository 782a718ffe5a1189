import { zeroize } from '@keyledger/crypto';
import { findKey, IntegrityError, type ProvisionedTenant } from '@keyledger/domain';
import type { Loaded } from '@keyledger/event-store';
import type { HierarchyContext } from './context';
import { unwrapNamespaceKey, unwrapTenantMasterKey } from './material/wrapping';

/**
 * Unwraps namespace keys of a loaded hierarchy for the data plane: one root key store call for
 * the TMK, then AES-GCM under it for each key. The caller owns (and zeroes) the returned keys.
 */
export async function unwrapNamespaceKeys(
  ctx: HierarchyContext,
  tenant: string,
  loaded: Loaded<ProvisionedTenant>,
  kids: readonly string[],
): Promise<Map<string, Buffer>> {
  const { state, version } = loaded;
  const keys = new Map<string, Buffer>();
  const tmk = await unwrapTenantMasterKey(ctx, tenant, state, version);
  try {
    for (const kid of kids) {
      const record = findKey(state, kid);
      if (record?.type !== 'tenant-encryption-key') throw new IntegrityError(`${kid} is not a live namespace key of this tenant.`);
      if (record.parentKid !== state.activeTmkKid) throw new IntegrityError(`Namespace key ${kid} is not wrapped by the active tenant master key.`);
      keys.set(kid, await unwrapNamespaceKey(ctx, tenant, record, tmk, version));
    }
  } catch (error) {
    zeroize(...keys.values());
    throw error;
  } finally {
    zeroize(tmk);
  }
  return keys;
}
