import { generateAes256Key, parseRsaPublicKey, rsaAesKeyWrap } from '@keyledger/crypto';
import { sleep, tenantStreamId, type KeyHierarchyEvent, type KeyRecord } from '@keyledger/domain';
import type { EventStore } from '@keyledger/event-store';
import { countingEventStore } from '@keyledger/event-store/testing';
import type { KeyHierarchyService } from './keyHierarchyService';
import { useServiceHarness } from './testing/serviceHarness';

const SNAPSHOT_EVERY = 5;
const fixture = useServiceHarness({ namespaces: ['default', 'secrets'], snapshotEvery: SNAPSHOT_EVERY, tenantPrefix: 'asof' });

/** Counts the commits the repository reads. */
const counting = (reads: { commits: number }) => (store: EventStore) => countingEventStore(store, reads);

/** The listing as the API pages it: every page of `perPage`, and the whole of it in one page. */
async function listing(page: (page: { page: number; perPage: number }) => Promise<{ keys: KeyRecord[]; total: number }>) {
  const pages: Array<{ keys: KeyRecord[]; total: number }> = [];
  for (let index = 0; ; index += 1) {
    const { keys, total } = await page({ page: index, perPage: 4 });
    pages.push({ keys, total });
    if (keys.length === 0) break;
  }
  const { keys, total } = await page({ page: 0, perPage: 100 });
  return { pages, all: { keys, total } };
}

/** The instant just after everything so far; the next commit is at least a millisecond later. */
async function instant(): Promise<Date> {
  const at = new Date();
  await sleep(2);
  return at;
}

async function byokImport(service: KeyHierarchyService, tenant: string) {
  const cprk = await service.createCustomerKey(tenant);
  const { publicKeyPem } = await service.createWrappingKey(tenant, cprk.kid, 'sha256');
  await service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(parseRsaPublicKey(publicKeyPem), generateAes256Key(), 'sha256'));
  return cprk.kid;
}

