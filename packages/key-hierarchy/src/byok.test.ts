import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateAes256Key, parseRsaPublicKey, rsaAesKeyWrap, type OaepHash } from '@keyledger/crypto';
import { IllegalKeyStateError, KeyImportError, RootKeyStoreError, tenantStreamId, ValidationError, type KeyRecord } from '@keyledger/domain';
import { DelegatingRootKeyStore, type CustomerKeyRef } from '@keyledger/root-key-store';
import { KeyHierarchyService } from './keyHierarchyService';
import { useServiceHarness } from './testing/serviceHarness';

const fixture = useServiceHarness({ namespaces: ['default'], snapshotEvery: 4, tenantPrefix: 'byok' });
const { harness, newTenant } = fixture;

const byType = (keys: KeyRecord[], type: KeyRecord['type']) => keys.filter((key) => key.type === type);
const activeTmk = (keys: KeyRecord[]) => byType(keys, 'tenant-master-key').find((key) => key.state === 'active')!;
const customerFiles = async (kid: string) =>
  (await readdir(join(fixture.dir, 'customer-root-keys')).catch(() => [] as string[])).filter((name) => name.startsWith(kid)).sort();

/** Everything a refused import must leave as it was: the stream, the stored material, the store's files. */
async function everything(h: ReturnType<typeof harness>, tenant: string, kid: string) {
  const commits = await h.eventStore.readStream(tenantStreamId(tenant));
  const material = (await h.keyMaterial.list(tenant)).map((entry) => `${entry.kid}<${entry.parentKid}`).sort();
  return { version: commits.at(-1)?.version, material, files: await customerFiles(kid) };
}

async function wrappingKeyFor(service: KeyHierarchyService, tenant: string, kid: string, hash?: OaepHash) {
  const issued = await service.createWrappingKey(tenant, kid, hash);
  return { ...issued, publicKey: parseRsaPublicKey(issued.publicKeyPem) };
}

