import type { KeyHierarchyCommand, ProvisionTenant } from '../commands';
import { destructionRequestId, openDestructionRequest, requestBlocking, type DestructionPolicy } from '../destructionRequests';
import type { KeyHierarchyEvent } from '../events';
import { evolve, initialState, liveDestructionRequests, tenantKeyHierarchyDecider, type TenantKeyHierarchy } from './index';

const T0 = '2027-01-01T00:00:00.000Z';
const T1 = '2027-01-02T00:00:00.000Z';
const DAY = 86_400_000;
const at = (ms: number) => new Date(Date.parse(T1) + ms).toISOString();
const policy: DestructionPolicy = { waitingPeriodMs: DAY, approvals: 1, requestTtlMs: 30 * DAY };
const alice = { sub: 'alice', clientId: null };

const provision: ProvisionTenant = {
  type: 'ProvisionTenant',
  data: {
    tenant: 'acme',
    rootKey: { kid: 'erk', createdAt: T0 },
    tmk: { kid: 'tmk1', fingerprint: 'fp-tmk1' },
    namespaceKeys: [{ namespace: 'default', kid: 'ns1', fingerprint: 'fp-ns1' }],
    now: T0,
  },
};

/** Runs commands one after another, as commits would; returns every event and the state. */
function run(commands: KeyHierarchyCommand[], from: KeyHierarchyEvent[] = []) {
  const events = [...from];
  let state: TenantKeyHierarchy = events.reduce(evolve, initialState());
  for (const command of commands) {
    const decided = tenantKeyHierarchyDecider.decide(command, state);
    events.push(...decided);
    state = decided.reduce(evolve, state);
  }
  return { events, state };
}

const rekeyed = run([
  provision,
  { type: 'Rekey', data: { tmk: { kid: 'tmk2', fingerprint: 'fp-tmk2' }, namespaceKeys: [{ namespace: 'default', kid: 'ns2', fingerprint: 'fp-ns2' }], now: T0 } },
]).events;
const request = openDestructionRequest({ id: destructionRequestId(T1, 'aaaa0001'), action: 'retire_key', kids: ['ns1'], requestedBy: alice, now: T1, policy });
const requestCommand: KeyHierarchyCommand = { type: 'RequestDestruction', data: { request, now: T1 } };

describe('destruction requests in the hierarchy', () => {
  it('a retirement waits: the key stays deactivated and blocked while the request is live', () => {
    const { state, events } = run([requestCommand], rekeyed);
    expect(events.at(-1)).toEqual({ type: 'DestructionRequested', data: { request, occurredAt: T1 } });
    expect(liveDestructionRequests(state)).toEqual([request]);
    expect(requestBlocking(liveDestructionRequests(state), 'ns1')?.id).toBe(request.id);
    // The same key again: no new request.
    expect(tenantKeyHierarchyDecider.decide({ type: 'RequestDestruction', data: { request: { ...request, id: 'dr_other' }, now: T1 } }, state)).toEqual([]);
  });

  it('executes once approved and due, destroying the key in the same commit, and then the request is gone', () => {
    const { state } = run([requestCommand, { type: 'ApproveDestruction', data: { id: request.id, sub: 'bob', now: at(1) } }], rekeyed);
    expect(liveDestructionRequests(state)[0]?.state).toBe('approved');
    expect(() => tenantKeyHierarchyDecider.decide({ type: 'SettleDestruction', data: { id: request.id, outcome: 'execute', now: at(DAY - 1) } }, state)).toThrow('cannot execute yet');
    const executed = tenantKeyHierarchyDecider.decide({ type: 'SettleDestruction', data: { id: request.id, outcome: 'execute', now: at(DAY) } }, state);
    expect(executed.map((event) => event.type)).toEqual(['KeyStateChanged', 'DestructionFinished']);
    expect(executed[0]).toMatchObject({ data: { kid: 'ns1', from: 'deactivated', to: 'destroyed', cause: 'retire' } });
    const after = executed.reduce(evolve, state);
    expect(liveDestructionRequests(after)).toEqual([]);
    expect(after.status === 'provisioned' && after.keys.some((key) => key.kid === 'ns1')).toBe(false);
    // At most once: a second settle finds no request.
    expect(() => tenantKeyHierarchyDecider.decide({ type: 'SettleDestruction', data: { id: request.id, outcome: 'execute', now: at(DAY) } }, after)).toThrow('does not exist');
  });

  it('refuses the requester’s approval; a cancel restores the key; an unapproved request expires', () => {
    const { state } = run([requestCommand], rekeyed);
    expect(() => tenantKeyHierarchyDecider.decide({ type: 'ApproveDestruction', data: { id: request.id, sub: 'alice', now: at(1) } }, state)).toThrow('cannot approve');
    const cancelled = run([{ type: 'CancelDestruction', data: { id: request.id, sub: 'alice', mayApprove: false, now: at(2) } }], run([requestCommand], rekeyed).events).state;
    expect(requestBlocking(liveDestructionRequests(cancelled), 'ns1')).toBeUndefined();
    expect(cancelled.status === 'provisioned' && cancelled.keys.find((key) => key.kid === 'ns1')?.state).toBe('deactivated');
    expect(tenantKeyHierarchyDecider.decide({ type: 'SettleDestruction', data: { id: request.id, outcome: 'expire', now: at(30 * DAY) } }, state)).toEqual([
      {
        type: 'DestructionFinished',
        data: {
          request: { ...request, state: 'expired', finishedAt: at(30 * DAY), reason: 'expired at 2027-02-01T00:00:00.000Z with 0 of 1 approvals' },
          occurredAt: at(30 * DAY),
        },
      },
    ]);
  });

  it('refuses a request for a key that may not be destroyed (the active namespace key)', () => {
    const { state } = run([], rekeyed);
    expect(() => tenantKeyHierarchyDecider.decide({ type: 'RequestDestruction', data: { request: { ...request, kids: ['ns2'] }, now: T1 } }, state)).toThrow('active key');
  });
});

