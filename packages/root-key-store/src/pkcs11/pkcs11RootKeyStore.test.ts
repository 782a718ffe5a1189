import { generateAes256Key, parseRsaPublicKey, rsaAesKeyWrap } from '@keyledger/crypto';
import { KeyImportError, RootKeyStoreError, ValidationError } from '@keyledger/domain';
import { Pkcs11RootKeyStore } from './pkcs11RootKeyStore';
import { createSoftHsmToken, describeWithSoftHsm, processSoftHsmConf, SOFTHSM_LIBRARY, type SoftHsmToken } from '../testing/softHsm';

describeWithSoftHsm('Pkcs11RootKeyStore against SoftHSM2', () => {
  let token: SoftHsmToken;
  let store: Pkcs11RootKeyStore;
  const context = { 'keyledger:tenant': 'acme', 'keyledger:kid': 'tmk-1' };
  const open = () => Pkcs11RootKeyStore.open({ library: SOFTHSM_LIBRARY, tokenLabel: token.label, pin: token.pin });

  beforeAll(async () => {
    token = createSoftHsmToken({ conf: processSoftHsmConf() });
    store = await open();
  });
  afterAll(() => {
    store?.close();
    token?.remove();
  });

  it('creates the ERK in the token on first open, as a non-extractable sensitive AES-256 token key, and finds it again', async () => {
    const { kid } = await store.describeRootKey();
    expect(kid).toMatch(/^erk-[0-9a-f-]{36}$/);
    expect(store.inspectKey('keyledger-erk')).toEqual({ token: true, sensitive: true, extractable: false, valueLength: 32 });
    const again = await open();
    try {
      expect((await again.describeRootKey()).kid).toBe(kid);
    } finally {
      again.close();
    }
    expect(store.listObjectLabels()).toEqual(['keyledger-erk']);
  });

  it('refuses a token it cannot find and a wrong PIN, saying which', async () => {
    await expect(Pkcs11RootKeyStore.open({ library: SOFTHSM_LIBRARY, tokenLabel: 'nope', pin: token.pin })).rejects.toThrow(
      "No PKCS#11 token labelled 'nope'",
    );
    const wrongPin = await Pkcs11RootKeyStore.open({ library: SOFTHSM_LIBRARY, tokenLabel: token.label, pin: '0000' }).catch((e: unknown) => e);
    // SoftHSM2 keeps one login per application: a second store in this process is already logged in.
    if (wrongPin instanceof Pkcs11RootKeyStore) wrongPin.close();
    else expect(wrongPin).toMatchObject({ reason: 'hsm_login_failed' });
  });

  it('wraps TMKs with CKM_AES_GCM inside the HSM, bound to their context', async () => {
    const { kid: rootKid } = await store.describeRootKey();
    const tmk = generateAes256Key();
    const { wrappedKey, algorithm } = await store.wrapKey({ rootKid, plaintextKey: tmk, encryptionContext: context });
    expect(algorithm).toBe('PKCS11_AES_256_GCM');
    expect(wrappedKey).toHaveLength(12 + 32 + 16);
    expect(await store.unwrapKey({ rootKid, wrappedKey, encryptionContext: context })).toEqual(tmk);
    await expect(
      store.unwrapKey({ rootKid, wrappedKey, encryptionContext: { ...context, 'keyledger:kid': 'tmk-2' } }),
    ).rejects.toMatchObject({ reason: 'invalid_ciphertext' });
    await expect(store.wrapKey({ rootKid: 'erk-other', plaintextKey: tmk, encryptionContext: context })).rejects.toBeInstanceOf(RootKeyStoreError);
  });

  it('offers the OAEP profiles the token can unwrap with: SHA-1 on SoftHSM2, and refuses the others', async () => {
    expect(store.wrappingProfiles).toContain('sha1');
    if (!store.wrappingProfiles.includes('sha256')) {
      await expect(store.createWrappingKey({ tenant: 'acme', kid: 'cprk-x', oaepHash: 'sha256' })).rejects.toThrow(
        new ValidationError('The pkcs11 root key store does not offer CKM_RSA_AES_KEY_WRAP with OAEP sha256; it offers sha1.'),
      );
    }
  });

  it('imports material wrapped with CKM_RSA_AES_KEY_WRAP (SHA-1) by in-HSM unwrap; bad material leaves the token as it was', async () => {
    const { kid } = await store.createCustomerKey({ tenant: 'acme' });
    const first = await store.createWrappingKey({ tenant: 'acme', kid, oaepHash: 'sha1' });
    const issued = await store.createWrappingKey({ tenant: 'acme', kid, oaepHash: 'sha1' });
    const publicKey = parseRsaPublicKey(issued.publicKeyPem);
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    // The second wrapping key replaced the first in the token.
    expect(store.listObjectLabels()).toEqual(['keyledger-erk', `wk:${kid}`]);
    const wrappingKey = { ...issued };
    const before = store.listObjectLabels();
    const refusals: Array<[Buffer, string]> = [
      [rsaAesKeyWrap(parseRsaPublicKey(first.publicKeyPem), generateAes256Key(), 'sha1'), 'unwrap_failed'],
      [rsaAesKeyWrap(publicKey, generateAes256Key(), 'sha256'), 'unwrap_failed'],
      [rsaAesKeyWrap(publicKey, Buffer.alloc(16, 3), 'sha1'), 'key_material_too_short'],
      [rsaAesKeyWrap(publicKey, Buffer.alloc(31, 3), 'sha1'), 'key_material_too_short'],
      [rsaAesKeyWrap(publicKey, generateAes256Key(), 'sha1').subarray(0, 421), 'invalid_length'],
    ];
    for (const [wrappedKey, reason] of refusals) {
      const error = await store.importKeyMaterial({ tenant: 'acme', kid, wrappingKey, wrappedKey }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeyImportError);
      expect(error).toMatchObject({ reason });
      expect(store.listObjectLabels()).toEqual(before);
    }

    await store.importKeyMaterial({ tenant: 'acme', kid, wrappingKey, wrappedKey: rsaAesKeyWrap(publicKey, generateAes256Key(), 'sha1') });
    // SoftHSM2 leaves CKA_VALUE_LEN unset on unwrapped keys; the length was checked by use.
    expect(store.inspectKey(kid)).toMatchObject({ token: true, sensitive: true, extractable: false });
    await store.discardWrappingKeys({ tenant: 'acme', kid });
    expect(store.listObjectLabels()).toEqual(['keyledger-erk', kid].sort());

    // The CPRK wraps and unwraps for its tenant only.
    const tmk = generateAes256Key();
    const { wrappedKey } = await store.wrapKey({ rootKid: kid, plaintextKey: tmk, encryptionContext: context });
    expect(await store.unwrapKey({ rootKid: kid, wrappedKey, encryptionContext: context })).toEqual(tmk);
    await expect(
      store.unwrapKey({ rootKid: kid, wrappedKey, encryptionContext: { ...context, 'keyledger:tenant': 'other' } }),
    ).rejects.toMatchObject({ reason: 'unknown_root_key' });

    await store.deleteCustomerKey({ tenant: 'acme', kid });
    expect(store.listObjectLabels()).toEqual(['keyledger-erk']);
    await expect(store.unwrapKey({ rootKid: kid, wrappedKey, encryptionContext: context })).rejects.toMatchObject({ reason: 'unknown_root_key' });
    await expect(store.deleteCustomerKey({ tenant: 'acme', kid })).resolves.toBeUndefined();
  });
});
