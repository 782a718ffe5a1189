/**
 * Destruction receipts: what an executed request destroyed is noted after its commit, from the
 * commit (a due receipt: finishedRequests.ts), and then the receipt is signed and stored. For a
 * shred, the tenant's secrets and key material are deleted first, so that the receipt only ever
 * says what is done, and the receipt names the audit chain head once the execution's own entry
 * is in the chain. Issuing is idempotent: the call that executed the request tries it, then
 * every scheduler pass until it is stored.
 */
import {
  customerKeysAwaitingDeletion,
  IllegalKeyStateError,
  liveDestructionRequests,
  NotFoundError,
} from '@keyledger/domain';
import type { ReceiptDue } from '@keyledger/key-catalog';
import type { HierarchyContext, ReceiptClaims } from '../context';
import { sweep } from '../sweep';
import { finishedRequest } from './finishedRequests';

/** A receipt that does not exist (yet): the request is live, or did not execute, or is being issued. */
export class DestructionReceiptNotFoundError extends NotFoundError {
  readonly errorCode = 'destruction_receipt_not_found';
}

/** What the root key store did to a destroyed CPRK, by store kind, as the receipt states it. */
const STORE_DELETION: Record<string, string> = {
  kms: 'DeleteImportedKeyMaterial (the imported key material is gone at once), then ScheduleKeyDeletion with a 7-day waiting period for the KMS key itself',
  pkcs11: 'C_DestroyObject of the key and of its wrapping keys in the HSM',
  software: 'deleted from the development key file (a development-only store)',
};

function storeDeletion(kind: string, stateBefore: string): string {
  const done = STORE_DELETION[kind] ?? `deleted by the ${kind} root key store`;
  // A CPRK that never received material had none to delete: only the key (and its wrapping keys) went.
  return stateBefore === 'pre-activation' ? `no key material had been imported; the key and its wrapping keys were deleted (${kind})` : done;
}

/**
 * Issues the receipt of an executed request whose receipt is due. True once it is no longer due
 * (issued, or the request did not execute after all: its commit lost and it ended otherwise);
 * false while it must wait (no signer, or the commit has not happened yet); throws while
 * something the receipt will claim is not done yet (the root key store still holds a CPRK).
 */
export async function issueReceipt(ctx: HierarchyContext, tenant: string, due: ReceiptDue): Promise<boolean> {
  const { state } = await ctx.load(tenant);
  if (liveDestructionRequests(state).some((request) => request.id === due.requestId)) return false;
  // Only what the stream committed counts (a due note is written from the commit; this is a second check).
  const request = await finishedRequest(ctx, tenant, due.requestId);
  if (request?.state !== 'executed') {
    await ctx.catalog.clearReceiptDue(tenant, due.requestId);
    return true;
  }
  const deleted: Record<string, number> = { ...due.deleted };
  // Once per shred: a try that then waits (for the root key store, the audit chain) does not purge again.
  if (request.action === 'shred_tenant' && due.purgedAt === undefined) {
    await ctx.catalog.registerShredded(tenant);
    // In AWS, data planes follow the shred when their cached view expires: a secret written by a
    // stale one until then must not escape the purge, so it waits that long (0 locally).
    if (ctx.clock().getTime() < Date.parse(due.executedAt) + ctx.deactivationGraceMs) return false;
    const namespaces = [...new Set(due.keys.flatMap((key) => (key.namespace === null ? [] : [key.namespace])))];
    // What earlier tries deleted is kept in the note, so the receipt counts every item once, however many tries it took.
    for (const [kind, count] of Object.entries((await ctx.tenantData?.purge(tenant, namespaces)) ?? {})) deleted[kind] = (deleted[kind] ?? 0) + count;
    await ctx.catalog.registerRetention(tenant, false);
    await ctx.catalog.putReceiptDue(tenant, { ...due, deleted, purgedAt: ctx.clock().toISOString() });
  }
  // The destroyed keys' material (already deleted after the commit, unless that failed) and CPRKs the store still holds.
  await sweep(ctx, tenant, state);
  const destroyedKids = new Set(due.keys.map((key) => key.kid));
  const held = customerKeysAwaitingDeletion((await ctx.load(tenant)).state).filter((kid) => destroyedKids.has(kid));
  if (held.length > 0) throw new Error(`the root key store still holds ${held.join(', ')}; the receipt waits for its deletion`);
  const left = (await ctx.keyMaterial.list(tenant)).filter((entry) => destroyedKids.has(entry.kid));
  if (left.length > 0) throw new Error(`${left.length} key material entries of destroyed keys are still stored; the receipt waits for their deletion`);
  if (!ctx.receipts) return false;
  const head = ctx.auditChainHead ? await ctx.auditChainHead(tenant, due.eventId) : null;
  if (head === 'pending') return false;
  const claims: ReceiptClaims = {
    request_id: request.id,
    tenant,
    action: request.action,
    keys: due.keys.map((key) => ({ kid: key.kid, type: key.type, fingerprint: key.fingerprint, state_before: key.stateBefore })),
    requested_by: { sub: request.requestedBy.sub, client_id: request.requestedBy.clientId },
    requested_at: request.requestedAt,
    approved_by: request.approvals,
    required_approvals: request.requiredApprovals,
    scheduled_for: request.scheduledFor,
    executed_at: due.executedAt,
    audit_chain_head: head,
    root_key_store_operations: due.keys
      .filter((key) => key.type === 'customer-provided-root-key')
      .map((key) => ({ kid: key.kid, operation: 'delete', detail: storeDeletion(ctx.rootKeyStore.kind, key.stateBefore) })),
    deleted,
  };
  await ctx.catalog.putReceipt(tenant, request.id, await ctx.receipts.sign(claims));
  ctx.logger.info('destruction receipt issued', { tenant, id: request.id, action: request.action, keys: due.keys.length });
  return true;
}

/** Issues every due receipt of the tenant; says how many are still due. */
export async function issueDueReceipts(ctx: HierarchyContext, tenant: string, only?: string): Promise<number> {
  let stillDue = 0;
  for (const due of await ctx.catalog.receiptsDue(tenant)) {
    if (only !== undefined && due.requestId !== only) continue;
    if (!(await issueReceipt(ctx, tenant, due))) stillDue += 1;
  }
  return stillDue;
}

/** The signed receipt of an executed request (a compact JWS). */
export async function getDestructionReceipt(ctx: HierarchyContext, tenant: string, id: string): Promise<string> {
  const receipt = await ctx.catalog.getReceipt(tenant, id);
  if (receipt) return receipt;
  const { state } = await ctx.load(tenant);
  const live = liveDestructionRequests(state).find((request) => request.id === id);
  const request = live ?? (await finishedRequest(ctx, tenant, id));
  if (!request) throw new DestructionReceiptNotFoundError(`The destruction request ${id} does not exist.`);
  if (request.state !== 'executed') {
    throw new DestructionReceiptNotFoundError(`The destruction request ${id} is ${request.state}: a receipt is issued only when a request executes.`);
  }
  if (!ctx.receipts) throw new IllegalKeyStateError('This deployment has no receipt key; receipts are not issued.');
  throw new DestructionReceiptNotFoundError(`The destruction request ${id} executed; its receipt is still being issued (the scheduler retries it). Try again shortly.`);
}
