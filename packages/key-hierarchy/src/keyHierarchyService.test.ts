import { ConcurrencyError, IntegrityError, RootKeyStoreError, tenantStreamId, type KeyRecord } from '@keyledger/domain';
import { DelegatingRootKeyStore, type RootKeyStore } from '@keyledger/root-key-store';
import { namespaceKeyAad, tenantMasterKeyContext } from './material/materialCodec';
import { generateAes256Key, seal } from '@keyledger/crypto';
import { itemContains, scanAllTables } from './testing/tableScan';
import { useServiceHarness } from './testing/serviceHarness';

const fixture = useServiceHarness({ namespaces: ['default', 'secrets'], snapshotEvery: 3, tenantPrefix: 't' });
const scanAll = () => scanAllTables(fixture.dynamo);
const { harness, newTenant } = fixture;

const summary = (keys: KeyRecord[]) => keys.map((key) => `${key.type}:${key.state}`);
const activeOf = (keys: KeyRecord[], type: KeyRecord['type']) => keys.filter((key) => key.type === type && key.state === 'active');

describe('KeyHierarchyService against dynalite and the software root key store', () => {
  it("provisions a tenant's hierarchy on first use: ERK, one active TMK, one active key per namespace", async () => {
    const { service, keyMaterial } = harness();
    const tenant = newTenant();
    const keys = await fixture.listAll(service, tenant);
    expect(summary(keys)).toEqual([
      'environment-root-key:active',
      'tenant-master-key:active',
      'tenant-encryption-key:active',
      'tenant-encryption-key:active',
    ]);
    const [erk, tmk, ...namespaceKeys] = keys;
    expect(erk!.kid).toBe((await fixture.rootKeyStore.describeRootKey()).kid);
    expect(tmk!.parentKid).toBe(erk!.kid);
    expect(namespaceKeys.map((key) => [key.namespace, key.parentKid])).toEqual([
      ['default', tmk!.kid],
      ['secrets', tmk!.kid],
    ]);
    expect((await keyMaterial.list(tenant)).map((entry) => `${entry.kid}#${entry.parentKid}`).sort()).toEqual(
      [`${tmk!.kid}#${erk!.kid}`, ...namespaceKeys.map((key) => `${key.kid}#${tmk!.kid}`)].sort(),
    );
  });

  it('provisions exactly once under many concurrent first calls, leaving no stray material', async () => {
    const { service, eventStore, keyMaterial } = harness();
    const tenant = newTenant();
    const results = await Promise.all(Array.from({ length: 8 }, () => service.ensureProvisioned(tenant)));
    expect(new Set(results.map((state) => state.activeTmkKid)).size).toBe(1);
    const commits = await eventStore.readStream(tenantStreamId(tenant));
    expect(commits).toHaveLength(1);
    expect(await keyMaterial.list(tenant)).toHaveLength(3);
  });

  it('rekeys: new active TMK, previous destroyed, namespace keys rotated and all re-wrapped under the new TMK', async () => {
    const { service, keyMaterial } = harness();
    const tenant = newTenant();
    const before = await fixture.listAll(service, tenant);
    const result = await service.rekey(tenant);
    const after = await fixture.listAll(service, tenant);

    const previousTmk = before.find((key) => key.type === 'tenant-master-key')!;
    expect(result.previousTmkKid).toBe(previousTmk.kid);
    expect(activeOf(after, 'tenant-master-key').map((key) => key.kid)).toEqual([result.tmkKid]);
    expect(after.find((key) => key.kid === previousTmk.kid)?.state).toBe('destroyed');
    for (const old of before.filter((key) => key.type === 'tenant-encryption-key')) {
      expect(after.find((key) => key.kid === old.kid)).toMatchObject({ state: 'deactivated', parentKid: result.tmkKid });
    }
    expect(activeOf(after, 'tenant-encryption-key').map((key) => [key.namespace, key.parentKid])).toEqual([
      ['default', result.tmkKid],
      ['secrets', result.tmkKid],
    ]);
    // Material: one TMK entry, and each of the four namespace keys wrapped once, under the new TMK.
    const entries = await keyMaterial.list(tenant);
    expect(entries.filter((entry) => entry.kid === previousTmk.kid)).toEqual([]);
    expect(entries.filter((entry) => entry.parentKid === previousTmk.kid)).toEqual([]);
    expect(entries).toHaveLength(5);
    // A second rekey still finds and unwraps everything (fingerprints are checked on unwrap).
    await expect(service.rekey(tenant)).resolves.toMatchObject({ previousTmkKid: result.tmkKid });
  });

  it('after a rekey no table holds the destroyed TMK, wrapped or in the clear', async () => {
    const { service, keyMaterial } = harness();
    const tenant = newTenant();
    const tmk = activeOf(await fixture.listAll(service, tenant), 'tenant-master-key')[0]!;
    const entry = (await keyMaterial.get({ tenant, kid: tmk.kid, parentKid: tmk.parentKid! }))!;
    const wrapped = Buffer.from(entry.wrappedKey);
    const plaintext = await fixture.rootKeyStore.unwrapKey({
      rootKid: tmk.parentKid!,
      wrappedKey: wrapped,
      encryptionContext: tenantMasterKeyContext(tenant, tmk.kid),
    });
    // The scan does find them before the rekey, so it can find them at all.
    expect((await scanAll()).some((item) => itemContains(item, wrapped))).toBe(true);

    await service.rekey(tenant);

    const items = await scanAll();
    expect(items.length).toBeGreaterThan(5);
    expect(items.filter((item) => itemContains(item, wrapped))).toEqual([]);
    expect(items.filter((item) => itemContains(item, plaintext))).toEqual([]);
  });

  it('two concurrent rekeys of one tenant: one active TMK, every commit intact, no lost or duplicated events', async () => {
    const { service, eventStore, keyMaterial } = harness();
    const tenant = newTenant();
    await service.ensureProvisioned(tenant);
    const outcomes = await Promise.allSettled([service.rekey(tenant), service.rekey(tenant)]);
    const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ConcurrencyError);
    }
    expect(succeeded.length).toBeGreaterThanOrEqual(1);

    const commits = await eventStore.readStream(tenantStreamId(tenant));
    expect(commits.map((commit) => commit.version)).toEqual(commits.map((_, i) => i + 1));
    const events = commits.flatMap((commit) => commit.events);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
    expect(events.filter((event) => event.type === 'TenantRekeyed')).toHaveLength(succeeded.length);

    const keys = await fixture.listAll(service, tenant);
    expect(activeOf(keys, 'tenant-master-key')).toHaveLength(1);
    expect(keys.filter((key) => key.type === 'tenant-master-key' && key.state === 'destroyed')).toHaveLength(succeeded.length);
    const activeTmk = activeOf(keys, 'tenant-master-key')[0]!;
    const entries = await keyMaterial.list(tenant);
    expect(entries.filter((entry) => entry.parentKid === activeTmk.parentKid).map((entry) => entry.kid)).toEqual([activeTmk.kid]);
    expect(keys.filter((key) => key.type === 'tenant-encryption-key').every((key) => key.parentKid === activeTmk.kid)).toBe(true);
  });

  it('a root key store failure during rekey changes nothing and leaves no staged material', async () => {
    const tenant = newTenant();
    const failing: RootKeyStore = new (class extends DelegatingRootKeyStore {
      override async wrapKey(): Promise<never> {
        throw new RootKeyStoreError('unavailable', 'injected failure');
      }
    })(fixture.rootKeyStore);
    const { service: healthy, keyMaterial, eventStore } = harness();
    const before = await fixture.listAll(healthy, tenant);
    const materialBefore = await keyMaterial.list(tenant);
    await expect(harness({ rootKeys: failing }).service.rekey(tenant)).rejects.toBeInstanceOf(RootKeyStoreError);
    expect(await fixture.listAll(healthy, tenant)).toEqual(before);
    expect(await eventStore.readStream(tenantStreamId(tenant))).toHaveLength(1);
    expect((await keyMaterial.list(tenant)).map((e) => e.kid).sort()).toEqual(materialBefore.map((e) => e.kid).sort());
  });

  it('refuses material that unwraps cleanly but is not the key the log recorded (fingerprint check)', async () => {
    const { service, keyMaterial } = harness();
    const tenant = newTenant();
    const keys = await fixture.listAll(service, tenant);
    const tmk = activeOf(keys, 'tenant-master-key')[0]!;
    const namespaceKey = activeOf(keys, 'tenant-encryption-key')[0]!;
    const tmkEntry = (await keyMaterial.get({ tenant, kid: tmk.kid, parentKid: tmk.parentKid! }))!;
    const tmkBytes = await fixture.rootKeyStore.unwrapKey({
      rootKid: tmk.parentKid!,
      wrappedKey: tmkEntry.wrappedKey,
      encryptionContext: tenantMasterKeyContext(tenant, tmk.kid),
    });
    // A substitute key wrapped correctly (right TMK, right AAD): only the fingerprint can tell.
    const substitute = seal(tmkBytes, generateAes256Key(), namespaceKeyAad(tenant, namespaceKey.kid, namespaceKey.namespace!, tmk.kid));
    await keyMaterial.delete({ tenant, kid: namespaceKey.kid, parentKid: tmk.kid });
    await keyMaterial.put({ tenant, kid: namespaceKey.kid, parentKid: tmk.kid, wrappedKey: substitute, algorithm: 'AES_256_GCM', createdAt: new Date().toISOString() });

    await expect(service.rekey(tenant)).rejects.toThrow(
      new IntegrityError(`Key material for ${namespaceKey.kid} does not match its recorded fingerprint.`),
    );
    expect(await fixture.listAll(service, tenant)).toEqual(keys);
  });

  it('sweeps material no committed key owns only after the grace period', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const { service, keyMaterial, repository } = harness({ clock: () => now });
    const tenant = newTenant();
    await service.ensureProvisioned(tenant);
    await keyMaterial.put({ tenant, kid: 'crashed-attempt', parentKid: 'x', wrappedKey: Buffer.alloc(40, 3), algorithm: 'AES_256_GCM', createdAt: now.toISOString() });
    const { state } = await repository.load(tenantStreamId(tenant));
    expect(await service.sweep(tenant, state)).toBe(0);
    now = new Date(now.getTime() + 16 * 60_000);
    expect(await service.sweep(tenant, state)).toBe(1);
    expect(await keyMaterial.get({ tenant, kid: 'crashed-attempt', parentKid: 'x' })).toBeUndefined();
    expect(await keyMaterial.list(tenant)).toHaveLength(3);
  });

  it('keeps a fresh entry under another live parent (a command of another process staged it), and sweeps it once old', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const { service, keyMaterial, repository } = harness({ clock: () => now });
    const tenant = newTenant();
    await service.ensureProvisioned(tenant);
    const keys = await fixture.listAll(service, tenant);
    const tmk = activeOf(keys, 'tenant-master-key')[0]!;
    const namespaceKey = activeOf(keys, 'tenant-encryption-key')[0]!;
    // The namespace key staged under the (live) ERK, as a re-wrap in flight elsewhere might stage it.
    await keyMaterial.put({ tenant, kid: namespaceKey.kid, parentKid: tmk.parentKid!, wrappedKey: Buffer.alloc(40, 5), algorithm: 'AES_256_GCM', createdAt: now.toISOString() });
    const { state } = await repository.load(tenantStreamId(tenant));
    expect(await service.sweep(tenant, state)).toBe(0);
    now = new Date(now.getTime() + 16 * 60_000);
    expect(await service.sweep(tenant, state)).toBe(1);
    expect(await keyMaterial.get({ tenant, kid: namespaceKey.kid, parentKid: tmk.parentKid! })).toBeUndefined();
    expect(await keyMaterial.get({ tenant, kid: namespaceKey.kid, parentKid: tmk.kid })).toBeDefined();
  });

  it('answers IntegrityError, not a retry loop, when material is missing and the stream has not moved', async () => {
    const { service, keyMaterial } = harness();
    const tenant = newTenant();
    const tmk = activeOf(await fixture.listAll(service, tenant), 'tenant-master-key')[0]!;
    await keyMaterial.delete({ tenant, kid: tmk.kid, parentKid: tmk.parentKid! });
    await expect(service.rekey(tenant)).rejects.toBeInstanceOf(IntegrityError);
  });
});
