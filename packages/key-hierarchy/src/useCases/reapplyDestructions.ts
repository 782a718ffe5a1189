import { decide, findKey, liveDestructionRequests, type TenantKeyHierarchy } from '@keyledger/domain';
import type { HierarchyContext } from '../context';
import type { DestructionLedgerEntry } from '../ledger/destructionLedger';
import { deleteCustomerKey } from './deleteCustomerKey';
import { cancelDestructionRequest } from './destruction';
import { rekey } from './rekey';
import { shredTenant } from './shred';

/** Who a re-applied shred names as its requester and approver. */
export const RESTORE_ACTOR = { sub: 'keyledger-restore', clientId: null } as const;

export interface ReappliedDestructions {
  tenant: string;
  /** Keys live in the restored state that the ledger says were destroyed: destroyed again. */
  keys: string[];
  /** Whether the tenant, shredded after the backup, was shredded again. */
  shredded: boolean;
  /** Rekeys made to replace an active key the ledger names (its successor is new, not the one lost). */
  rekeys: number;
}

/**
 * After a restore, before serving: every destruction the ledger records is made again where the
 * restored tables still hold the key (a backup taken before it). A shredded tenant is shredded
 * again (a request by `keyledger-restore`, executed at once); an active key the ledger names (a
 * TMK a rekey destroyed, an active namespace key) is replaced by a rekey first; then the named
 * namespace keys are destroyed whatever depends on them (their loss is the point: data under
 * them stays unreadable, as it was), and named CPRKs are deleted. Idempotent: a second run finds
 * nothing live to destroy. Destructive policies do not apply: these destructions happened.
 */
export async function reapplyDestructions(ctx: HierarchyContext, entries: readonly DestructionLedgerEntry[]): Promise<ReappliedDestructions[]> {
  const immediate = ctx.withImmediateDestruction();
  const byTenant = new Map<string, DestructionLedgerEntry[]>();
  for (const entry of entries) byTenant.set(entry.tenant, [...(byTenant.get(entry.tenant) ?? []), entry]);
  const done: ReappliedDestructions[] = [];
  for (const [tenant, own] of byTenant) {
    let result: ReappliedDestructions;
    try {
      result = await reapplyForTenant(immediate, tenant, own);
    } catch (error) {
      throw new Error(`Tenant ${tenant}: re-applying the destruction ledger failed (${(error as Error).message}); the stack does not serve until it succeeds.`, { cause: error });
    }
    if (result.keys.length > 0 || result.shredded) done.push(result);
  }
  return done;
}

async function reapplyForTenant(ctx: HierarchyContext, tenant: string, entries: readonly DestructionLedgerEntry[]): Promise<ReappliedDestructions> {
  const result: ReappliedDestructions = { tenant, keys: [], shredded: false, rekeys: 0 };
  const kids = new Set(entries.flatMap((entry) => (entry.kind === 'key' ? [entry.kid] : [])));
  let { state } = await ctx.load(tenant);
  if (state.status !== 'provisioned') return result;
  const live = (current: TenantKeyHierarchy) => [...kids].filter((kid) => findKey(current, kid) !== undefined);

  // Requests the backup holds as live that would stand in the way: a pending shred (it either
  // executed, which the ledger says, or was cancelled: a later destruction or rekey needs it
  // gone), or a request naming a key the ledger says is destroyed. Cancelled by keyledger-restore.
  const shredding = entries.some((entry) => entry.kind === 'tenant');
  // Nothing to re-apply (every start but the first after a restore): nothing is touched.
  if (state.shredded || (live(state).length === 0 && !shredding)) return result;
  for (const request of liveDestructionRequests(state)) {
    if (request.action === 'shred_tenant' || request.kids.some((kid) => kids.has(kid))) await cancelDestructionRequest(ctx, tenant, request.id, RESTORE_ACTOR.sub, true);
  }
  state = (await ctx.load(tenant)).state;
  if (shredding) {
    if (state.status === 'provisioned' && state.shredded) return result;
    result.keys = live(state);
    await shredTenant(ctx, tenant, RESTORE_ACTOR);
    const after = (await ctx.load(tenant)).state;
    if (after.status !== 'provisioned' || !after.shredded) throw new Error('its shred did not execute again');
    result.shredded = true;
    return result;
  }
  if (state.status !== 'provisioned' || state.shredded) return result;
  const before = live(state);
  // An active TMK or namespace key cannot be destroyed in place: a rekey replaces both (and destroys the TMK).
  const active = (current: TenantKeyHierarchy & { status: 'provisioned' }) =>
    before.some((kid) => kid === current.activeTmkKid || Object.values(current.activeNamespaceKeys).includes(kid));
  if (active(state)) {
    await rekey(ctx, tenant);
    result.rekeys += 1;
    state = (await ctx.load(tenant)).state;
  }
  for (const kid of live(state)) {
    const key = findKey(state, kid)!;
    if (key.type === 'customer-provided-root-key') {
      await deleteCustomerKey(ctx, tenant, kid);
    } else if (key.type === 'tenant-encryption-key') {
      // Not retireKey: its checks (secrets under the key, recent decrypts) guard a choice; this one was made.
      await ctx.execute(tenant, async ({ state: current }) => ({ events: decide({ type: 'RetireKey', data: { kid, cause: 'retire', now: ctx.now() } }, current), result: null }));
    }
  }
  state = (await ctx.load(tenant)).state;
  result.keys = before.filter((kid) => findKey(state, kid) === undefined);
  const left = live(state);
  if (left.length > 0) throw new Error(`Tenant ${tenant}: the ledger's keys ${left.join(', ')} are still live after re-applying its destructions.`);
  ctx.logger.warn('restore: destructions made after the backup re-applied', { tenant, keys: result.keys, rekeys: result.rekeys });
  return result;
}
