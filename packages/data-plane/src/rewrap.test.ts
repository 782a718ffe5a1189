import { encodeEncryptionContext, zeroize } from '@keyledger/crypto';
import { useServiceHarness } from '@keyledger/key-hierarchy/testing';
import { CryptoDataPlane } from './cryptoDataPlane';
import { encodeHeader, parseEnvelope, sealEnvelope } from './envelope/envelope';
import { UndecryptableError } from './errors';
import { newDataKey } from './keys/dataKeys';
import type { KeyUsageRecord, KeyUsageStore } from './usage/keyUsageStore';
import { UsageTracker } from './usage/usageTracker';

const fixture = useServiceHarness({ namespaces: ['default'], snapshotEvery: 5, tenantPrefix: 'rw' });
const text = (value: string) => Buffer.from(value, 'utf8');

/** A usage store that remembers what it was told. */
class MemoryUsageStore implements KeyUsageStore {
  readonly writes: Array<{ kid: string; decrypts: number }> = [];
  async add(_tenant: string, kid: string, usage: { decrypts: number; lastDecryptAt: string }) {
    this.writes.push({ kid, decrypts: usage.decrypts });
  }
  async get(): Promise<KeyUsageRecord> {
    return { lastDecryptAt: null, decrypts: 0 };
  }
}

function setup() {
  const { service } = fixture.harness();
  const store = new MemoryUsageStore();
  const usage = new UsageTracker({ store, flushIntervalMs: 60_000 });
  return { service, store, usage, dataPlane: new CryptoDataPlane({ keySource: service, usage }) };
}

