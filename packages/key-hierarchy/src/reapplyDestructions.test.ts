import { reapplyDestructions } from './restore';
import { useServiceHarness } from './testing/serviceHarness';

const fixture = useServiceHarness({ namespaces: ['default'], snapshotEvery: 5, tenantPrefix: 'reapply' });
const DAY = 86_400_000;
const alice = { sub: 'alice', clientId: 'cli' };

describe('re-applying the destruction ledger (service, dynalite)', () => {
  it('a tenant the ledger says was shredded, whose restored state holds its shred pending under the policy, is shredded at once', async () => {
    const { service } = fixture.harness({ destructionPolicy: { waitingPeriodMs: DAY, approvals: 1, requestTtlMs: 30 * DAY } });
    const tenant = fixture.newTenant();
    await service.ensureProvisioned(tenant);
    expect(await service.shredTenant(tenant, alice)).toMatchObject({ state: 'pending' });
    const done = await reapplyDestructions(service, [{ kind: 'tenant', tenant, destroyedAt: new Date().toISOString(), version: 9 }]);
    expect(done).toEqual([expect.objectContaining({ tenant, shredded: true })]);
    await expect(service.listKeys(tenant, { page: 0, perPage: 50 })).rejects.toMatchObject({ code: 'tenant_shredded' });
    // Idempotent: a second run finds nothing to do.
    expect(await reapplyDestructions(service, [{ kind: 'tenant', tenant, destroyedAt: new Date().toISOString(), version: 9 }])).toEqual([]);
  });

  it('the TMK a later rekey destroyed is replaced by a rekey, even with a pending shred in the way; a start with nothing to re-apply touches nothing', async () => {
    const { service } = fixture.harness({ destructionPolicy: { waitingPeriodMs: DAY, approvals: 1, requestTtlMs: 30 * DAY } });
    const tenant = fixture.newTenant();
    const state = await service.ensureProvisioned(tenant);
    const tmk = state.activeTmkKid;
    const pending = await service.shredTenant(tenant, alice);
    const entry = { kind: 'key' as const, tenant, kid: tmk, keyType: 'tenant-master-key' as const, cause: 'rekey', destroyedAt: new Date().toISOString(), version: 9 };
    const done = await reapplyDestructions(service, [entry]);
    expect(done).toEqual([expect.objectContaining({ tenant, keys: [tmk], rekeys: 1, shredded: false })]);
    const after = await service.ensureProvisioned(tenant);
    expect(after.activeTmkKid).not.toBe(tmk);
    expect((await service.getDestructionRequest(tenant, pending.id)).state).toBe('cancelled');
    // Again: nothing live is named, and a new pending request is left alone.
    const another = await service.shredTenant(tenant, alice);
    expect(await reapplyDestructions(service, [entry])).toEqual([]);
    expect((await service.getDestructionRequest(tenant, another.id)).state).toBe('pending');
  });
});
