import { assertNotShredded, findKey, initialState, keysDestroyedBy, NotFoundError, tenantStreamId, type KeyRecord, type KeyState, type ProvisionedTenant } from '@keyledger/domain';
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
export async function listKeys(ctx: HierarchyContext, tenant: string, page: { page: number; perPage: number }): Promise<KeyPage> {
  const { state } = await ensureProvisioned(ctx, tenant);
  return pageOfKeys(ctx, tenant, state, page);
}

/** What a listing of the hierarchy as it was at an instant took to read (tests and logs). */
export interface KeyPageAsOf extends KeyPage {
  /** The stream version the hierarchy was at then (0: not provisioned yet). */
  version: number;
  /** Commits read after the history snapshot it started from. */
  commitsRead: number;
}

/**
 * The listing as it was at `at`: the same paging run on the decision state as of `at` (its key
 * count, its live keys) and the catalog, whose records of keys not live then are those destroyed
 * before. Read-only: it provisions nothing, and a tenant without keys then has an empty listing.
 * The state comes from the newest history snapshot at or before `at` and the commits after it,
 * so the cost does not grow with the stream (see EventSourcedRepository.loadAt for the exceptions).
 */
export async function listKeysAsOf(ctx: HierarchyContext, tenant: string, at: Date, page: { page: number; perPage: number }): Promise<KeyPageAsOf> {
  const { state, version, commitsRead } = await ctx.repository.loadAt(tenantStreamId(tenant), at);
  // A shredded tenant's past is not listed either: nothing of it is served but its destruction requests and receipts.
  assertNotShredded(state);
  if (await ctx.catalog.isShredded(tenant)) assertNotShredded((await ctx.load(tenant)).state);
  if (state.status !== 'provisioned') return { keys: [], total: 0, version, commitsRead };
  const destroyed = state.catalogComplete ? undefined : await destroyedKeysOfOlderHierarchy(ctx, tenant);
  return { ...(await pageOfKeys(ctx, tenant, state, page, destroyed)), version, commitsRead };
}

/**
 * A hierarchy that began before the key catalog has its older destroyed keys written there by
 * its next admin call (the backfill). Until then, this read-only query finds them in the whole
 * stream instead (one read of it, for such hierarchies only); keys destroyed after the instant
 * asked for are live in its state, and keys made later are past its key count, so all of them do.
 */
async function destroyedKeysOfOlderHierarchy(ctx: HierarchyContext, tenant: string): Promise<KeyRecord[] | undefined> {
  const { state } = await ctx.load(tenant);
  if (state.status === 'provisioned' && state.catalogComplete) return undefined;
  return keysDestroyedBy(initialState(), await ctx.repository.history(tenantStreamId(tenant)));
}

/**
 * A page of `state`'s listing: its live keys, and for the other seqs of the page the catalog's
 * records (or `destroyed`, every destroyed key of the tenant, where the catalog is not complete).
 */
async function pageOfKeys(
  ctx: HierarchyContext,
  tenant: string,
  state: ProvisionedTenant,
  { page, perPage }: { page: number; perPage: number },
  destroyed?: readonly KeyRecord[],
): Promise<KeyPage> {
  const total = state.keyCount;
  const start = page * perPage;
  if (start >= total) return { keys: [], total };
  const toSeq = total - 1 - start;
  const fromSeq = Math.max(0, toSeq - perPage + 1);
  const bySeq = new Map<number, KeyRecord>();
  const inPage = (key: KeyRecord) => key.seq >= fromSeq && key.seq <= toSeq;
  for (const key of state.keys) if (inPage(key)) bySeq.set(key.seq, key);
  if (bySeq.size < toSeq - fromSeq + 1) {
    // Live keys win: a catalog entry of a live key was written ahead of a commit that lost.
    const records = destroyed ? destroyed.filter(inPage) : await ctx.catalog.range(tenant, fromSeq, toSeq);
    for (const record of records) if (!bySeq.has(record.seq)) bySeq.set(record.seq, record);
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