describe('rewrap: an envelope under the namespace active key, the plaintext never leaving the data plane', () => {
  it('puts an envelope made before a rekey under the new active key, with the same plaintext and context', async () => {
    const { service, dataPlane } = setup();
    const tenant = fixture.newTenant();
    const context = { order: '42' };
    const before = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('move me'), encryptionContext: context });
    const { namespaceKeys } = await service.rekey(tenant);
    dataPlane.forget(tenant, []);

    const moved = await dataPlane.rewrap({ tenant, namespace: 'default', ciphertext: before.ciphertext, encryptionContext: context });

    expect(moved.kid).toBe(namespaceKeys['default']);
    expect(parseEnvelope(moved.ciphertext)).toMatchObject({ formatVersion: 2, kid: moved.kid });
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: moved.ciphertext, encryptionContext: context })).resolves.toEqual(text('move me'));
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: moved.ciphertext })).rejects.toBeInstanceOf(UndecryptableError);
    // Under the active key already: the same envelope back.
    const again = await dataPlane.rewrap({ tenant, namespace: 'default', ciphertext: moved.ciphertext, encryptionContext: context });
    expect(again).toEqual({ ciphertext: moved.ciphertext, kid: moved.kid });
  });

  it('does not let the data key an envelope shared with others follow it: after the old key is retired, the others stay shredded', async () => {
    const { service, dataPlane } = setup();
    const tenant = fixture.newTenant();
    // Two envelopes under one cached data key.
    const kept = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('kept') });
    const shredded = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('shredded') });
    expect(parseEnvelope(kept.ciphertext).wrappedDataKey.equals(parseEnvelope(shredded.ciphertext).wrappedDataKey)).toBe(true);
    await service.rekey(tenant);
    dataPlane.forget(tenant, []);

    const moved = await dataPlane.rewrap({ tenant, namespace: 'default', ciphertext: kept.ciphertext });
    await service.deleteKey(tenant, kept.kid);
    dataPlane.forget(tenant, [kept.kid]);

    // The new header on the other envelope's body: it does not open.
    const other = parseEnvelope(shredded.ciphertext);
    const spliced = Buffer.concat([parseEnvelope(moved.ciphertext).header, other.iv, other.body, other.tag]);
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: spliced })).rejects.toBeInstanceOf(UndecryptableError);
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: shredded.ciphertext })).rejects.toThrow(/was destroyed/);
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: moved.ciphertext })).resolves.toEqual(text('kept'));
  });

  it('refuses what does not decrypt (another context, altered bytes) with the one undecryptable error', async () => {
    const { service, dataPlane } = setup();
    const tenant = fixture.newTenant();
    const { ciphertext } = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('x'), encryptionContext: { a: '1' } });
    await service.rekey(tenant);
    dataPlane.forget(tenant, []);
    await expect(dataPlane.rewrap({ tenant, namespace: 'default', ciphertext, encryptionContext: { a: '2' } })).rejects.toBeInstanceOf(UndecryptableError);
    const altered = Buffer.from(ciphertext);
    altered[altered.length - 1]! ^= 1;
    await expect(dataPlane.rewrap({ tenant, namespace: 'default', ciphertext: altered, encryptionContext: { a: '1' } })).rejects.toBeInstanceOf(UndecryptableError);
  });

  it('encrypts a format-1 envelope again, as format 2 under the active key', async () => {
    const { service, dataPlane } = setup();
    const tenant = fixture.newTenant();
    const state = await service.ensureProvisioned(tenant);
    const kid = state.activeNamespaceKeys['default']!;
    const loaded = await service.openTenant(tenant);
    const namespaceKey = (await service.unwrapNamespaceKeys(tenant, loaded, [kid])).get(kid)!;
    const fresh = newDataKey(namespaceKey, { tenant, namespace: 'default', kid });
    const binding = encodeEncryptionContext({ 'keyledger:tenant': tenant, 'keyledger:namespace': 'default' });
    const v1 = sealEnvelope(fresh.dataKey, encodeHeader(kid, fresh.wrappedDataKey, 1), [binding, encodeEncryptionContext({})], text('format 1'));
    zeroize(fresh.dataKey, namespaceKey);

    const moved = await dataPlane.rewrap({ tenant, namespace: 'default', ciphertext: v1 });

    expect(parseEnvelope(moved.ciphertext).formatVersion).toBe(2);
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: moved.ciphertext })).resolves.toEqual(text('format 1'));
    await expect(dataPlane.rewrapDataKey(tenant, 'default', v1)).resolves.toBeUndefined();
  });

  it('counts decrypts and rewraps under a deactivated key once they authenticated (the first use written at once), not the moves of stored data', async () => {
    const { service, dataPlane, store, usage } = setup();
    const tenant = fixture.newTenant();
    const { ciphertext, kid } = await dataPlane.encrypt({ tenant, namespace: 'default', plaintext: text('counted') });
    await dataPlane.decrypt({ tenant, namespace: 'default', ciphertext });
    expect(store.writes).toEqual([]); // an active key is not counted
    await service.rekey(tenant);
    dataPlane.forget(tenant, []);

    await dataPlane.decrypt({ tenant, namespace: 'default', ciphertext });
    expect(store.writes).toEqual([{ kid, decrypts: 1 }]);
    await dataPlane.decrypt({ tenant, namespace: 'default', ciphertext });
    await dataPlane.rewrap({ tenant, namespace: 'default', ciphertext });
    await dataPlane.rewrapDataKey(tenant, 'default', ciphertext);
    await dataPlane.rewrap({ tenant, namespace: 'default', ciphertext, countUse: false });
    // A forged envelope that only names the key, with a body that does not authenticate, is no use of it.
    const forged = Buffer.from(ciphertext);
    forged[forged.length - 1]! ^= 1;
    await expect(dataPlane.decrypt({ tenant, namespace: 'default', ciphertext: forged })).rejects.toBeInstanceOf(UndecryptableError);
    expect(store.writes).toHaveLength(1);
    await usage.flush();
    expect(store.writes).toEqual([{ kid, decrypts: 1 }, { kid, decrypts: 2 }]);
  });
});
