import { findKey, NotFoundError, type KeyRecord, type KeyState } from '@keyledger/domain';
import type { HierarchyContext } from './context';
import { ensureProvisioned } from './useCases/provision';

export interface KeyPage {
  keys: KeyRecord[];
  /** Every key the tenant ever had, destroyed ones included. */
  total: number;
}

/**
 * One page of the tenant's keys, newest first (Auth0 pagination): live keys from the decision
 * state, destroyed ones from one range read of the catalog. A key's place is its `seq`, so page
 * `p` of `n` is seqs `total-1-p·n` down to `total-p·n-n`, whatever the history's length.
 */
export async function listKeys(ctx: HierarchyContext, tenant: string, { page, perPage }: { page: number; perPage: number }): Promise<KeyPage> {
  const { state } = await ensureProvisioned(ctx, tenant);
  const total = state.keyCount;
  const start = page * perPage;
  if (start >= total) return { keys: [], total };
  const toSeq = total - 1 - start;
  const fromSeq = Math.max(0, toSeq - perPage + 1);
  const bySeq = new Map<number, KeyRecord>();
  for (const key of state.keys) if (key.seq >= fromSeq && key.seq <= toSeq) bySeq.set(key.seq, key);
  if (bySeq.size < toSeq - fromSeq + 1) {
    // Live keys win: a catalog entry of a live key was written ahead of a commit that lost.
    for (const record of await ctx.catalog.range(tenant, fromSeq, toSeq)) if (!bySeq.has(record.seq)) bySeq.set(record.seq, record);
  }
  return { keys: [...bySeq.values()].sort((a, b) => b.seq - a.seq), total };
}

/** One key, live or destroyed. */
export async function getKey(ctx: HierarchyContext, tenant: string, kid: string): Promise<KeyRecord> {
  const { state } = await ensureProvisioned(ctx, tenant);
  const key = findKey(state, kid) ?? (await ctx.catalog.get(tenant, kid));
  if (!key) throw new NotFoundError(`The key ${kid} does not exist.`);
  return key;
}

export interface KeyUsage {
  kid: string;
  state: KeyState;
  /** Live stored secret versions whose data key this key wraps. */
  secretVersions: number;
  lastDecryptAt: string | null;
  /** Decrypts (rewraps included) since the key was deactivated. */
  decrypts: number;
}

/**
 * What depends on a key. Namespace keys wrap data keys, so their counts are what a retirement
 * checks; other keys wrap keys, not data, and show zeros.
 */
export async function keyUsage(ctx: HierarchyContext, tenant: string, kid: string): Promise<KeyUsage> {
  const key = await getKey(ctx, tenant, kid);
  if (key.type !== 'tenant-encryption-key') return { kid, state: key.state, secretVersions: 0, lastDecryptAt: null, decrypts: 0 };
  return { kid, state: key.state, ...(await dependentsOf(ctx, tenant, kid)) };
}

/** The stored secret versions under a namespace key and its decrypts, as the data plane's stores report them. */
export async function dependentsOf(ctx: HierarchyContext, tenant: string, kid: string): Promise<Omit<KeyUsage, 'kid' | 'state'>> {
  const [secretVersions, decrypts] = await Promise.all([ctx.dependents.secretVersions(tenant, kid), ctx.dependents.decrypts(tenant, kid)]);
  return { secretVersions, ...decrypts };
}
