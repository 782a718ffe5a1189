import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { tenantStreamId, type KeyHierarchyEvent, type KeyRecord } from '@keyledger/domain';
import { SNAPSHOTS_ATTR } from '@keyledger/dynamodb';
import { useServiceHarness } from './testing/serviceHarness';

const SNAPSHOT_EVERY = 20;
const fixture = useServiceHarness({ namespaces: ['default', 'secrets'], snapshotEvery: SNAPSHOT_EVERY, tenantPrefix: 'hist' });
/** One namespace where only the count of keys matters: half the work (`npm run bench` runs the same with two, and prints the figures). */
const oneNamespace = useServiceHarness({ namespaces: ['default'], snapshotEvery: SNAPSHOT_EVERY, tenantPrefix: 'hist1' });
/** DynamoDB's item limit. */
const MAX_ITEM_BYTES = 400 * 1024;

async function snapshotBytes(tenant: string): Promise<number> {
  const { Item } = await oneNamespace.dynamo.client.send(
    new GetItemCommand({ TableName: oneNamespace.dynamo.tables.snapshots, Key: { [SNAPSHOTS_ATTR.streamId]: { S: tenantStreamId(tenant) } } }),
  );
  return Buffer.byteLength(Item?.[SNAPSHOTS_ATTR.state]?.S ?? '');
}

/** Every page of the listing, as the API pages it. */
async function pages(service: { listKeys: ReturnType<typeof fixture.harness>['service']['listKeys'] }, tenant: string, perPage: number) {
  const all: KeyRecord[] = [];
  let total: number;
  for (let page = 0; ; page += 1) {
    const result = await service.listKeys(tenant, { page, perPage });
    total = result.total;
    if (result.keys.length === 0) break;
    all.push(...result.keys);
  }
  return { all, total };
}

describe('a hierarchy whose history grows', () => {
  jest.setTimeout(240_000);

  it('300 rekeys without retirement: every rekey completes, commits stay small, the snapshot fits one item, a load is one snapshot and a short tail, the listing pages', async () => {
    const { service, eventStore, repository } = oneNamespace.harness();
    const tenant = oneNamespace.newTenant();
    await service.ensureProvisioned(tenant);
    for (let i = 0; i < 300; i += 1) await service.rekey(tenant);

    const commits = await eventStore.readStream(tenantStreamId(tenant));
    const largest = Math.max(...commits.map((commit) => JSON.stringify(commit.events).length));
    expect(largest).toBeLessThan(8 * 1024);
    const bytes = await snapshotBytes(tenant);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(MAX_ITEM_BYTES);
    const loaded = await repository.load(tenantStreamId(tenant));
    expect(loaded.version - loaded.snapshotVersion).toBeLessThan(SNAPSHOT_EVERY);
    if (loaded.state.status !== 'provisioned') throw new Error('not provisioned');
    expect(loaded.state.keys).toHaveLength(2 + 301);

    const { all, total } = await pages(service, tenant, 100);
    expect(total).toBe(1 + 2 * 301);
    expect(all).toHaveLength(total);
    expect(all.map((key) => key.seq)).toEqual(Array.from({ length: total }, (_, i) => total - 1 - i));
    expect(all.filter((key) => key.state === 'destroyed').map((key) => key.type)).toEqual(Array(300).fill('tenant-master-key'));
  });

  it('rekeys with the previous generation retired keep the decision state the same size', async () => {
    const { service, repository } = fixture.harness();
    const tenant = fixture.newTenant();
    const sizes: number[] = [];
    for (let i = 0; i < 25; i += 1) {
      const { deactivated } = await service.rekey(tenant);
      for (const kid of Object.values(deactivated)) await service.deleteKey(tenant, kid);
      sizes.push(JSON.stringify((await repository.load(tenantStreamId(tenant))).state).length);
    }
    // Only the ids' bytes differ from one rekey to the next.
    expect(Math.max(...sizes.slice(1)) - Math.min(...sizes.slice(1))).toBeLessThan(64);
    const { all, total } = await pages(service, tenant, 7);
    expect(total).toBe(4 + 25 * 3);
    expect(new Set(all.map((key) => key.kid)).size).toBe(total);
    expect(all.filter((key) => key.state !== 'destroyed').map((key) => key.type).sort()).toEqual(
      ['environment-root-key', 'tenant-encryption-key', 'tenant-encryption-key', 'tenant-master-key'],
    );
  });

  it('writes the destroyed keys of a hierarchy from before the catalog to it once, with their places in the listing', async () => {
    const { service, eventStore } = fixture.harness();
    const tenant = fixture.newTenant();
    const now = '2026-01-01T00:00:00.000Z';
    const created = (kid: string, keyType: 'tenant-master-key' | 'tenant-encryption-key', parentKid: string, namespace: string | null) =>
      ({ type: 'KeyCreated', data: { kid, keyType, state: 'active', parentKid, namespace, fingerprint: null, cause: 'provision', occurredAt: now } }) as KeyHierarchyEvent;
    const erk = (await fixture.rootKeyStore.describeRootKey()).kid;
    // A stream as an older keyledger wrote it: no catalog version, re-wraps listing their keys. (No material: it is never read here.)
    await eventStore.append(tenantStreamId(tenant), 0, [
      { type: 'TenantProvisioned', data: { tenant, rootKey: { kid: erk, createdAt: now }, occurredAt: now } },
      created('old-tmk', 'tenant-master-key', erk, null),
      created('old-d', 'tenant-encryption-key', 'old-tmk', 'default'),
      created('old-s', 'tenant-encryption-key', 'old-tmk', 'secrets'),
      created('new-tmk', 'tenant-master-key', erk, null),
      { type: 'KeysRewrapped', data: { kids: ['old-d', 'old-s'], fromParentKid: 'old-tmk', toParentKid: 'new-tmk', cause: 'rekey', occurredAt: now } },
      { type: 'KeyStateChanged', data: { kid: 'old-tmk', keyType: 'tenant-master-key', from: 'active', to: 'destroyed', cause: 'rekey', occurredAt: now } },
    ]);

    const { all, total } = await pages(service, tenant, 2);
    expect(total).toBe(5);
    expect(all.map((key) => [key.kid, key.state, key.seq])).toEqual([
      ['new-tmk', 'active', 4],
      ['old-s', 'active', 3],
      ['old-d', 'active', 2],
      ['old-tmk', 'destroyed', 1],
      [erk, 'active', 0],
    ]);
    await service.ensureProvisioned(tenant);
    const backfills = (await eventStore.readStream(tenantStreamId(tenant))).flatMap((commit) => commit.events).filter((event) => event.type === 'KeyCatalogBackfilled');
    expect(backfills).toEqual([expect.objectContaining({ data: expect.objectContaining({ keys: 1 }) })]);
  });

  it("a crash between a retirement's commit and the deletion of its material is swept by the next process", async () => {
    const { service, keyMaterial } = fixture.harness();
    const tenant = fixture.newTenant();
    const kid = (await service.rekey(tenant)).deactivated['default']!;
    const entry = (await keyMaterial.list(tenant)).find((candidate) => candidate.kid === kid)!;
    await service.deleteKey(tenant, kid);
    // As if the process had died before its follow-up: the entry is back.
    await keyMaterial.put(entry);
    await fixture.listAll(fixture.harness().service, tenant);
    expect((await keyMaterial.list(tenant)).filter((candidate) => candidate.kid === kid)).toEqual([]);
  });
});
