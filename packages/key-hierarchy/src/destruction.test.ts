import { generateAes256Key, parseRsaPublicKey, rsaAesKeyWrap } from '@keyledger/crypto';
import { tenantStreamId, type DestructionRequest, type KeyRecord } from '@keyledger/domain';
import type { HierarchyChange } from './context';
import type { KeyHierarchyService } from './keyHierarchyService';
import { useServiceHarness } from './testing/serviceHarness';

const fixture = useServiceHarness({ namespaces: ['default'], snapshotEvery: 5, tenantPrefix: 'dr' });
const DAY = 86_400_000;
const policy = { waitingPeriodMs: DAY, approvals: 1, requestTtlMs: 30 * DAY };
const alice = { sub: 'alice', clientId: 'cli' };

function movableClock(start = Date.now()) {
  let now = start;
  return { clock: () => new Date(now), advance: (ms: number) => (now += ms) };
}

function setUp() {
  const time = movableClock();
  const changes: HierarchyChange[] = [];
  const h = fixture.harness({ clock: time.clock, destructionPolicy: policy, onChange: (change) => changes.push(change) });
  return { ...h, time, changes, tenant: fixture.newTenant() };
}

const keyOf = async (service: KeyHierarchyService, tenant: string, kid: string): Promise<KeyRecord> => service.getKey(tenant, kid);
const asRequest = (outcome: unknown): DestructionRequest => (outcome as { request: DestructionRequest }).request;

describe('destruction requests (service, dynalite)', () => {
  it('a retirement under the policy waits for an approval and the waiting period, then executes once', async () => {
    const { service, time, changes, tenant } = setUp();
    const kid = (await service.rekey(tenant)).deactivated['default']!;
    const request = asRequest(await service.deleteKey(tenant, kid, alice));
    expect(request).toMatchObject({ action: 'retire_key', kids: [kid], state: 'pending', requiredApprovals: 1, requestedBy: alice });
    expect(changes.at(-1)).toEqual({ tenant, destroyed: [] });
    // Asking again answers the same request.
    expect(asRequest(await service.deleteKey(tenant, kid, { sub: 'bob', clientId: null })).id).toBe(request.id);

    await expect(service.approveDestructionRequest(tenant, request.id, 'alice')).rejects.toThrow('the requester cannot approve it');
    expect(await service.approveDestructionRequest(tenant, request.id, 'bob')).toMatchObject({ state: 'approved', approvals: [{ sub: 'bob' }] });
    expect(await service.settleDueDestructions()).toMatchObject({ executed: 0 });
    expect((await keyOf(service, tenant, kid)).state).toBe('deactivated');

    time.advance(DAY);
    expect(await service.settleDueDestructions()).toMatchObject({ executed: 1 });
    expect((await keyOf(service, tenant, kid)).state).toBe('destroyed');
    expect(await service.getDestructionRequest(tenant, request.id)).toMatchObject({ state: 'executed', finishedAt: time.clock().toISOString() });
    expect(await service.settleDueDestructions()).toMatchObject({ executed: 0 });
    expect((await service.listDestructionRequests(tenant)).map((listed) => [listed.id, listed.state])).toEqual([[request.id, 'executed']]);
  });

  it('a cancel before execution keeps the key; an unapproved request expires; a finished one cannot change', async () => {
    const { service, time, tenant } = setUp();
    const kid = (await service.rekey(tenant)).deactivated['default']!;
    const request = asRequest(await service.deleteKey(tenant, kid, alice));
    await expect(service.cancelDestructionRequest(tenant, request.id, 'mallory', false)).rejects.toThrow('Only the requester');
    expect(await service.cancelDestructionRequest(tenant, request.id, 'alice', false)).toMatchObject({ state: 'cancelled' });
    await expect(service.approveDestructionRequest(tenant, request.id, 'bob')).rejects.toThrow('is cancelled');
    time.advance(2 * DAY);
    await service.settleDueDestructions();
    expect((await keyOf(service, tenant, kid)).state).toBe('deactivated');

    const again = asRequest(await service.deleteKey(tenant, kid, alice));
    expect(again.id).not.toBe(request.id);
    time.advance(30 * DAY);
    expect(await service.settleDueDestructions()).toMatchObject({ expired: 1 });
    expect(await service.getDestructionRequest(tenant, again.id)).toMatchObject({ state: 'expired' });
    expect((await keyOf(service, tenant, kid)).state).toBe('deactivated');
  });

  it('a request whose key is in use at execution ends failed, saying why', async () => {
    const { service, time, usage, tenant } = setUp();
    const kid = (await service.rekey(tenant)).deactivated['default']!;
    const request = asRequest(await service.deleteKey(tenant, kid, alice));
    await service.approveDestructionRequest(tenant, request.id, 'bob');
    usage.secretVersions.set(kid, 2);
    time.advance(DAY);
    expect(await service.settleDueDestructions()).toMatchObject({ failed: 1 });
    expect(await service.getDestructionRequest(tenant, request.id)).toMatchObject({ state: 'failed', reason: expect.stringContaining('key_in_use') });
    expect((await keyOf(service, tenant, kid)).state).toBe('deactivated');
  });

  it('deleting an active CPRK waits too; on execution the TMK is back under the ERK and the CPRK destroyed', async () => {
    const { service, time, tenant } = setUp();
    const cprk = await service.createCustomerKey(tenant);
    const wrapping = await service.createWrappingKey(tenant, cprk.kid, 'sha256');
    await service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(parseRsaPublicKey(wrapping.publicKeyPem), generateAes256Key(), 'sha256'));
    const request = asRequest(await service.deleteKey(tenant, cprk.kid, alice));
    expect(request).toMatchObject({ action: 'delete_cprk', kids: [cprk.kid] });
    // Nothing changes while it waits.
    const tmkWhilePending = (await fixture.listAll(service, tenant)).find((key) => key.type === 'tenant-master-key' && key.state === 'active')!;
    expect(tmkWhilePending.parentKid).toBe(cprk.kid);
    await service.approveDestructionRequest(tenant, request.id, 'bob');
    time.advance(DAY);
    expect(await service.settleDueDestructions()).toMatchObject({ executed: 1 });
    const keys = await fixture.listAll(service, tenant);
    const erk = keys.find((key) => key.type === 'environment-root-key')!;
    expect(keys.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!.parentKid).toBe(erk.kid);
    expect((await keyOf(service, tenant, cprk.kid)).state).toBe('destroyed');
  });
});

