import { GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { IllegalKeyStateError, KeyInUseError, NotFoundError, tenantStreamId, type KeyRecord } from '@keyledger/domain';
import type { HierarchyChange } from './context';
import { itemContains, scanAllTables } from './testing/tableScan';
import { useServiceHarness } from './testing/serviceHarness';

const fixture = useServiceHarness({ namespaces: ['default', 'secrets'], snapshotEvery: 5, tenantPrefix: 'ret' });
const DAY = 86_400_000;

/** A clock the test moves. */
function movableClock(start = Date.parse('2026-06-01T00:00:00.000Z')) {
  let now = start;
  return { clock: () => new Date(now), advance: (ms: number) => (now += ms) };
}

const deactivated = (keys: KeyRecord[]) => keys.filter((key) => key.type === 'tenant-encryption-key' && key.state === 'deactivated');

async function materialKids(): Promise<string[]> {
  const { Items } = await fixture.dynamo.client.send(new ScanCommand({ TableName: fixture.dynamo.tables.keyMaterial }));
  return (Items ?? []).map((item) => item['kid']?.S ?? '');
}

describe('retiring deactivated namespace keys', () => {
  it('destroys a deactivated key nothing depends on: listed destroyed, material gone, caches told, event written', async () => {
    const changes: HierarchyChange[] = [];
    const { service, eventStore } = fixture.harness({ onChange: (change) => changes.push(change) });
    const tenant = fixture.newTenant();
    const { deactivated: old } = await service.rekey(tenant);
    const kid = old['default']!;
    expect(await materialKids()).toContain(kid);

    await expect(service.deleteKey(tenant, kid)).resolves.toBe('destroyed');

    expect(await service.getKey(tenant, kid)).toMatchObject({ kid, state: 'destroyed', type: 'tenant-encryption-key', namespace: 'default' });
    expect((await fixture.listAll(service, tenant)).find((key) => key.kid === kid)?.state).toBe('destroyed');
    expect(await materialKids()).not.toContain(kid);
    expect(changes.at(-1)).toEqual({ tenant, destroyed: [kid] });
    const last = (await eventStore.readStream(tenantStreamId(tenant))).at(-1)!;
    expect(last.events).toEqual([
      expect.objectContaining({ type: 'KeyStateChanged', data: expect.objectContaining({ kid, from: 'deactivated', to: 'destroyed', cause: 'retire' }) }),
    ]);
    // Again: already destroyed, nothing changes.
    const version = (await eventStore.readStream(tenantStreamId(tenant))).length;
    await expect(service.deleteKey(tenant, kid)).resolves.toBe('already-destroyed');
    expect(await eventStore.readStream(tenantStreamId(tenant))).toHaveLength(version);
  });

  it('leaves no copy of a retired key in any table, wrapped or in the clear', async () => {
    const { service, keyMaterial } = fixture.harness();
    const tenant = fixture.newTenant();
    const kid = (await service.rekey(tenant)).deactivated['default']!;
    const loaded = await service.openTenant(tenant);
    const plaintext = (await service.unwrapNamespaceKeys(tenant, loaded, [kid])).get(kid)!;
    const wrapped = Buffer.from((await keyMaterial.list(tenant)).find((entry) => entry.kid === kid)!.wrappedKey);
    // The scan finds them before, so it can find them at all.
    expect((await scanAllTables(fixture.dynamo)).some((item) => itemContains(item, wrapped))).toBe(true);

    await service.deleteKey(tenant, kid);

    const items = await scanAllTables(fixture.dynamo);
    expect(items.filter((item) => itemContains(item, wrapped))).toEqual([]);
    expect(items.filter((item) => itemContains(item, plaintext))).toEqual([]);
  });

  it('refuses with key_in_use, changing nothing, while stored secrets depend on the key', async () => {
    const { service, eventStore, usage } = fixture.harness();
    const tenant = fixture.newTenant();
    const kid = (await service.rekey(tenant)).deactivated['secrets']!;
    usage.secretVersions.set(kid, 3);
    usage.lastDecryptAt.set(kid, '2026-05-30T10:00:00.000Z');
    const before = await eventStore.readStream(tenantStreamId(tenant));

    const refused = service.deleteKey(tenant, kid);
    await expect(refused).rejects.toBeInstanceOf(KeyInUseError);
    await expect(refused).rejects.toThrow(`Key ${kid} still protects 3 stored secret versions (last decrypt: 2026-05-30T10:00:00.000Z)`);
    expect(await eventStore.readStream(tenantStreamId(tenant))).toHaveLength(before.length);
    expect(await materialKids()).toContain(kid);
  });

  it('keeps a key for the quiet period after its last decrypt; a key nothing used goes at once, as DELETE does in Auth0', async () => {
    const time = movableClock();
    const { service, usage } = fixture.harness({ clock: time.clock, retireQuietPeriodMs: 7 * DAY });
    const tenant = fixture.newTenant();
    const { deactivated: old } = await service.rekey(tenant);
    time.advance(DAY);
    usage.lastDecryptAt.set(old['default']!, time.clock().toISOString());
    time.advance(6 * DAY);
    await expect(service.deleteKey(tenant, old['default']!)).rejects.toThrow(
      new KeyInUseError(
        `Key ${old['default']} was last used for a decrypt at 2026-06-02T00:00:00.000Z, within the retire quiet period (P7D, KEYLEDGER_RETIRE_QUIET_PERIOD); ` +
          'it can be retired from 2026-06-09T00:00:00.000Z if nothing decrypts with it until then.',
      ),
    );
    await expect(service.deleteKey(tenant, old['secrets']!)).resolves.toBe('destroyed');
    time.advance(DAY);
    await expect(service.deleteKey(tenant, old['default']!)).resolves.toBe('destroyed');
  });

  it('keeps a key, whatever the quiet period, until data planes that cache the hierarchy have seen its deactivation (AWS)', async () => {
    const time = movableClock();
    const { service } = fixture.harness({ clock: time.clock, retireQuietPeriodMs: 0, deactivationGraceMs: 65_000 });
    const tenant = fixture.newTenant();
    const { deactivated: old } = await service.rekey(tenant);
    time.advance(64_000);
    await expect(service.deleteKey(tenant, old['default']!)).rejects.toThrow(
      new KeyInUseError(
        `Key ${old['default']} was deactivated at 2026-06-01T00:00:00.000Z; data planes that have not seen the rekey yet may still encrypt under it. ` +
          'It can be retired from 2026-06-01T00:01:05.000Z.',
      ),
    );
    time.advance(1_000);
    await expect(service.deleteKey(tenant, old['default']!)).resolves.toBe('destroyed');
  });

  it('refuses the active namespace key, the TMK and the ERK with invalid_key_state, and an unknown key with 404', async () => {
    const { service } = fixture.harness();
    const tenant = fixture.newTenant();
    const keys = await fixture.listAll(service, tenant);
    const active = keys.find((key) => key.type === 'tenant-encryption-key')!;
    const tmk = keys.find((key) => key.type === 'tenant-master-key')!;
    const erk = keys.find((key) => key.type === 'environment-root-key')!;
    await expect(service.deleteKey(tenant, active.kid)).rejects.toThrow(new IllegalKeyStateError(`Key ${active.kid} is the active key of namespace '${active.namespace}'; rekey first, then retire it once it is deactivated.`));
    await expect(service.deleteKey(tenant, tmk.kid)).rejects.toBeInstanceOf(IllegalKeyStateError);
    await expect(service.deleteKey(tenant, erk.kid)).rejects.toBeInstanceOf(IllegalKeyStateError);
    await expect(service.deleteKey(tenant, 'no-such-key')).rejects.toBeInstanceOf(NotFoundError);
    expect(await fixture.listAll(service, tenant)).toEqual(keys);
  });

  it('answers a DELETE that lost a race with another to the same key as done, not 404', async () => {
    const { service, usage } = fixture.harness();
    const tenant = fixture.newTenant();
    const kid = (await service.rekey(tenant)).deactivated['default']!;
    let firstDone!: () => void;
    const firstCommitted = new Promise<void>((resolve) => (firstDone = resolve));
    // The second DELETE has read the key as deactivated; it decides only after the first committed.
    const late = fixture.harness({ dependents: { ...usage.dependents, decrypts: async (...args) => (await firstCommitted, usage.dependents.decrypts(...args)) } }).service;
    const second = late.deleteKey(tenant, kid);
    await expect(service.deleteKey(tenant, kid)).resolves.toBe('destroyed');
    firstDone();
    await expect(second).resolves.toBe('already-destroyed');
  });

  it('retires a key of a tenant from before the secrets were counted by key only once its namespace was scanned', async () => {
    const { service, usage } = fixture.harness();
    const tenant = fixture.newTenant();
    await service.ensureProvisioned(tenant);
    // As an older keyledger wrote it: a provisioning event without a catalog (storage) version.
    const first = { stream_id: { S: tenantStreamId(tenant) }, version: { N: '1' } };
    const { Item } = await fixture.dynamo.client.send(new GetItemCommand({ TableName: fixture.dynamo.tables.events, Key: first }));
    const events = Item!['events']!.S!.replace('"catalogVersion":1,', '');
    expect(events).not.toContain('catalogVersion');
    await fixture.dynamo.client.send(new PutItemCommand({ TableName: fixture.dynamo.tables.events, Item: { ...Item, events: { S: events } } }));

    const legacy = fixture.harness({ dependents: { ...usage.dependents, secretsIndexed: async (_tenant, namespace) => namespace === 'default' } }).service;
    const { deactivated: old } = await legacy.rekey(tenant);
    await expect(legacy.deleteKey(tenant, old['secrets']!)).rejects.toThrow(
      new KeyInUseError(`Key ${old['secrets']} may still protect stored secrets written before keyledger counted them by key: run POST /v1/secrets/reencrypt?namespace=secrets once (it moves and counts them), then retry.`),
    );
    await expect(legacy.deleteKey(tenant, old['default']!)).resolves.toBe('destroyed');
  });

  it('retires quiet, unused deactivated keys automatically where the tenant asks for it, as a retirement of its own cause', async () => {
    const time = movableClock();
    const { service, usage, eventStore } = fixture.harness({ clock: time.clock });
    const tenant = fixture.newTenant();
    const bystander = fixture.newTenant();
    const { deactivated: old } = await service.rekey(tenant);
    await service.rekey(bystander);
    await expect(service.setRetention(tenant, 'P30D')).resolves.toEqual({ autoRetireAfter: 'P30D' });
    usage.secretVersions.set(old['secrets']!, 1);

    time.advance(29 * DAY);
    expect((await service.retireByRetention()).retired).toEqual([]);
    time.advance(2 * DAY);
    expect((await service.retireByRetention()).retired).toEqual([old['default']]);

    expect((await service.getKey(tenant, old['default']!)).state).toBe('destroyed');
    expect((await service.getKey(tenant, old['secrets']!)).state).toBe('deactivated');
    expect(deactivated(await fixture.listAll(service, bystander))).toHaveLength(2);
    const causes = (await eventStore.readStream(tenantStreamId(tenant))).flatMap((commit) => commit.events).filter((event) => event.type === 'KeyStateChanged');
    expect(causes.at(-1)?.data).toMatchObject({ kid: old['default'], to: 'destroyed', cause: 'retention' });
    await expect(service.setRetention(tenant, null)).resolves.toEqual({ autoRetireAfter: null });
    expect(await service.getRetention(tenant)).toEqual({ autoRetireAfter: null });
  });
});