describe('the hierarchy as it was at an instant', () => {
  jest.setTimeout(180_000);

  it('equals the listing saved at each instant (every page), through rekeys, retirements and BYOK, reading a bounded number of commits', async () => {
    const reads = { commits: 0 };
    const { service, eventStore } = fixture.harness({ wrapEventStore: counting(reads) });
    const tenant = fixture.newTenant();
    const saved: Array<{ at: Date; listing: Awaited<ReturnType<typeof listing>> }> = [];
    const save = async () => saved.push({ listing: await listing((page) => service.listKeys(tenant, page)), at: await instant() });

    let pending: string | undefined;
    await save();
    for (let round = 0; round < 20; round += 1) {
      const { deactivated } = await service.rekey(tenant);
      await save();
      if (round % 3 === 1) for (const kid of Object.values(deactivated)) await service.deleteKey(tenant, kid);
      if (round === 4) {
        const cprk = await byokImport(service, tenant);
        await save();
        await service.rekey(tenant);
        await service.deleteKey(tenant, cprk);
      }
      if (round === 8) pending = (await service.createCustomerKey(tenant)).kid;
      if (round === 9) await service.createWrappingKey(tenant, pending!);
      await save();
    }
    const version = (await eventStore.readStream(tenantStreamId(tenant))).length;
    expect(version).toBeGreaterThan(8 * SNAPSHOT_EVERY + 1);

    const asOf = fixture.harness({ wrapEventStore: counting(reads) }).service;
    const read: number[] = [];
    const pageAsOf = (at: Date) => async (page: { page: number; perPage: number }) => {
      reads.commits = 0;
      const { keys, total, commitsRead } = await asOf.listKeysAsOf(tenant, at, page);
      expect(commitsRead).toBe(reads.commits);
      read.push(commitsRead);
      return { keys, total };
    };
    for (const { at, listing: then } of saved) expect(await listing(pageAsOf(at))).toEqual(then);
    // Each page is one read of the state then: a history snapshot and at most a page of commits after it.
    expect(Math.max(...read)).toBeLessThanOrEqual(SNAPSHOT_EVERY + 1);
    const now = await asOf.listKeysAsOf(tenant, new Date(), { page: 0, perPage: 100 });
    expect(now).toMatchObject((await listing((page) => service.listKeys(tenant, page))).all);
    expect(now.version).toBe(version);
  });

  it('is empty before the tenant’s first commit, and provisions nothing', async () => {
    const { service, eventStore } = fixture.harness();
    const tenant = fixture.newTenant();
    const before = await instant();
    expect(await service.listKeysAsOf(tenant, new Date(), { page: 0, perPage: 50 })).toEqual({ keys: [], total: 0, version: 0, commitsRead: 0 });
    expect(await eventStore.readStream(tenantStreamId(tenant))).toEqual([]);
    await service.ensureProvisioned(tenant);
    expect(await service.listKeysAsOf(tenant, before, { page: 0, perPage: 50 })).toMatchObject({ keys: [], total: 0 });
    expect((await service.listKeysAsOf(tenant, new Date(), { page: 0, perPage: 50 })).total).toBe(4);
    expect(await eventStore.readStream(tenantStreamId(tenant))).toHaveLength(1);
  });

  it('lists a hierarchy from before the key catalog, not yet backfilled, with its destroyed keys, and writes nothing', async () => {
    const { service, eventStore, catalog } = fixture.harness();
    const tenant = fixture.newTenant();
    const now = '2026-01-01T00:00:00.000Z';
    const erk = (await fixture.rootKeyStore.describeRootKey()).kid;
    const created = (kid: string, keyType: 'tenant-master-key' | 'tenant-encryption-key', parentKid: string, namespace: string | null) =>
      ({ type: 'KeyCreated', data: { kid, keyType, state: 'active', parentKid, namespace, fingerprint: null, cause: 'provision', occurredAt: now } }) as KeyHierarchyEvent;
    // As an older keyledger wrote it: no catalog version, so the catalog holds nothing of it.
    await eventStore.append(tenantStreamId(tenant), 0, [
      { type: 'TenantProvisioned', data: { tenant, rootKey: { kid: erk, createdAt: now }, occurredAt: now } },
      created('old-tmk', 'tenant-master-key', erk, null),
      created('old-d', 'tenant-encryption-key', 'old-tmk', 'default'),
      created('old-s', 'tenant-encryption-key', 'old-tmk', 'secrets'),
      created('new-tmk', 'tenant-master-key', erk, null),
      { type: 'KeysRewrapped', data: { kids: ['old-d', 'old-s'], fromParentKid: 'old-tmk', toParentKid: 'new-tmk', cause: 'rekey', occurredAt: now } },
      { type: 'KeyStateChanged', data: { kid: 'old-tmk', keyType: 'tenant-master-key', from: 'active', to: 'destroyed', cause: 'rekey', occurredAt: now } },
    ]);
    const at = await instant();
    const asOf = await service.listKeysAsOf(tenant, at, { page: 0, perPage: 50 });
    expect(asOf.keys.map((key) => [key.kid, key.state, key.seq])).toEqual([
      ['new-tmk', 'active', 4],
      ['old-s', 'active', 3],
      ['old-d', 'active', 2],
      ['old-tmk', 'destroyed', 1],
      [erk, 'active', 0],
    ]);
    expect(await eventStore.readStream(tenantStreamId(tenant))).toHaveLength(1);
    expect(await catalog.range(tenant, 0, 10)).toEqual([]);
    // The listing backfills the catalog; the hierarchy then, read again, is the same.
    const { keys } = await service.listKeys(tenant, { page: 0, perPage: 50 });
    expect(keys).toEqual(asOf.keys);
    expect((await service.listKeysAsOf(tenant, at, { page: 0, perPage: 50 })).keys).toEqual(asOf.keys);
  });
});