describe('BYOK with the software root key store (dynalite over HTTP)', () => {
  it.each([['sha256'], ['sha1']] as Array<[OaepHash]>)(
    'create → wrapping key → import (%s): the CPRK is active and wraps the TMK; rekey stays under it; delete hands the TMK back to the ERK',
    async (hash) => {
      const h = harness();
      const tenant = newTenant();
      const before = await fixture.listAll(h.service, tenant);
      const erk = byType(before, 'environment-root-key')[0]!;
      const tmkBefore = activeTmk(before);

      const cprk = await h.service.createCustomerKey(tenant);
      expect(cprk).toMatchObject({ type: 'customer-provided-root-key', state: 'pre-activation', parentKid: null, publicKey: null });
      const wrapping = await wrappingKeyFor(h.service, tenant, cprk.kid, hash);
      expect(wrapping.oaepHash).toBe(hash);
      expect(wrapping.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
      expect((await h.service.getKey(tenant, cprk.kid)).publicKey).toBe(wrapping.publicKeyPem);

      const imported = await h.service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(wrapping.publicKey, generateAes256Key(), hash));
      expect(imported).toMatchObject({ kid: cprk.kid, state: 'active', publicKey: null });
      const afterImport = await fixture.listAll(h.service, tenant);
      const tmk = activeTmk(afterImport);
      expect(tmk.kid).toBe(tmkBefore.kid);
      expect(tmk.parentKid).toBe(cprk.kid);
      // The TMK's material is now only under the CPRK; the wrapping key's private half is gone.
      expect((await h.keyMaterial.list(tenant)).filter((entry) => entry.kid === tmk.kid).map((entry) => entry.parentKid)).toEqual([cprk.kid]);
      expect(await customerFiles(cprk.kid)).toEqual([`${cprk.kid}.key.json`]);

      // A fresh service (as after a restart) unwraps the hierarchy through the CPRK: rekey needs it.
      const restarted = harness();
      const rekeyed = await restarted.service.rekey(tenant);
      const afterRekey = await fixture.listAll(restarted.service, tenant);
      expect(activeTmk(afterRekey)).toMatchObject({ kid: rekeyed.tmkKid, parentKid: cprk.kid });

      await restarted.service.deleteCustomerKey(tenant, cprk.kid);
      const afterDelete = await fixture.listAll(restarted.service, tenant);
      expect(activeTmk(afterDelete)).toMatchObject({ kid: rekeyed.tmkKid, parentKid: erk.kid });
      expect(afterDelete.find((key) => key.kid === cprk.kid)!.state).toBe('destroyed');
      expect(await customerFiles(cprk.kid)).toEqual([]);
      expect((await h.keyMaterial.list(tenant)).every((entry) => entry.parentKid !== cprk.kid)).toBe(true);
      // And the hierarchy still works under the ERK.
      await restarted.service.rekey(tenant);
      // A new CPRK may be created once the old one is destroyed.
      await expect(restarted.service.createCustomerKey(tenant)).resolves.toMatchObject({ state: 'pre-activation' });
    },
  );

  describe('each bad input is refused with what is wrong, and changes nothing', () => {
    async function pending(h = harness()) {
      const tenant = newTenant();
      await fixture.listAll(h.service, tenant);
      const cprk = await h.service.createCustomerKey(tenant);
      return { h, tenant, cprk };
    }

    async function expectRefused(h: ReturnType<typeof harness>, tenant: string, kid: string, attempt: () => Promise<unknown>, expected: { type: unknown; message: RegExp }) {
      const before = await everything(h, tenant, kid);
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(expected.type);
      expect((error as Error).message).toMatch(expected.message);
      expect(await everything(h, tenant, kid)).toEqual(before);
      expect((await h.service.getKey(tenant, kid)).state).toBe('pre-activation');
    }

    it('import before any wrapping key', async () => {
      const { h, tenant, cprk } = await pending();
      await expectRefused(h, tenant, cprk.kid, () => h.service.importCustomerKey(tenant, cprk.kid, Buffer.alloc(424)), {
        type: IllegalKeyStateError,
        message: /has no wrapping key: request one/,
      });
    });

    it('wrong length', async () => {
      const { h, tenant, cprk } = await pending();
      const wrapping = await wrappingKeyFor(h.service, tenant, cprk.kid);
      const wrapped = rsaAesKeyWrap(wrapping.publicKey, generateAes256Key(), 'sha256');
      for (const bad of [wrapped.subarray(0, 300), wrapped.subarray(0, wrapped.length - 3), Buffer.concat([wrapped, Buffer.alloc(8)])]) {
        await expectRefused(h, tenant, cprk.kid, () => h.service.importCustomerKey(tenant, cprk.kid, bad), {
          type: KeyImportError,
          message: /wrapped_key is \d+ bytes/,
        });
      }
    });

    it('material wrapped for another wrapping key (and the same key then still imports)', async () => {
      const { h, tenant, cprk } = await pending();
      const first = await wrappingKeyFor(h.service, tenant, cprk.kid);
      const second = await wrappingKeyFor(h.service, tenant, cprk.kid);
      const material = generateAes256Key();
      await expectRefused(h, tenant, cprk.kid, () => h.service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(first.publicKey, material, 'sha256')), {
        type: KeyImportError,
        message: /could not be unwrapped with this key's current wrapping key/,
      });
      // Another OAEP hash than the wrapping key's is the same refusal.
      await expectRefused(h, tenant, cprk.kid, () => h.service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(second.publicKey, material, 'sha1')), {
        type: KeyImportError,
        message: /could not be unwrapped/,
      });
      await expect(h.service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(second.publicKey, material, 'sha256'))).resolves.toMatchObject({ state: 'active' });
    });

    it('key material shorter than 256 bits', async () => {
      const { h, tenant, cprk } = await pending();
      const wrapping = await wrappingKeyFor(h.service, tenant, cprk.kid);
      await expectRefused(h, tenant, cprk.kid, () => h.service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(wrapping.publicKey, Buffer.alloc(16, 1), 'sha256')), {
        type: KeyImportError,
        message: /at most 128 bits of key material; a customer-provided root key must be 256 bits/,
      });
      // 248 bits wraps to the same length as 256 bits: refused after the unwrap, inside the store.
      await expectRefused(h, tenant, cprk.kid, () => h.service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(wrapping.publicKey, Buffer.alloc(31, 1), 'sha256')), {
        type: KeyImportError,
        message: /The key material is 248 bits; a customer-provided root key must be 256 bits/,
      });
    });

    it('an expired wrapping key', async () => {
      let now = Date.now();
      const { h, tenant, cprk } = await pending(harness({ clock: () => new Date(now) }));
      const wrapping = await wrappingKeyFor(h.service, tenant, cprk.kid);
      now = Date.parse(wrapping.expiresAt) + 1;
      await expectRefused(h, tenant, cprk.kid, () => h.service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(wrapping.publicKey, generateAes256Key(), 'sha256')), {
        type: IllegalKeyStateError,
        message: /expired at .*; request a new one/,
      });
    });

    it('two concurrent retries of one import: the key ends active with its material, whichever way the race goes', async () => {
      // Both imports reach the store before either commits (as two Lambda instances would).
      let arrived = 0;
      let bothArrived!: () => void;
      const gate = new Promise<void>((resolve) => (bothArrived = resolve));
      const meeting = new (class extends DelegatingRootKeyStore {
        override async importKeyMaterial(input: Parameters<DelegatingRootKeyStore['importKeyMaterial']>[0]) {
          await this.inner.importKeyMaterial(input);
          arrived += 1;
          if (arrived % 2 === 0) bothArrived();
          await Promise.race([gate, new Promise((resolve) => setTimeout(resolve, 2_000))]);
        }
      })(fixture.rootKeyStore);
      for (let round = 0; round < 2; round += 1) {
        const { h, tenant, cprk } = await pending(harness({ rootKeys: meeting }));
        const other = harness({ rootKeys: meeting });
        const wrapping = await wrappingKeyFor(h.service, tenant, cprk.kid);
        const wrapped = rsaAesKeyWrap(wrapping.publicKey, generateAes256Key(), 'sha256');
        const answers = await Promise.allSettled([h.service.importCustomerKey(tenant, cprk.kid, wrapped), other.service.importCustomerKey(tenant, cprk.kid, wrapped)]);
        for (const answer of answers) {
          if (answer.status === 'fulfilled') expect(answer.value).toMatchObject({ kid: cprk.kid, state: 'active' });
          else expect(answer.reason).toMatchObject({ code: 'concurrency_conflict' });
        }
        expect(answers.some((answer) => answer.status === 'fulfilled')).toBe(true);
        // A retry after the race answers the key; the store still has the material (a rekey unwraps through it).
        expect(await h.service.importCustomerKey(tenant, cprk.kid, wrapped)).toMatchObject({ kid: cprk.kid, state: 'active' });
        expect(await customerFiles(cprk.kid)).toEqual([`${cprk.kid}.key.json`]);
        await expect(harness().service.rekey(tenant)).resolves.toMatchObject({ tmkKid: expect.any(String) });
      }
    });

    it('an already-used wrapping key, a second import, and a second CPRK', async () => {
      const { h, tenant, cprk } = await pending();
      const wrapping = await wrappingKeyFor(h.service, tenant, cprk.kid);
      await expectRefused(h, tenant, cprk.kid, () => h.service.createCustomerKey(tenant), {
        type: IllegalKeyStateError,
        message: new RegExp(`already has customer-provided root key ${cprk.kid} in state 'pre-activation'`),
      });
      const wrapped = rsaAesKeyWrap(wrapping.publicKey, generateAes256Key(), 'sha256');
      const imported = await h.service.importCustomerKey(tenant, cprk.kid, wrapped);
      const before = await everything(h, tenant, cprk.kid);
      // A retry of the same import (the same wrapped bytes) answers the key and changes nothing.
      expect(await h.service.importCustomerKey(tenant, cprk.kid, wrapped)).toEqual(imported);
      expect(await everything(h, tenant, cprk.kid)).toEqual(before);
      for (const attempt of [
        () => h.service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(wrapping.publicKey, generateAes256Key(), 'sha256')),
        () => h.service.createWrappingKey(tenant, cprk.kid),
      ]) {
        await expect(attempt()).rejects.toThrow(/already active: its material was imported with wrapping key .*used up|is 'active'; wrapping keys are issued only/);
      }
      await expect(h.service.createCustomerKey(tenant)).rejects.toThrow(`in state 'active'`);
      expect(await everything(h, tenant, cprk.kid)).toEqual(before);
    });

    it('an OAEP hash the store does not offer is refused, never replaced by another', async () => {
      const sha1Only = new (class extends DelegatingRootKeyStore {
        override readonly wrappingProfiles = ['sha1'] as const;
      })(fixture.rootKeyStore);
      const { h, tenant, cprk } = await pending(harness({ rootKeys: sha1Only }));
      await expectRefused(h, tenant, cprk.kid, () => h.service.createWrappingKey(tenant, cprk.kid, 'sha256'), {
        type: ValidationError,
        message: /does not offer CKM_RSA_AES_KEY_WRAP with OAEP sha256; it offers sha1/,
      });
      await expect(h.service.createWrappingKey(tenant, cprk.kid)).resolves.toMatchObject({ oaepHash: 'sha1' });
    });

    it('operations on a key that is not a CPRK name what it is', async () => {
      const h = harness();
      const tenant = newTenant();
      const tmk = activeTmk(await fixture.listAll(h.service, tenant));
      await expect(h.service.createWrappingKey(tenant, tmk.kid)).rejects.toThrow(`Key ${tmk.kid} is a tenant-master-key; only a customer-provided-root-key`);
      await expect(h.service.deleteCustomerKey(tenant, tmk.kid)).rejects.toBeInstanceOf(ValidationError);
      await expect(h.service.importCustomerKey(tenant, 'no-such-key', Buffer.alloc(424))).rejects.toThrow('The key no-such-key does not exist.');
    });
  });

  it('a root key store that fails to destroy a deleted CPRK is retried by the sweep until it has', async () => {
    let failDeletes = 1;
    const flaky = new (class extends DelegatingRootKeyStore {
      override async deleteCustomerKey(ref: CustomerKeyRef) {
        if (failDeletes > 0) {
          failDeletes -= 1;
          throw new RootKeyStoreError('unavailable', 'injected');
        }
        return this.inner.deleteCustomerKey(ref);
      }
    })(fixture.rootKeyStore);
    const h = harness({ rootKeys: flaky });
    const tenant = newTenant();
    await fixture.listAll(h.service, tenant);
    const cprk = await h.service.createCustomerKey(tenant);
    const wrapping = await wrappingKeyFor(h.service, tenant, cprk.kid);
    await h.service.importCustomerKey(tenant, cprk.kid, rsaAesKeyWrap(wrapping.publicKey, generateAes256Key(), 'sha256'));
    await h.service.deleteCustomerKey(tenant, cprk.kid);
    expect(await customerFiles(cprk.kid)).toEqual([`${cprk.kid}.key.json`]);
    // The next call (here a new process's first) sweeps: the material goes, and that is recorded once.
    const restarted = harness({ rootKeys: flaky });
    await fixture.listAll(restarted.service, tenant);
    expect(await customerFiles(cprk.kid)).toEqual([]);
    expect((await h.service.getKey(tenant, cprk.kid)).state).toBe('destroyed');
    const types = (await h.eventStore.readStream(tenantStreamId(tenant))).flatMap((commit) => commit.events.map((event) => event.type));
    expect(types.filter((type) => type === 'CustomerKeyMaterialDeleted')).toHaveLength(1);
  });
});