describe('finished requests as the catalog records them (races with the scheduler, crashes after a commit)', () => {
  it('a decision that lost never stands for what committed, even when its provisional record was written last and the commit\'s own record never was', async () => {
    const time = movableClock();
    let committedWrites = true;
    const signed: string[] = [];
    const { service, catalog, repository } = fixture.harness({
      clock: time.clock,
      destructionPolicy: policy,
      receipts: { sign: async (claims) => (signed.push(claims.request_id), `receipt-of-${claims.request_id}`) },
      // The process "crashes" after the commit: the committed record and the due receipt are never written.
      wrapCatalog: (inner) =>
        Object.assign(Object.create(inner) as typeof inner, {
          putRequest: (...args: Parameters<typeof inner.putRequest>) =>
            'committed' in args[2] && !committedWrites ? Promise.reject(new Error('crashed')) : inner.putRequest(...args),
        }),
    });
    const tenant = fixture.newTenant();
    const kid = (await service.rekey(tenant)).deactivated['default']!;
    const request = asRequest(await service.deleteKey(tenant, kid, alice));
    await service.approveDestructionRequest(tenant, request.id, 'bob');
    const { version } = await repository.load(tenantStreamId(tenant));
    time.advance(DAY);

    committedWrites = false;
    expect(await service.settleDueDestructions()).toMatchObject({ executed: 1 });
    // A cancel decided on the version before the execution wrote its provisional record last.
    const cancelled: DestructionRequest = { ...request, state: 'cancelled', finishedAt: time.clock().toISOString(), reason: 'cancelled by alice' };
    expect(await catalog.putRequest(tenant, cancelled, { provisionalFrom: version })).toBe(true);
    // (The scheduler visits every tenant on these shared tables: only this request's receipts count.)
    expect(signed.filter((id) => id === request.id)).toEqual([]);

    committedWrites = true;
    // Reads resolve it from the stream; the scheduler records it and issues the receipt.
    expect(await service.getDestructionRequest(tenant, request.id)).toMatchObject({ state: 'executed' });
    await service.settleDueDestructions();
    expect(signed.filter((id) => id === request.id)).toEqual([request.id]);
    expect(await service.getDestructionReceipt(tenant, request.id)).toBe(`receipt-of-${request.id}`);
    // Once committed, a late provisional record of a losing decision is refused.
    expect(await catalog.putRequest(tenant, cancelled, { provisionalFrom: version })).toBe(false);
    expect((await catalog.getRequest(tenant, request.id))?.request.state).toBe('executed');
    await expect(service.cancelDestructionRequest(tenant, request.id, 'alice', false)).rejects.toThrow('is executed');
  });
});
