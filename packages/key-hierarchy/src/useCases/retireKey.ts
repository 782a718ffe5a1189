import { asProvisioned, decide, findKey, KeyInUseError, type KeyRecord, type RetireKey, type TenantKeyHierarchy } from '@keyledger/domain';
import { durationMs, formatDuration } from '@keyledger/settings';
import type { HierarchyContext } from '../context';
import { dependentsOf } from '../queries';

export type RetireCause = RetireKey['data']['cause'];

/**
 * Retires a deactivated namespace key (docs/data-plane.md, "Retirement"): refused with 409 key_in_use
 * while stored secrets depend on it or a decrypt used it within the quiet period (for the
 * retention scheduler, the tenant's period, also since its deactivation), else destroyed in one
 * commit. What depends on the key is checked against the state that commits (again, if the
 * commit is retried). After it, its material is deleted and caches are told before the call returns.
 */
export async function retireKey(ctx: HierarchyContext, tenant: string, kid: string, cause: RetireCause): Promise<void> {
  await ctx.execute(tenant, async ({ state }) => {
    const events = decide({ type: 'RetireKey', data: { kid, cause, now: ctx.now() } }, state);
    await assertNotInUse(ctx, state, findKey(state, kid)!, cause);
    return { events, result: null };
  });
  ctx.logger.info('namespace key retired', { tenant, kid, cause });
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
export async function assertNotInUse(ctx: HierarchyContext, state: TenantKeyHierarchy, key: KeyRecord, cause: RetireCause): Promise<void> {
  const { tenant, retention } = asProvisioned(state);
  const sinceDeactivation = cause === 'retention';
  let quietPeriodMs = ctx.retireQuietPeriodMs;
  if (sinceDeactivation) {
    const periodMs = retention.autoRetireAfter === null ? undefined : durationMs(retention.autoRetireAfter);
    if (periodMs === undefined) throw new KeyInUseError(`Automatic retirement is off for this tenant; key ${key.kid} stays.`);
    quietPeriodMs = Math.max(periodMs, quietPeriodMs);
  }
  const namespace = key.namespace ?? '';
  const [{ secretVersions, lastDecryptAt }, indexed] = await Promise.all([
    dependentsOf(ctx, tenant, key.kid),
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
  const deactivatedAt = Date.parse(key.deactivatedAt!);
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
