/**
 * Destruction requests (issue 17, work in progress; docs/design/destruction-requests.md): a
 * destructive call under a destruction policy opens a request; approvals, cancels and the
 * scheduler's ticks settle it. Executing is one commit with the keys it destroys.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  asProvisioned,
  decide,
  destructionRequestId,
  DestructionRequestNotFoundError,
  dueDestructions,
  findKey,
  findDestructionRequest,
  IllegalKeyStateError,
  isKeyledgerError,
  liveDestructionRequests,
  liveRequestNaming,
  liveShred,
  NotFoundError,
  openDestructionRequest,
  type DestructionAction,
  type DestructionActor,
  type DestructionRequest,
  type KeyHierarchyEvent,
  type ProvisionedTenant,
  type TenantKeyHierarchy,
  type SettleDestruction,
} from '@keyledger/domain';
import { NOT_YET, type HierarchyContext } from '../context';
import { deleteCustomerKey } from './deleteCustomerKey';
import { finishedRequest, notePending, resolveStored } from './finishedRequests';
import { issueDueReceipts } from './receipts';
import { assertNotInUse } from './retireKey';

/**
 * Opens a request (or answers the live one that already names the key). The tenant is registered
 * for the scheduler first. `kids` may depend on the state the request commits on (a shred names
 * every live key then, also after a concurrent rekey).
 */
export async function requestDestruction(
  ctx: HierarchyContext,
  tenant: string,
  action: DestructionAction,
  kids: readonly string[] | ((state: ProvisionedTenant) => string[]),
  requestedBy: DestructionActor,
): Promise<DestructionRequest> {
  await ctx.catalog.registerDestruction(tenant, true);
  const now = ctx.now();
  const id = destructionRequestId(now, randomBytes(4).toString('hex'));
  const outcome = await ctx.execute(tenant, async ({ state }) => {
    const named = typeof kids === 'function' ? kids(asProvisioned(state)) : kids;
    const live = action === 'shred_tenant' ? liveShred(state) : liveRequestNaming(liveDestructionRequests(state), named);
    if (live) return { events: [], result: live };
    const request = openDestructionRequest({ id, action, kids: named, requestedBy, now, policy: ctx.destructionPolicy });
    // The decision refuses keys that may not be destroyed; then what depends on a namespace key.
    const events = decide({ type: 'RequestDestruction', data: { request, now } }, state);
    if (action === 'retire_key') for (const kid of named) await assertNotInUse(ctx, state, findKey(state, kid)!, 'retire');
    return { events, result: request };
  });
  if (outcome.result.id === id) ctx.logger.info('destruction requested', { tenant, id, action, kids: outcome.result.kids });
  return outcome.result;
}

/** A live request from the state, else a finished one from the catalog. */
export async function getDestructionRequest(ctx: HierarchyContext, tenant: string, id: string): Promise<DestructionRequest> {
  const { state } = await ctx.load(tenant);
  const live = liveDestructionRequests(state).find((request) => request.id === id);
  const found = live ?? (await finishedRequest(ctx, tenant, id));
  if (!found) throw new DestructionRequestNotFoundError(`The destruction request ${id} does not exist.`);
  return found;
}

/** Live requests, then the newest finished ones (at most `limit` in all), newest first. */
export async function listDestructionRequests(ctx: HierarchyContext, tenant: string, limit = 100): Promise<DestructionRequest[]> {
  const { state } = await ctx.load(tenant);
  const live = [...liveDestructionRequests(state)].sort((a, b) => b.id.localeCompare(a.id));
  const stored = live.length >= limit ? [] : await ctx.catalog.listRequests(tenant, limit - live.length);
  const liveIds = new Set(live.map((request) => request.id));
  // A provisional record of a live request is a decision whose commit lost (or has not landed yet).
  const finished = await Promise.all(stored.filter((record) => !liveIds.has(record.request.id)).map((record) => resolveStored(ctx, tenant, record)));
  return [...live, ...finished];
}

export async function approveDestructionRequest(ctx: HierarchyContext, tenant: string, id: string, sub: string): Promise<DestructionRequest> {
  const outcome = await whileLive(ctx, tenant, id, () =>
    ctx.execute(tenant, async ({ state }) => ({
      events: decide({ type: 'ApproveDestruction', data: { id, sub, now: ctx.now() } }, state),
      result: null,
    })),
  );
  return findDestructionRequest(liveDestructionRequests(outcome.state), id);
}

export async function cancelDestructionRequest(ctx: HierarchyContext, tenant: string, id: string, sub: string, mayApprove: boolean): Promise<DestructionRequest> {
  const outcome = await whileLive(ctx, tenant, id, () =>
    ctx.execute(tenant, async ({ state, version }) => {
      const now = ctx.now();
      const events = decide({ type: 'CancelDestruction', data: { id, sub, mayApprove, now } }, state);
      const finished = finishedBy(events)!;
      await notePending(ctx, tenant, finished, version);
      return { events, result: finished };
    }),
  );
  return outcome.result;
}

/**
 * Runs a change of a live request; one the state no longer holds is looked up in the catalog
 * only then: a finished request is 409 saying what it became, an unknown one stays 404.
 */
async function whileLive<R>(ctx: HierarchyContext, tenant: string, id: string, change: () => Promise<R>): Promise<R> {
  try {
    return await change();
  } catch (error) {
    if (!(error instanceof DestructionRequestNotFoundError)) throw error;
    const finished = await finishedRequest(ctx, tenant, id);
    if (!finished) throw error;
    throw new IllegalKeyStateError(`Destruction request ${id} is ${finished.state}${finished.reason ? ` (${finished.reason})` : ''}; it can no longer change.`);
  }
}

