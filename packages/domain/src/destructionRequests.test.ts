import {
  actsAtOnce,
  approveDestruction,
  cancelDestruction,
  destructionRequestId,
  dueDestructions,
  finishDestruction,
  liveRequestNaming,
  openDestructionRequest,
  requestBlocking,
  type DestructionPolicy,
} from './destructionRequests';

const DAY = 86_400_000;
const NOW = '2027-01-10T12:00:00.000Z';
const later = (ms: number) => new Date(Date.parse(NOW) + ms).toISOString();
const policy: DestructionPolicy = { waitingPeriodMs: DAY, approvals: 1, requestTtlMs: 30 * DAY };
const alice = { sub: 'alice', clientId: 'cli' };
const open = (overrides: Partial<DestructionPolicy> = {}, action: 'retire_key' | 'delete_cprk' | 'shred_tenant' = 'retire_key') =>
  openDestructionRequest({ id: destructionRequestId(NOW, 'abcdef12'), action, kids: ['k1'], requestedBy: alice, now: NOW, policy: { ...policy, ...overrides } });

describe('destruction requests', () => {
  it('act at once only with neither a waiting period nor approvals', () => {
    expect(actsAtOnce({ waitingPeriodMs: 0, approvals: 0, requestTtlMs: DAY })).toBe(true);
    expect(actsAtOnce({ ...policy, approvals: 0 })).toBe(false);
    expect(actsAtOnce({ ...policy, waitingPeriodMs: 0 })).toBe(false);
  });

  it('open pending with their schedule and expiry, or approved when no approval is needed', () => {
    expect(open()).toMatchObject({ id: 'dr_1799582400000_abcdef12', state: 'pending', scheduledFor: later(DAY), expiresAt: later(30 * DAY), requiredApprovals: 1, approvals: [] });
    expect(open({ approvals: 0 }).state).toBe('approved');
  });

  it('refuse the requester’s own approval, count each other subject once, and are approved with enough', () => {
    const request = open({ approvals: 2 });
    expect(() => approveDestruction(request, { sub: 'alice', now: NOW })).toThrow('the requester cannot approve it');
    const once = approveDestruction(request, { sub: 'bob', now: later(1) });
    expect(approveDestruction(once, { sub: 'bob', now: later(2) })).toBe(once);
    expect(once.state).toBe('pending');
    const twice = approveDestruction(once, { sub: 'carol', now: later(3) });
    expect(twice).toMatchObject({ state: 'approved', approvals: [{ sub: 'bob' }, { sub: 'carol' }] });
  });

  it('are executed once approved and scheduled, expire when approvals do not come, and nothing acts on them after', () => {
    const approved = approveDestruction(open(), { sub: 'bob', now: later(1) });
    expect(dueDestructions([approved], later(DAY - 1))).toEqual([]);
    expect(dueDestructions([approved], later(DAY))).toEqual([{ kind: 'execute', request: approved }]);
    const waiting = open();
    expect(dueDestructions([waiting], later(30 * DAY))).toEqual([{ kind: 'expire', request: waiting }]);
    const executed = finishDestruction(approved, 'executed', later(DAY));
    expect(dueDestructions([executed], later(40 * DAY))).toEqual([]);
    expect(() => approveDestruction(executed, { sub: 'carol', now: later(DAY) })).toThrow('is executed');
    expect(() => approveDestruction(waiting, { sub: 'bob', now: later(30 * DAY) })).toThrow('expired');
  });

  it('are cancelled by the requester or an approver only', () => {
    const request = open();
    expect(() => cancelDestruction(request, { sub: 'mallory', mayApprove: false, now: NOW })).toThrow('Only the requester');
    expect(cancelDestruction(request, { sub: 'alice', mayApprove: false, now: later(5) })).toMatchObject({ state: 'cancelled', finishedAt: later(5), reason: 'cancelled by alice' });
    expect(cancelDestruction(request, { sub: 'bob', mayApprove: true, now: later(5) }).state).toBe('cancelled');
  });

  it('block the keys of a retirement or a shred while live, never those of a CPRK deletion', () => {
    const retire = open();
    const cprk = { ...open({}, 'delete_cprk'), kids: ['cprk-1'] };
    expect(requestBlocking([retire, cprk], 'k1')).toBe(retire);
    expect(requestBlocking([retire, cprk], 'cprk-1')).toBeUndefined();
    expect(requestBlocking([cancelDestruction(retire, { sub: 'alice', mayApprove: false, now: NOW })], 'k1')).toBeUndefined();
    expect(liveRequestNaming([retire, cprk], ['cprk-1'])).toBe(cprk);
  });
});
