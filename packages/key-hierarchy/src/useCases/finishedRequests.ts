/**
 * Where finished destruction requests are recorded, so that what the catalog says is what the
 * stream committed. Before the commit that finishes a request, a provisional record (so that the
 * request is never missing: it leaves the live state with that commit), which never replaces a
 * committed one; after the commit, the committed record, and for an executed request the note
 * that its receipt is due, both derived from the commit itself. A provisional record left by a
 * crash, or by a decision whose commit lost, is resolved from the stream after its version.
 */
import { DestructionRequestNotFoundError, tenantStreamId, type DestructionRequest, type KeyHierarchyEvent } from '@keyledger/domain';
import type { Commit } from '@keyledger/event-store';
import type { ReceiptDue, StoredRequest } from '@keyledger/key-catalog';
import type { HierarchyContext } from '../context';

/** Before a commit that finishes `request`, decided on the stream at `version`. Refused (the request is over) if a commit already finished it. */
export async function notePending(ctx: HierarchyContext, tenant: string, request: DestructionRequest, version: number): Promise<void> {
  if (!(await ctx.catalog.putRequest(tenant, request, { provisionalFrom: version }))) {
    throw new DestructionRequestNotFoundError(`The destruction request ${request.id} has already finished.`);
  }
}

/** After a commit: every request it finished, as committed (the due receipt first, so a crash between leaves the provisional record to resolve). */
export async function recordFinished(ctx: HierarchyContext, tenant: string, commit: Commit<KeyHierarchyEvent>): Promise<DestructionRequest[]> {
  const finished: DestructionRequest[] = [];
  for (const event of commit.events) {
    if (event.type !== 'DestructionFinished') continue;
    const { request } = event.data;
    if (request.state === 'executed') await ctx.catalog.putReceiptDue(tenant, await dueOf(ctx, tenant, request, commit, event.eventId));
    await ctx.catalog.putRequest(tenant, request, { committed: true });
    finished.push(request);
  }
  return finished;
}

/** The keys the commit destroyed, with their state before it (the catalog has their records: written before the commit). */
async function dueOf(ctx: HierarchyContext, tenant: string, request: DestructionRequest, commit: Commit<KeyHierarchyEvent>, eventId: string): Promise<ReceiptDue> {
  const keys: ReceiptDue['keys'] = [];
  for (const event of commit.events) {
    if (event.type !== 'KeyStateChanged' || event.data.to !== 'destroyed') continue;
    const record = await ctx.catalog.get(tenant, event.data.kid);
    keys.push({ kid: event.data.kid, type: event.data.keyType, namespace: record?.namespace ?? null, fingerprint: record?.fingerprint ?? null, stateBefore: event.data.from });
  }
  return { requestId: request.id, executedAt: request.finishedAt ?? commit.committedAt, eventId, keys };
}

/** What a stored request really became: a committed record as it is; a provisional one as the stream after its version says (then recorded as committed). */
export async function resolveStored(ctx: HierarchyContext, tenant: string, stored: StoredRequest): Promise<DestructionRequest> {
  if (stored.provisionalFrom === undefined) return stored.request;
  const commits = await ctx.repository.commitsAfter(tenantStreamId(tenant), stored.provisionalFrom);
  const id = stored.request.id;
  const commit = commits.find((candidate) => candidate.events.some((event) => event.type === 'DestructionFinished' && event.data.request.id === id));
  // No commit finished it (yet): the decision's commit lost, and the request is still live, or about to finish.
  if (!commit) return stored.request;
  const recorded = await recordFinished(ctx, tenant, commit);
  return recorded.find((request) => request.id === id)!;
}

/** A finished request by id, resolved. */
export async function finishedRequest(ctx: HierarchyContext, tenant: string, id: string): Promise<DestructionRequest | undefined> {
  const stored = await ctx.catalog.getRequest(tenant, id);
  return stored && resolveStored(ctx, tenant, stored);
}