describe('tenant shredding in the hierarchy', () => {
  const shred = openDestructionRequest({ id: destructionRequestId(T1, 'bbbb0001'), action: 'shred_tenant', kids: ['tmk2', 'ns1', 'ns2'], requestedBy: alice, now: T1, policy });
  const approve: KeyHierarchyCommand = { type: 'ApproveDestruction', data: { id: shred.id, sub: 'bob', now: T1 } };
  const execute: KeyHierarchyCommand = { type: 'SettleDestruction', data: { id: shred.id, outcome: 'execute', now: at(DAY) } };
  const rekey: KeyHierarchyCommand = { type: 'Rekey', data: { tmk: { kid: 'tmk3', fingerprint: 'f' }, namespaceKeys: [{ namespace: 'default', kid: 'ns3', fingerprint: 'f' }], now: at(DAY) } };

  it('a shred must name every live key but the environment root key, and blocks all of them (and new keys) while live', () => {
    expect(() => run([{ type: 'RequestDestruction', data: { request: { ...shred, kids: ['ns1'] }, now: T1 } }], rekeyed)).toThrow(/every live key of the tenant but the environment root key/);
    const { state } = run([{ type: 'RequestDestruction', data: { request: shred, now: T1 } }, requestCommand], rekeyed);
    for (const kid of ['tmk2', 'ns1', 'ns2']) expect(requestBlocking(liveDestructionRequests(state), kid)?.id).toBeDefined();
    expect(requestBlocking(liveDestructionRequests(state), 'erk')).toBeUndefined();
    expect(() => tenantKeyHierarchyDecider.decide(rekey, state)).toThrow(`pending a shred (destruction request ${shred.id})`);
  });

  it('executing destroys every key in one commit, ends the other live requests, and tombstones the tenant for good', () => {
    const { state, events } = run([requestCommand, { type: 'RequestDestruction', data: { request: shred, now: T1 } }, approve, execute], rekeyed);
    const executed = events.slice(-6);
    expect(executed.map((event) => event.type)).toEqual(['DestructionFinished', 'KeyStateChanged', 'KeyStateChanged', 'KeyStateChanged', 'TenantShredded', 'DestructionFinished']);
    expect(executed[0]).toMatchObject({ data: { request: { id: request.id, state: 'cancelled', reason: `the tenant was shredded by request ${shred.id}` } } });
    expect(executed.filter((event) => event.type === 'KeyStateChanged').map((event) => event.data)).toEqual([
      expect.objectContaining({ kid: 'ns1', to: 'destroyed', cause: 'shred' }),
      expect.objectContaining({ kid: 'ns2', to: 'destroyed', cause: 'shred' }),
      expect.objectContaining({ kid: 'tmk2', to: 'destroyed', cause: 'shred' }),
    ]);
    expect(state).toMatchObject({ status: 'provisioned', keys: [expect.objectContaining({ kid: 'erk' })], activeNamespaceKeys: {}, shredded: { at: at(DAY), requestId: shred.id } });
    expect(liveDestructionRequests(state)).toEqual([]);
    for (const command of [rekey, provision, { type: 'ChangeRetentionPolicy', data: { autoRetireAfter: null, now: at(DAY) } } as KeyHierarchyCommand]) {
      expect(() => tenantKeyHierarchyDecider.decide(command, state)).toThrow(expect.objectContaining({ code: 'tenant_shredded' }));
    }
  });
});
