import { IllegalKeyStateError } from '@keyledger/domain';
import { useServiceHarness } from '@keyledger/key-hierarchy/testing';
import { DelegatingRootKeyStore, type UnwrapKeyInput, type WrapKeyInput } from '@keyledger/root-key-store';
import { CryptoDataPlane } from './cryptoDataPlane';
import { parseEnvelope } from './envelope/envelope';
import { NamespaceNotFoundError, UndecryptableError } from './errors';
import type { DataPlaneLimits } from './limits';

const fixture = useServiceHarness({ namespaces: ['default', 'secrets'], snapshotEvery: 5, tenantPrefix: 'dp' });

/** Counts what reaches the root key store (KMS or an HSM in production). */
class CountingRootKeyStore extends DelegatingRootKeyStore {
  calls = 0;
  override wrapKey(input: WrapKeyInput) {
    this.calls += 1;
    return super.wrapKey(input);
  }
  override unwrapKey(input: UnwrapKeyInput) {
    this.calls += 1;
    return super.unwrapKey(input);
  }
}

function setup(limits: Partial<DataPlaneLimits> = {}) {
  const rootKeys = new CountingRootKeyStore(fixture.rootKeyStore);
  const built = fixture.harness({ rootKeys });
  let clock = 0;
  const dataPlane = new CryptoDataPlane({ keySource: built.service, limits, now: () => clock });
  return {
    ...built,
    rootKeys,
    dataPlane,
    /** A second process on the same tables, with its own caches. */
    otherProcess: () => new CryptoDataPlane({ keySource: fixture.harness({ rootKeys }).service, limits, now: () => clock }),
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const text = (value: string) => Buffer.from(value, 'utf8');

describe('CryptoDataPlane against dynalite and the software root key store', () => {
  it('round-trips, and binds tenant, namespace and encryption context', async () => {
    const { dataPlane } = setup();
    const tenant = fixture.newTenant();
    const other = fixture.newTenant();
    const context = { order: '42' };
    const { ciphertext, kid } = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('hello'), encryptionContext: context });
    expect(parseEnvelope(ciphertext).kid).toBe(kid);
    expect(ciphertext.includes(text('hello'))).toBe(false);

    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext, encryptionContext: context })).resolves.toEqual(text('hello'));
    const wrongs: Array<{ tenant: string; namespace: string; encryptionContext: Record<string, string> }> = [
      { tenant, namespace: 'default', encryptionContext: { order: '43' } },
      { tenant, namespace: 'default', encryptionContext: {} },
      { tenant, namespace: 'default', encryptionContext: { order: '42', extra: '' } },
      { tenant, namespace: 'secrets', encryptionContext: context },
      { tenant: other, namespace: 'default', encryptionContext: context },
    ];
    for (const wrong of wrongs) {
      await expect(dataPlane.decrypt({ ...wrong, ciphertext })).rejects.toBeInstanceOf(UndecryptableError);
    }
  });

  it('warm encrypt and decrypt make no root key store call', async () => {
    const { dataPlane, rootKeys } = setup();
    const tenant = fixture.newTenant();
    const first = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('warm-up') });
    await dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: first.ciphertext });
    const coldCalls = rootKeys.calls;
    expect(coldCalls).toBeGreaterThan(0);

    for (let i = 0; i < 500; i += 1) {
      const { ciphertext } = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text(`message ${i}`), encryptionContext: { i: String(i) } });
      await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext, encryptionContext: { i: String(i) } })).resolves.toEqual(text(`message ${i}`));
    }
    await dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: first.ciphertext });
    expect(rootKeys.calls).toBe(coldCalls);
  });

  it('a cold process needs one root key store call per namespace key, however many messages follow', async () => {
    const { dataPlane, rootKeys } = setup();
    const tenant = fixture.newTenant();
    await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('provision') });
    const { dataPlane: cold } = { dataPlane: new CryptoDataPlane({ keySource: fixture.harness({ rootKeys }).service }) };
    const before = rootKeys.calls;
    await Promise.all(Array.from({ length: 50 }, (_, i) => cold.encrypt({ tenant, namespace: 'default', plaintext: text(String(i)) })));
    expect(rootKeys.calls - before).toBe(1);
  });

  it('reuses a data key for at most dataKeyMaxMessages messages, dataKeyMaxBytes bytes and dataKeyMaxAgeMs', async () => {
    const wrappedKeyOf = (ciphertext: Buffer) => parseEnvelope(ciphertext).wrappedDataKey.toString('hex');
    const encrypter = (limits: Partial<DataPlaneLimits>) => {
      const { dataPlane, advance } = setup({ keyStateTtlMs: 60_000, ...limits });
      const tenant = fixture.newTenant();
      const encrypt = async (size: number) =>
        wrappedKeyOf((await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: Buffer.alloc(size) })).ciphertext);
      return { encrypt, advance };
    };

    const byMessages = encrypter({ dataKeyMaxMessages: 3 });
    const messages = [await byMessages.encrypt(1), await byMessages.encrypt(1), await byMessages.encrypt(1), await byMessages.encrypt(1)];
    expect(new Set(messages.slice(0, 3)).size).toBe(1);
    expect(messages[3]).not.toBe(messages[0]);

    const byBytes = encrypter({ dataKeyMaxBytes: 10 });
    const a = await byBytes.encrypt(6);
    expect(await byBytes.encrypt(4)).toBe(a);
    expect(await byBytes.encrypt(1)).not.toBe(a);

    const byAge = encrypter({ dataKeyMaxAgeMs: 1_000 });
    const d = await byAge.encrypt(1);
    byAge.advance(999);
    expect(await byAge.encrypt(1)).toBe(d);
    byAge.advance(1);
    expect(await byAge.encrypt(1)).not.toBe(d);
  });

  it('gives each message its own data key when asked (secrets), bound to the extra binding', async () => {
    const { dataPlane } = setup();
    const tenant = fixture.newTenant();
    const binding = { 'keyledger:secret-name': 'db', 'keyledger:secret-version': '1' };
    const one = await dataPlane.encrypt({ tenant, namespace: 'secrets', plaintext: text('s3cret'), binding, dataKey: 'own' });
    const two = await dataPlane.encrypt({ tenant, namespace: 'secrets', plaintext: text('s3cret'), binding, dataKey: 'own' });
    expect(parseEnvelope(one.ciphertext).wrappedDataKey.equals(parseEnvelope(two.ciphertext).wrappedDataKey)).toBe(false);
    await expect(dataPlane.decrypt({ tenant, namespace: 'secrets', ciphertext: one.ciphertext, binding, cacheDataKey: false })).resolves.toEqual(text('s3cret'));
    await expect(
      dataPlane.decrypt({ tenant, namespace: 'secrets', ciphertext: one.ciphertext, binding: { ...binding, 'keyledger:secret-version': '2' } }),
    ).rejects.toBeInstanceOf(UndecryptableError);
    await expect(dataPlane.decrypt({ tenant, namespace: 'secrets', ciphertext: one.ciphertext })).rejects.toBeInstanceOf(UndecryptableError);
  });

  it('after a rekey, encrypts under the new namespace key within keyStateTtlMs and still decrypts the old ciphertext', async () => {
    const { dataPlane, service, advance, otherProcess, rootKeys } = setup({ keyStateTtlMs: 5_000 });
    const tenant = fixture.newTenant();
    const before = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('before') });
    const { namespaceKeys } = await service.rekey(tenant);
    const newKid = namespaceKeys['default'];
    expect(newKid).not.toBe(before.kid);

    // Within the bound this process still uses the cached hierarchy; another process sees the new key.
    expect((await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('cached') })).kid).toBe(before.kid);
    const elsewhere = await otherProcess().encrypt({ tenant, namespace: 'default', plaintext: text('elsewhere') });
    expect(elsewhere.kid).toBe(newKid);
    advance(1_000);
    // A ciphertext under a key this process has not seen yet makes it read the hierarchy again.
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: elsewhere.ciphertext })).resolves.toEqual(text('elsewhere'));

    advance(5_000);
    const after = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('after') });
    expect(after.kid).toBe(newKid);
    const calls = rootKeys.calls;
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: before.ciphertext })).resolves.toEqual(text('before'));
    await expect(otherProcess().decrypt({ tenant, namespace: 'default', ciphertext: before.ciphertext })).resolves.toEqual(text('before'));
    expect(rootKeys.calls - calls).toBe(1);
  });

  it('refuses an unknown namespace, and a retired (destroyed) namespace key with a clear error', async () => {
    const { dataPlane, service, advance } = setup({ keyStateTtlMs: 100 });
    const tenant = fixture.newTenant();
    await expect(dataPlane.encrypt({ tenant, namespace: 'nope', plaintext: text('x') })).rejects.toThrow(
      new NamespaceNotFoundError("The namespace 'nope' does not exist; this tenant's namespaces are: default, secrets."),
    );
    const { ciphertext, kid } = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('x') });
    await service.rekey(tenant);
    await service.deleteKey(tenant, kid);
    advance(1_000);
    // Another namespace, or a key id the tenant never had, stays the one undecryptable answer.
    await expect(dataPlane.decrypt({ tenant, namespace: 'secrets', ciphertext })).rejects.toBeInstanceOf(UndecryptableError);
    const refused = dataPlane.decrypt({ tenant, namespace: 'default', ciphertext });
    await expect(refused).rejects.toBeInstanceOf(IllegalKeyStateError);
    await expect(refused).rejects.toThrow(`The namespace key ${kid} was destroyed; data encrypted under it can no longer be decrypted.`);
  });

  it('zeroes the data keys it cached under a key another process destroyed, when it reads the hierarchy again', async () => {
    const { dataPlane, service, advance } = setup({ keyStateTtlMs: 100 });
    const tenant = fixture.newTenant();
    const { ciphertext, kid } = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('x') });
    await dataPlane.decrypt({ tenant, namespace: 'default', ciphertext });
    // What lives in memory is internal; these two caches are the ones that hold data keys.
    const caches = dataPlane as unknown as { decryptionKeys: { size: number }; encryptionKeys: { size: number } };
    expect([caches.decryptionKeys.size, caches.encryptionKeys.size]).toEqual([1, 1]);
    // The rekey and the retirement are another process's (its onChange never reaches this one).
    await service.rekey(tenant);
    await expect(service.deleteKey(tenant, kid)).resolves.toBe('destroyed');
    advance(1_000);
    await dataPlane.encrypt({ tenant, namespace: 'secrets', plaintext: text('y') });
    expect([caches.decryptionKeys.size, caches.encryptionKeys.size]).toEqual([1, 1]);
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext })).rejects.toBeInstanceOf(IllegalKeyStateError);
  });
});
