import type { ApproveDestruction, CancelDestruction, RequestDestruction, SettleDestruction } from '../commands';
import { approveDestruction, cancelDestruction, findDestructionRequest, finishDestruction, liveRequestNaming, type DestructionRequest } from '../destructionRequests';
import { IllegalKeyStateError, NotFoundError } from '../errors';
import type { KeyHierarchyEvent } from '../events';
import type { KeyRecord } from '../keys';
import { deleteCustomerRootKey } from './customerKeys';
import { assertRetirable } from './retirement';
import { stateChanged } from './guards';
import { assertProvisioned, findKey, type ProvisionedTenant, type TenantKeyHierarchy } from './state';

export const liveDestructionRequests = (state: TenantKeyHierarchy): DestructionRequest[] =>
  state.status === 'provisioned' ? (state.destructionRequests ?? []) : [];

/** Opens a request for keys that may be destroyed now; a key already named by a live request changes nothing (the caller answers that request). */
export function requestDestruction(command: RequestDestruction, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertProvisioned(state);
  const { request, now } = command.data;
  if (request.action === 'shred_tenant') return requestShred(request, state, now);
  if (liveRequestNaming(liveDestructionRequests(state), request.kids)) return [];
  for (const kid of request.kids) {
    const key = findKey(state, kid);
    if (!key) throw new NotFoundError(`The key ${kid} does not exist.`);
    if (request.action === 'retire_key') assertRetirable(key);
    if (request.action === 'delete_cprk' && (key.type !== 'customer-provided-root-key' || key.state !== 'active')) {
      throw new IllegalKeyStateError(`Key ${kid} is not an active customer-provided root key; only the deletion of an active one waits for the destruction policy.`);
    }
  }
  return [{ type: 'DestructionRequested', data: { request, occurredAt: now } }];
}

/** The live shred of the tenant, if one is pending or approved. */
export const liveShred = (state: TenantKeyHierarchy): DestructionRequest | undefined =>
  liveDestructionRequests(state).find((request) => request.action === 'shred_tenant');

/** Every key a shred destroys: all live keys but the shared environment root key, namespace keys first, the root keys last. */
export function keysToShred(state: ProvisionedTenant): KeyRecord[] {
  const order: Record<string, number> = { 'tenant-encryption-key': 0, 'tenant-master-key': 1, 'customer-provided-root-key': 2 };
  return state.keys.filter((key) => key.kid !== state.erkKid).sort((a, b) => (order[a.type] ?? 3) - (order[b.type] ?? 3) || a.seq - b.seq);
}

/** A shred names every key it destroys (so decrypts under them refuse while it is pending); a second shred answers the first. */
function requestShred(request: DestructionRequest, state: ProvisionedTenant, now: string): KeyHierarchyEvent[] {
  if (liveShred(state)) return [];
  const expected = keysToShred(state).map((key) => key.kid).sort();
  if ([...request.kids].sort().join(',') !== expected.join(',')) {
    throw new IllegalKeyStateError(`A shred must name every live key of the tenant but the environment root key (${expected.join(', ')}).`);
  }
  return [{ type: 'DestructionRequested', data: { request, occurredAt: now } }];
}

export function approveDestructionRequest(command: ApproveDestruction, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  const { id, sub, now } = command.data;
  const request = findDestructionRequest(liveDestructionRequests(state), id);
  const approved = approveDestruction(request, { sub, now });
  return approved === request ? [] : [{ type: 'DestructionApproved', data: { request: approved, sub, occurredAt: now } }];
}

export function cancelDestructionRequest(command: CancelDestruction, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  const { id, sub, mayApprove, now } = command.data;
  const cancelled = cancelDestruction(findDestructionRequest(liveDestructionRequests(state), id), { sub, mayApprove, now });
  return [{ type: 'DestructionFinished', data: { request: cancelled, occurredAt: now } }];
}

/**
 * Settles one request. Executing applies its action in the same commit as its end, so it
 * happens at most once: the key changes of a retirement, or those of a CPRK deletion (the TMK
 * back under the ERK, then the CPRK destroyed).
 */
export function settleDestructionRequest(command: SettleDestruction, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  assertProvisioned(state);
  const { id, outcome, now } = command.data;
  const request = findDestructionRequest(liveDestructionRequests(state), id);
  const finished = (end: 'executed' | 'failed' | 'expired', reason: string | null): KeyHierarchyEvent => ({
    type: 'DestructionFinished',
    data: { request: finishDestruction(request, end, now, reason ?? undefined), occurredAt: now },
  });
  if (outcome === 'expire') {
    if (request.state !== 'pending' || Date.parse(request.expiresAt) > Date.parse(now)) throw new IllegalKeyStateError(`Destruction request ${id} has not expired.`);
    return [finished('expired', `expired at ${request.expiresAt} with ${request.approvals.length} of ${request.requiredApprovals} approvals`)];
  }
  if (outcome !== 'execute') return [finished('failed', outcome.failed)];
  if (request.state !== 'approved' || Date.parse(request.scheduledFor) > Date.parse(now)) {
    throw new IllegalKeyStateError(`Destruction request ${id} is ${request.state} and scheduled for ${request.scheduledFor}; it cannot execute yet.`);
  }
  return [...actionEvents(request, state, now), finished('executed', null)];
}

function actionEvents(request: DestructionRequest, state: ProvisionedTenant, now: string): KeyHierarchyEvent[] {
  switch (request.action) {
    case 'retire_key':
      return request.kids.map((kid) => {
        const key = findKey(state, kid);
        if (!key) throw new NotFoundError(`The key ${kid} does not exist.`);
        assertRetirable(key);
        return stateChanged(key, 'destroyed', 'retire', now);
      });
    case 'delete_cprk':
      return request.kids.flatMap((kid) => deleteCustomerRootKey({ type: 'DeleteCustomerRootKey', data: { kid, now } }, state));
    case 'shred_tenant':
      return shredEvents(request, state, now);
  }
}

/**
 * A shred's commit: every other live request ends (cancelled: the tenant is going), every key but
 * the environment root key is destroyed, and the tenant is tombstoned.
 */
function shredEvents(request: DestructionRequest, state: ProvisionedTenant, now: string): KeyHierarchyEvent[] {
  const others = liveDestructionRequests(state).filter((other) => other.id !== request.id);
  return [
    ...others.map((other): KeyHierarchyEvent => ({
      type: 'DestructionFinished',
      data: { request: { ...other, state: 'cancelled', finishedAt: now, reason: `the tenant was shredded by request ${request.id}` }, occurredAt: now },
    })),
    ...keysToShred(state).map((key) => stateChanged(key, 'destroyed', 'shred', now)),
    { type: 'TenantShredded', data: { requestId: request.id, occurredAt: now } },
  ];
}

/** evolve's part: live requests in, finished ones out. */
export function evolveDestruction(state: ProvisionedTenant, event: Extract<KeyHierarchyEvent, { type: `Destruction${string}` }>): ProvisionedTenant {
  const requests = state.destructionRequests ?? [];
  switch (event.type) {
    case 'DestructionRequested':
      return { ...state, destructionRequests: [...requests, event.data.request] };
    case 'DestructionApproved':
      return { ...state, destructionRequests: requests.map((request) => (request.id === event.data.request.id ? event.data.request : request)) };
    case 'DestructionFinished':
      return { ...state, destructionRequests: requests.filter((request) => request.id !== event.data.request.id) };
  }
}
