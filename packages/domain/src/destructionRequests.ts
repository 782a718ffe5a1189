/**
 * Destruction requests (issue 17, work in progress; see docs/design/destruction-requests.md):
 * a destructive call made under a destruction policy becomes a request that waits for its
 * approvals and its waiting period, can be cancelled, and expires when approvals do not come.
 * Pure functions over the requests a tenant's decision state will hold (the live ones: pending
 * or approved); the clock and ids come from the caller.
 */
import { IllegalKeyStateError, KeyledgerError, NotFoundError } from './errors';

export type DestructionAction = 'retire_key' | 'delete_cprk' | 'shred_tenant';
export type DestructionState = 'pending' | 'approved' | 'cancelled' | 'expired' | 'executed' | 'failed';
export const LIVE_DESTRUCTION_STATES: readonly DestructionState[] = ['pending', 'approved'];

export interface DestructionPolicy {
  waitingPeriodMs: number;
  /** Approvals from distinct subjects other than the requester. */
  approvals: number;
  /** A request still missing approvals after this long expires. */
  requestTtlMs: number;
}

export interface DestructionActor {
  sub: string;
  clientId: string | null;
}

export interface DestructionRequest {
  id: string;
  action: DestructionAction;
  kids: string[];
  requestedBy: DestructionActor;
  requestedAt: string;
  /** Not executed before this instant (requestedAt + the waiting period). */
  scheduledFor: string;
  /** Expires at this instant if approvals are still missing. */
  expiresAt: string;
  approvals: Array<{ sub: string; at: string }>;
  requiredApprovals: number;
  state: DestructionState;
  /** When it left pending/approved, and why (cancelled by whom, the failure). */
  finishedAt?: string;
  reason?: string;
}

/** The caller may not do this to the request (approve their own, cancel another's without the scope). */
export class DestructionForbiddenError extends KeyledgerError {
  readonly errorCode = 'forbidden';
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** A key named by a live retirement or shred cannot be used (like KMS's PendingDeletion); cancelling the request restores it. */
export class DestructionPendingError extends KeyledgerError {
  constructor(
    readonly kid: string,
    readonly requestId: string,
  ) {
    super(
      'destruction_pending',
      `The key ${kid} is pending destruction in request ${requestId}: it cannot be used while the request is live; cancel the request (POST /v1/destruction-requests/${requestId}/cancel) to use it again.`,
    );
  }
}

export class DestructionRequestNotFoundError extends NotFoundError {
  readonly errorCode = 'destruction_request_not_found';
}

/** With neither a waiting period nor approvals, destructive calls act at once (Auth0's behaviour). */
export const actsAtOnce = (policy: DestructionPolicy) => policy.waitingPeriodMs === 0 && policy.approvals === 0;

const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
export const isLive = (request: DestructionRequest) => LIVE_DESTRUCTION_STATES.includes(request.state);

/** Sortable request ids: newest last by id, like jobs (`dr_<13-digit ms>_<hex>`). */
export function destructionRequestId(now: string, randomHex: string): string {
  if (!/^[0-9a-f]{8,32}$/.test(randomHex)) throw new Error('randomHex must be 8-32 lowercase hex digits.');
  return `dr_${String(Date.parse(now)).padStart(13, '0')}_${randomHex}`;
}

export function openDestructionRequest(input: {
  id: string;
  action: DestructionAction;
  kids: readonly string[];
  requestedBy: DestructionActor;
  now: string;
  policy: DestructionPolicy;
}): DestructionRequest {
  const { policy, now } = input;
  return {
    id: input.id,
    action: input.action,
    kids: [...input.kids],
    requestedBy: input.requestedBy,
    requestedAt: now,
    scheduledFor: plus(now, policy.waitingPeriodMs),
    expiresAt: plus(now, Math.max(policy.requestTtlMs, policy.waitingPeriodMs)),
    approvals: [],
    requiredApprovals: policy.approvals,
    state: policy.approvals === 0 ? 'approved' : 'pending',
  };
}

/** The live request that already names one of these keys (a second DELETE answers it again). */
export function liveRequestNaming(requests: readonly DestructionRequest[], kids: readonly string[]): DestructionRequest | undefined {
  return requests.find((request) => isLive(request) && request.kids.some((kid) => kids.includes(kid)));
}

/**
 * The live request that makes a key unusable now: a retirement or a shred naming it. A pending
 * CPRK deletion blocks nothing (the tenant moves back to the ERK only when it executes).
 */
export function requestBlocking(requests: readonly DestructionRequest[], kid: string): DestructionRequest | undefined {
  return requests.find((request) => isLive(request) && request.action !== 'delete_cprk' && request.kids.includes(kid));
}

function assertLive(request: DestructionRequest, doing: string): void {
  if (!isLive(request)) throw new IllegalKeyStateError(`Destruction request ${request.id} is ${request.state}; it cannot be ${doing}.`);
}

/** One approval per subject, never the requester's; `approved` once enough have come. */
export function approveDestruction(request: DestructionRequest, approver: { sub: string; now: string }): DestructionRequest {
  assertLive(request, 'approved');
  if (approver.sub === request.requestedBy.sub) {
    throw new DestructionForbiddenError(`Destruction request ${request.id} was made by ${approver.sub}: the requester cannot approve it; another subject must.`);
  }
  if (Date.parse(approver.now) >= Date.parse(request.expiresAt) && request.state === 'pending') {
    throw new IllegalKeyStateError(`Destruction request ${request.id} expired at ${request.expiresAt}.`);
  }
  if (request.approvals.some((approval) => approval.sub === approver.sub)) return request;
  const approvals = [...request.approvals, { sub: approver.sub, at: approver.now }];
  return { ...request, approvals, state: approvals.length >= request.requiredApprovals ? 'approved' : 'pending' };
}

/** The requester, or a holder of `approve:destruction_requests`, may cancel a live request. */
export function cancelDestruction(request: DestructionRequest, by: { sub: string; mayApprove: boolean; now: string }): DestructionRequest {
  assertLive(request, 'cancelled');
  if (by.sub !== request.requestedBy.sub && !by.mayApprove) {
    throw new DestructionForbiddenError(`Only the requester (${request.requestedBy.sub}) or a holder of approve:destruction_requests can cancel destruction request ${request.id}.`);
  }
  return { ...request, state: 'cancelled', finishedAt: by.now, reason: `cancelled by ${by.sub}` };
}

export type DueDestruction = { kind: 'execute'; request: DestructionRequest } | { kind: 'expire'; request: DestructionRequest };

/** What a scheduler tick at `now` must do: execute approved requests whose time has come, expire the rest past their expiry. */
export function dueDestructions(requests: readonly DestructionRequest[], now: string): DueDestruction[] {
  const at = Date.parse(now);
  const due: DueDestruction[] = [];
  for (const request of requests) {
    if (request.state === 'approved' && Date.parse(request.scheduledFor) <= at) due.push({ kind: 'execute', request });
    else if (request.state === 'pending' && Date.parse(request.expiresAt) <= at) due.push({ kind: 'expire', request });
  }
  return due;
}

export function finishDestruction(request: DestructionRequest, state: 'executed' | 'failed' | 'expired', now: string, reason?: string): DestructionRequest {
  assertLive(request, state);
  return { ...request, state, finishedAt: now, ...(reason === undefined ? {} : { reason }) };
}

export function findDestructionRequest(requests: readonly DestructionRequest[], id: string): DestructionRequest {
  const request = requests.find((candidate) => candidate.id === id);
  if (!request) throw new DestructionRequestNotFoundError(`The destruction request ${id} does not exist.`);
  return request;
}
