import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RootKeyStoreError } from '@keyledger/domain';
import { SOFTWARE_ROOT_KEY_WARNING, SoftwareRootKeyStore } from './softwareRootKeyStore';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyledger-rks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const context = { 'keyledger:tenant': 'acme', 'keyledger:kid': 'tmk-1' };

describe('SoftwareRootKeyStore', () => {
  it('creates the key file with mode 0600, marked development-only, and reuses it on the next start', async () => {
    const path = join(dir, 'keys', 'root-key.json');
    const first = await SoftwareRootKeyStore.openOrCreate(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ warning: SOFTWARE_ROOT_KEY_WARNING });
    expect(first.developmentOnly).toBe(true);

    const { kid } = await first.describeRootKey();
    const plaintextKey = Buffer.alloc(32, 5);
    const { wrappedKey } = await first.wrapKey({ rootKid: kid, plaintextKey, encryptionContext: context });
    expect(wrappedKey.includes(plaintextKey)).toBe(false);

    const second = await SoftwareRootKeyStore.openOrCreate(path);
    expect((await second.describeRootKey()).kid).toBe(kid);
    expect(await second.unwrapKey({ rootKid: kid, wrappedKey, encryptionContext: context })).toEqual(plaintextKey);
  });

  it('refuses to unwrap under another tenant or key id', async () => {
    const store = await SoftwareRootKeyStore.openOrCreate(join(dir, 'root-key.json'));
    const { kid } = await store.describeRootKey();
    const { wrappedKey } = await store.wrapKey({ rootKid: kid, plaintextKey: Buffer.alloc(32, 1), encryptionContext: context });
    for (const other of [{ ...context, 'keyledger:tenant': 'other' }, { ...context, 'keyledger:kid': 'tmk-2' }]) {
      await expect(store.unwrapKey({ rootKid: kid, wrappedKey, encryptionContext: other })).rejects.toMatchObject({
        reason: 'invalid_ciphertext',
      });
    }
    await expect(store.unwrapKey({ rootKid: 'erk-other', wrappedKey, encryptionContext: context })).rejects.toBeInstanceOf(RootKeyStoreError);
  });

  it('tightens a key file left readable by others, and rejects a file that is not a key', async () => {
    const path = join(dir, 'root-key.json');
    await SoftwareRootKeyStore.openOrCreate(path);
    const { chmod } = await import('node:fs/promises');
    await chmod(path, 0o644);
    await SoftwareRootKeyStore.open(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ kid: 'x', created_at: 'y', key: 'c2hvcnQ=' }), { mode: 0o600 });
    await expect(SoftwareRootKeyStore.open(bad)).rejects.toMatchObject({ reason: 'invalid_key_file' });
  });
});