/** One scheduler pass: every registered tenant's due requests executed or expired, and due receipts issued; tenants with nothing left leave the registry. */
export async function settleDueDestructions(ctx: HierarchyContext): Promise<{ executed: number; expired: number; failed: number }> {
  const counts = { executed: 0, expired: 0, failed: 0 };
  for (const tenant of await ctx.catalog.destructionTenants()) {
    try {
      const { state } = await ctx.load(tenant);
      const live = liveDestructionRequests(state);
      for (const due of dueDestructions(live, ctx.now())) {
        const result = due.kind === 'expire' ? await settle(ctx, tenant, due.request, async () => 'expire') : await execute(ctx, tenant, due.request);
        counts[result] += 1;
      }
      // Finished requests a crash left provisional (the commit in, its record not yet): recorded from the stream, due receipts with them.
      const liveIds = new Set(live.map((request) => request.id));
      for (const stored of await ctx.catalog.listRequests(tenant, 100)) {
        if (stored.provisionalFrom !== undefined && !liveIds.has(stored.request.id)) await resolveStored(ctx, tenant, stored);
      }
      const receiptsDue = await issueDueReceipts(ctx, tenant);
      if (live.length === 0 && receiptsDue === 0) await ctx.catalog.registerDestruction(tenant, false);
    } catch (error) {
      ctx.logger.warn('destruction scheduler pass failed for a tenant; it is tried again on the next pass', { tenant, error: String(error) });
    }
  }
  return counts;
}

type Settled = 'executed' | 'expired' | 'failed';

/** The request as a commit's DestructionFinished ends it: what the catalog keeps. */
function finishedBy(events: readonly KeyHierarchyEvent[]): DestructionRequest | undefined {
  const finished = events.find((event) => event.type === 'DestructionFinished');
  return finished?.type === 'DestructionFinished' ? finished.data.request : undefined;
}

/** Settles a request in one commit; `outcomeFor` decides on the state that commits (again, if the commit is retried). */
async function settle(
  ctx: HierarchyContext,
  tenant: string,
  request: DestructionRequest,
  outcomeFor: (state: TenantKeyHierarchy) => Promise<SettleDestruction['data']['outcome']>,
): Promise<Settled> {
  const outcome = await ctx.execute(tenant, async ({ state, version }) => {
    const now = ctx.now();
    const events = decide({ type: 'SettleDestruction', data: { id: request.id, outcome: await outcomeFor(state), now } }, state);
    const finished = finishedBy(events)!;
    await notePending(ctx, tenant, finished, version);
    return { events, result: finished.state as Settled };
  });
  ctx.logger.info('destruction request settled', { tenant, id: request.id, state: outcome.result });
  return outcome.result;
}

/** A refusal that ends a request `failed` (its reason kept); anything else (the store down, a conflict) is retried by the next pass. */
function failureOf(error: unknown): { failed: string } {
  if (!isKeyledgerError(error) || error.code === 'concurrency_conflict' || error.code === 'root_key_store_error') throw error;
  return { failed: `${error.code}: ${error.message}` };
}

/** Executes an approved, due request, then issues its receipt (retried by the next passes if it cannot be now). */
export async function execute(ctx: HierarchyContext, tenant: string, request: DestructionRequest, options: { waitForReceiptMs?: number } = {}): Promise<Settled> {
  const settled = await executeAction(ctx, tenant, request);
  if (settled === 'executed') {
    const issuing = ctx.afterCommit('issuing the destruction receipt', { tenant, id: request.id }, async () => {
      // Still due: it waits for the audit chain or the grace period (a failure to issue it throws).
      if ((await issueDueReceipts(ctx, tenant, request.id)) > 0 && ctx.receipts) return NOT_YET;
      return undefined;
    });
    // A caller with a deadline (an API call) answers once the commit is in; the receipt follows (and the scheduler retries it).
    if (options.waitForReceiptMs === undefined) await issuing;
    else await Promise.race([issuing, sleep(options.waitForReceiptMs, undefined, { ref: false })]);
  }
  return settled;
}

/** A refusal at execution (key_in_use, a key gone) ends a request `failed` with the reason. */
async function executeAction(ctx: HierarchyContext, tenant: string, request: DestructionRequest): Promise<Settled> {
  if (request.action === 'retire_key') {
    return settle(ctx, tenant, request, async (state) => {
      try {
        for (const kid of request.kids) {
          const key = findKey(state, kid);
          if (!key) throw new NotFoundError(`The key ${kid} is no longer live.`);
          await assertNotInUse(ctx, state, key, 'retire');
        }
        return 'execute';
      } catch (error) {
        return failureOf(error);
      }
    });
  }
  if (request.action === 'delete_cprk') {
    try {
      return await executeCprkDeletion(ctx, tenant, request);
    } catch (error) {
      const failed = failureOf(error);
      return settle(ctx, tenant, request, async () => failed);
    }
  }
  // A shred destroys every key whatever depends on it: that is what it is for.
  return settle(ctx, tenant, request, async () => 'execute');
}

/** deleteCustomerKey with the request's end in the same commit: the TMK back under the ERK, the CPRK destroyed, then its material. */
async function executeCprkDeletion(ctx: HierarchyContext, tenant: string, request: DestructionRequest): Promise<Settled> {
  await deleteCustomerKey(ctx, tenant, request.kids[0]!, {
    asCommand: (now) => ({ type: 'SettleDestruction', data: { id: request.id, outcome: 'execute', now } }),
    beforeCommit: (events, version) => notePending(ctx, tenant, finishedBy(events)!, version),
  });
  return 'executed';
}
