import { asProvisioned, decide, findKey, KeyInUseError, assertRetirable, NotFoundError, type KeyRecord, type TenantKeyHierarchy } from '@keyledger/domain';
import { formatDuration } from '@keyledger/settings';
import type { HierarchyContext } from '../context';
import { supersededMaterial } from '../material/wrapping';

export type RetireCause = 'retire' | 'retention';

/**
 * Retires a deactivated namespace key (docs/data-plane.md, "Retirement"): refused with 409 key_in_use
 * while stored secrets depend on it or a decrypt used it within the quiet period (for the
 * retention scheduler, also within the period since its deactivation), else destroyed
 * in one commit; after it, its material is deleted and caches are told before the call returns.
 */
export async function retireKey(ctx: HierarchyContext, tenant: string, kid: string, cause: RetireCause, quietPeriodMs = ctx.retireQuietPeriodMs): Promise<void> {
  const loaded = await ctx.load(tenant);
  const key = findKey(loaded.state, kid);
  if (!key) throw new NotFoundError(`The key ${kid} does not exist.`);
  assertRetirable(key);
  await assertNotInUse(ctx, loaded.state, key, quietPeriodMs, { sinceDeactivation: cause === 'retention' });
  let before: TenantKeyHierarchy | undefined;
  const outcome = await ctx.execute(tenant, async ({ state }) => {
    before = state;
    return { events: decide({ type: 'RetireKey', data: { kid, cause, now: ctx.now() } }, state), result: null };
  });
  ctx.logger.info('namespace key retired', { tenant, kid, cause });
  const superseded = supersededMaterial(tenant, before!, outcome.state);
  await ctx.afterCommit('deleting the retired key\'s material', { tenant, kid }, () => ctx.keyMaterial.deleteMany(superseded));
  ctx.notify({ tenant, destroyed: [kid] });
}

/**
 * What keeps a deactivated key from being destroyed: stored secret versions under it, or a
 * decrypt (rewraps included) within the quiet period; for a tenant older than the index of
 * secrets by key, also a namespace whose secrets were never scanned (their count would not be
 * known); and, in AWS, a deactivation so recent that other processes may not have seen it. A
 * manual retirement otherwise acts at once on a key nothing used (as in Auth0: with no
 * destruction policy, DELETE acts at once); the automatic one (`sinceDeactivation`) also waits
 * for the period to pass since the key was deactivated.
 */
export async function assertNotInUse(
  ctx: HierarchyContext,
  state: TenantKeyHierarchy,
  key: KeyRecord,
  quietPeriodMs: number,
  { sinceDeactivation = false }: { sinceDeactivation?: boolean } = {},
): Promise<void> {
  const tenant = asProvisioned(state).tenant;
  const namespace = key.namespace ?? '';
  const [secretVersions, { lastDecryptAt }, indexed] = await Promise.all([
    ctx.dependents.secretVersions(tenant, key.kid),
    ctx.dependents.decrypts(tenant, key.kid),
    asProvisioned(state).storageVersion >= 1 ? true : ctx.dependents.secretsIndexed(tenant, namespace),
  ]);
  const lastUse = `last decrypt: ${lastDecryptAt ?? 'none recorded'}`;
  if (!indexed) {
    throw new KeyInUseError(
      `Key ${key.kid} may still protect stored secrets written before keyledger counted them by key: ` +
        `run POST /v1/secrets/reencrypt?namespace=${namespace} once (it moves and counts them), then retry.`,
    );
  }
  if (secretVersions > 0) {
    throw new KeyInUseError(
      `Key ${key.kid} still protects ${secretVersions} stored secret version${secretVersions === 1 ? '' : 's'} (${lastUse}). ` +
        `Re-encrypt them first (POST /v1/secrets/reencrypt?namespace=${key.namespace}, or let the job of the last rekey finish), then retry.`,
    );
  }
  const deactivatedAt = Date.parse(key.deactivatedAt ?? key.updatedAt);
  if (ctx.clock().getTime() < deactivatedAt + ctx.deactivationGraceMs) {
    throw new KeyInUseError(
      `Key ${key.kid} was deactivated at ${key.deactivatedAt}; data planes that have not seen the rekey yet may still encrypt under it. ` +
        `It can be retired from ${new Date(deactivatedAt + ctx.deactivationGraceMs).toISOString()}.`,
    );
  }
  if (quietPeriodMs <= 0) return;
  const lastDecrypt = lastDecryptAt ? Date.parse(lastDecryptAt) : Number.NEGATIVE_INFINITY;
  const quietSince = sinceDeactivation ? Math.max(deactivatedAt, lastDecrypt) : lastDecrypt;
  const retirableFrom = quietSince + quietPeriodMs;
  if (ctx.clock().getTime() < retirableFrom) {
    const since = lastDecryptAt && lastDecrypt >= quietSince ? `was last used for a decrypt at ${lastDecryptAt}` : `was deactivated at ${key.deactivatedAt} (${lastUse})`;
    throw new KeyInUseError(
      `Key ${key.kid} ${since}, within the retire quiet period (${formatDuration(quietPeriodMs)}, KEYLEDGER_RETIRE_QUIET_PERIOD); ` +
        `it can be retired from ${new Date(retirableFrom).toISOString()} if nothing decrypts with it until then.`,
    );
  }
}
