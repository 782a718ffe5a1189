import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  DecryptionError,
  encodeEncryptionContext,
  generateAes256Key,
  open,
  seal,
  zeroize,
  type EncryptionContext,
} from '@keyledger/crypto';
import { CONTEXT_KEYS, RootKeyStoreError } from '@keyledger/domain';
import type { RootKeyDescription, RootKeyStore, UnwrapKeyInput, WrapKeyInput } from './rootKeyStore';

export const SOFTWARE_ROOT_KEY_WARNING =
  'DEVELOPMENT ONLY: the environment root key is a plain file on this disk. Anyone who can read it can unwrap every tenant key. Use KMS or an HSM for anything real.';

interface KeyFile {
  warning: string;
  kid: string;
  created_at: string;
  algorithm: 'AES-256';
  key: string;
}

/**
 * The local-development root key store: an AES-256 key in a JSON file created with mode 0600
 * on first start. Wraps with AES-256-GCM; the encryption context and root key id are the AAD.
 */
export class SoftwareRootKeyStore implements RootKeyStore {
  readonly kind = 'software';
  readonly developmentOnly = true;

  private constructor(
    private readonly description: RootKeyDescription,
    private readonly key: Buffer,
  ) {}

  static async openOrCreate(path: string, clock: () => Date = () => new Date()): Promise<SoftwareRootKeyStore> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const key = generateAes256Key();
    const file: KeyFile = {
      warning: SOFTWARE_ROOT_KEY_WARNING,
      kid: `erk-${randomUUID()}`,
      created_at: clock().toISOString(),
      algorithm: 'AES-256',
      key: key.toString('base64'),
    };
    zeroize(key);
    try {
      // 'wx' never replaces an existing key file; mode 0600 applies from creation on.
      await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return SoftwareRootKeyStore.open(path);
  }

  static async open(path: string): Promise<SoftwareRootKeyStore> {
    const mode = (await stat(path)).mode & 0o777;
    if (mode & 0o077) await chmod(path, 0o600); // never leave a root key readable by others
    const file = JSON.parse(await readFile(path, 'utf8')) as Partial<KeyFile>;
    const key = Buffer.from(file.key ?? '', 'base64');
    if (typeof file.kid !== 'string' || typeof file.created_at !== 'string' || key.length !== 32) {
      throw new RootKeyStoreError('invalid_key_file', `Root key file ${path} is not a keyledger AES-256 key file.`);
    }
    return new SoftwareRootKeyStore({ kid: file.kid, createdAt: file.created_at }, key);
  }

  async describeRootKey(): Promise<RootKeyDescription> {
    return { ...this.description };
  }

  async wrapKey({ rootKid, plaintextKey, encryptionContext }: WrapKeyInput) {
    this.assertRootKid(rootKid);
    return { wrappedKey: seal(this.key, plaintextKey, this.aad(encryptionContext)), algorithm: 'AES_256_GCM' };
  }

  async unwrapKey({ rootKid, wrappedKey, encryptionContext }: UnwrapKeyInput): Promise<Buffer> {
    this.assertRootKid(rootKid);
    try {
      return open(this.key, wrappedKey, this.aad(encryptionContext));
    } catch (error) {
      if (error instanceof DecryptionError) {
        throw new RootKeyStoreError('invalid_ciphertext', 'The root key could not unwrap this key under the given context.', { cause: error });
      }
      throw error;
    }
  }

  private aad(context: EncryptionContext): Buffer {
    return encodeEncryptionContext({ ...context, [CONTEXT_KEYS.rootKid]: this.description.kid });
  }

  private assertRootKid(rootKid: string): void {
    if (rootKid !== this.description.kid) {
      throw new RootKeyStoreError('unknown_root_key', `Root key ${rootKid} is not held by this store.`);
    }
  }
}
