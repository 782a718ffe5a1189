import { generateAes256Key, parseRsaPublicKey, rsaAesKeyWrap } from '@keyledger/crypto';
import type { RootKeyStore } from '@keyledger/root-key-store';
import type { ReceiptClaims } from './context';
import { useServiceHarness } from './testing/serviceHarness';

const fixture = useServiceHarness({ namespaces: ['default', 'billing'], snapshotEvery: 5, tenantPrefix: 'shred' });
const DAY = 86_400_000;
const alice = { sub: 'alice', clientId: 'cli' };

/** The harness's root key store, with CPRK deletion failing while `failing` is set. */
function flakyDeletion(store: RootKeyStore) {
  const state = { failing: true, deletions: 0 };
  const flaky: RootKeyStore = Object.assign(Object.create(store) as RootKeyStore, {
    deleteCustomerKey: async (ref: Parameters<RootKeyStore['deleteCustomerKey']>[0]) => {
      state.deletions += 1;
      if (state.failing) throw new Error('HSM unreachable');
      return store.deleteCustomerKey(ref);
    },
  });
  return { flaky, state };
}

describe('tenant shredding (service, dynalite)', () => {
  it('a shred under the policy executes by the scheduler; its receipt waits until the CPRK is gone from the store, then names every key', async () => {
    let now = Date.now();
    const signed: ReceiptClaims[] = [];
    const purged: Array<{ tenant: string; namespaces: readonly string[] }> = [];
    const { flaky, state: store } = flakyDeletion(fixture.rootKeyStore);
    const { service, keyMaterial, catalog } = fixture.harness({
      clock: () => new Date(now),
      rootKeys: flaky,
      destructionPolicy: { waitingPeriodMs: DAY, approvals: 1, requestTtlMs: 30 * DAY },
      receipts: { sign: async (claims) => (signed.push(claims), `receipt-of-${claims.request_id}`) },
      // Like the real purge: what it deleted once is not there the next time.
      tenantData: { purge: async (tenant, namespaces) => (purged.push({ tenant, namespaces }), { secret_items: purged.filter((call) => call.tenant === tenant).length === 1 ? 2 : 0 }) },
    });
    const tenant = fixture.newTenant();
    const cprk = await service.createCustomerKey(tenant);
    const wrapping = await service.createWrappingKey(tenant, cprk.kid, 'sha256');
    await service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(parseRsaPublicKey(wrapping.publicKeyPem), generateAes256Key(), 'sha256'));
    await service.rekey(tenant);
    const live = (await fixture.listAll(service, tenant)).filter((key) => key.state !== 'destroyed' && key.type !== 'environment-root-key');

    const request = await service.shredTenant(tenant, alice);
    expect(request).toMatchObject({ action: 'shred_tenant', state: 'pending' });
    expect([...request.kids].sort()).toEqual(live.map((key) => key.kid).sort());
    await service.approveDestructionRequest(tenant, request.id, 'bob');
    now += DAY;
    // The commit happens; the CPRK's deletion in the store fails, so the receipt is not issued yet.
    expect(await service.settleDueDestructions()).toMatchObject({ executed: 1 });
    await expect(service.listKeys(tenant, { page: 0, perPage: 50 })).rejects.toMatchObject({ code: 'tenant_shredded' });
    await expect(service.getDestructionReceipt(tenant, request.id)).rejects.toThrow('still being issued');
    expect(signed).toEqual([]);
    expect(await keyMaterial.list(tenant)).toEqual([]);

    store.failing = false;
    await service.settleDueDestructions();
    expect(await service.getDestructionReceipt(tenant, request.id)).toBe(`receipt-of-${request.id}`);
    expect(signed).toEqual([
      expect.objectContaining({
        request_id: request.id,
        tenant,
        action: 'shred_tenant',
        approved_by: [{ sub: 'bob', at: expect.any(String) }],
        root_key_store_operations: [{ kid: cprk.kid, operation: 'delete', detail: expect.stringContaining('development key file') }],
        deleted: { secret_items: 2 },
      }),
    ]);
    expect(signed[0]!.keys.map((key) => key.kid).sort()).toEqual(live.map((key) => key.kid).sort());
    // Purged once: the second try only waited for the store.
    expect(purged).toHaveLength(1);
    expect(purged.at(-1)!.tenant).toBe(tenant);
    expect([...purged.at(-1)!.namespaces].sort()).toEqual(['billing', 'default']);
    expect(await catalog.receiptsDue(tenant)).toEqual([]);
    // Nothing is due any more: the tenant leaves the scheduler's registry, and no second receipt is signed.
    await service.settleDueDestructions();
    expect(signed).toHaveLength(1);
    expect(await catalog.destructionTenants()).not.toContain(tenant);
    expect(await service.getDestructionRequest(tenant, request.id)).toMatchObject({ state: 'executed' });
    await expect(service.shredTenant(tenant, alice)).rejects.toMatchObject({ code: 'tenant_shredded' });
  });

  it('in AWS (a deactivation grace) the purge and the receipt wait until every data plane has seen the shred', async () => {
    let now = Date.now();
    const purged: string[] = [];
    const logged: Array<{ level: string; message: string }> = [];
    const record = (level: string) => (message: string) => void logged.push({ level, message });
    const { service } = fixture.harness({
      logger: { info: record('info'), warn: record('warn'), error: record('error') },
      clock: () => new Date(now),
      deactivationGraceMs: 65_000,
      receipts: { sign: async (claims) => `receipt-of-${claims.request_id}` },
      tenantData: { purge: async (tenant) => (purged.push(tenant), {}) },
    });
    const tenant = fixture.newTenant();
    await service.ensureProvisioned(tenant);
    const request = await service.shredTenant(tenant, alice);
    expect(request).toMatchObject({ state: 'executed' });
    await expect(service.getDestructionReceipt(tenant, request.id)).rejects.toThrow('still being issued');
    expect(purged).toEqual([]);
    // Waiting out the grace is expected: logged as a wait, never as a failure.
    expect(logged).toContainEqual({ level: 'info', message: 'issuing the destruction receipt waits; retried in the background (and by the next sweep)' });
    expect(logged.filter((entry) => entry.level !== 'info')).toEqual([]);
    now += 65_000;
    await service.settleDueDestructions();
    expect(purged).toEqual([tenant]);
    expect(await service.getDestructionReceipt(tenant, request.id)).toBe(`receipt-of-${request.id}`);
  });
});
