import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  DecryptionError,
  encodeEncryptionContext,
  generateAes256Key,
  generateRsaWrappingKeyPair,
  open,
  OAEP_HASHES,
  parseRsaPrivateKey,
  publicKeyPem,
  rsaAesKeyUnwrap,
  rsaModulusBytes,
  seal,
  zeroize,
  type EncryptionContext,
} from '@keyledger/crypto';
import { ConcurrencyError, CONTEXT_KEYS, KeyImportError, RootKeyStoreError } from '@keyledger/domain';
import { checkKeyMaterialLength, checkWrappedKeyShape, CUSTOMER_KID_PATTERN, newCustomerKid, UNWRAP_FAILED_MESSAGE } from './customerKeyImport';
import { assertWrappingProfile } from './wrappingProfiles';
import {
  STALE_IMPORT_MS,
  WRAPPING_KEY_VALIDITY_MS,
  type CustomerKeyRef,
  type ImportKeyMaterialInput,
  type IssuedWrappingKey,
  type RootKeyDescription,
  type RootKeyStore,
  type UnwrapKeyInput,
  type WrapKeyInput,
  type WrappingKeyRequest,
} from './rootKeyStore';

const WRAPPING_KEY_ID = /^wk-[0-9a-f-]{36}$/;

export const SOFTWARE_ROOT_KEY_WARNING =
  'DEVELOPMENT ONLY: the environment root key is a plain file on this disk. Anyone who can read it can unwrap every tenant key. Use KMS or an HSM for anything real.';

interface CustomerKeyFile {
  warning: string;
  tenant: string;
  kid: string;
  imported_at: string;
  key: string;
}

interface WrappingKeyFile {
  tenant: string;
  kid: string;
  wrapping_key_id: string;
  oaep_hash: string;
  expires_at: string;
  private_key: string;
}

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
 * Customer-provided root keys and the private halves of wrapping keys are files (mode 0600)
 * in `customer-root-keys/` next to it; destroying one deletes its file. Imports offer both
 * OAEP profiles, SHA-256 (as AWS KMS) and SHA-1 (as SoftHSM2).
 */
export class SoftwareRootKeyStore implements RootKeyStore {
  readonly kind = 'software';
  readonly developmentOnly = true;
  readonly wrappingProfiles = OAEP_HASHES;
  private readonly customerDir: string;

  private constructor(
    private readonly description: RootKeyDescription,
    private readonly key: Buffer,
    path: string,
    private readonly clock: () => Date,
  ) {
    this.customerDir = join(dirname(path), 'customer-root-keys');
  }

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
    return SoftwareRootKeyStore.open(path, clock);
  }

  static async open(path: string, clock: () => Date = () => new Date()): Promise<SoftwareRootKeyStore> {
    const mode = (await stat(path)).mode & 0o777;
    if (mode & 0o077) await chmod(path, 0o600); // never leave a root key readable by others
    const file = JSON.parse(await readFile(path, 'utf8')) as Partial<KeyFile>;
    const key = Buffer.from(file.key ?? '', 'base64');
    if (typeof file.kid !== 'string' || typeof file.created_at !== 'string' || key.length !== 32) {
      throw new RootKeyStoreError('invalid_key_file', `Root key file ${path} is not a keyledger AES-256 key file.`);
    }
    return new SoftwareRootKeyStore({ kid: file.kid, createdAt: file.created_at }, key, path, clock);
  }

  async describeRootKey(): Promise<RootKeyDescription> {
    return { ...this.description };
  }

  async wrapKey({ rootKid, plaintextKey, encryptionContext }: WrapKeyInput) {
    const key = await this.rootKey(rootKid, encryptionContext);
    try {
      return { wrappedKey: seal(key, plaintextKey, this.aad(rootKid, encryptionContext)), algorithm: 'AES_256_GCM' };
    } finally {
      if (key !== this.key) zeroize(key);
    }
  }

  async unwrapKey({ rootKid, wrappedKey, encryptionContext }: UnwrapKeyInput): Promise<Buffer> {
    const key = await this.rootKey(rootKid, encryptionContext);
    try {
      return open(key, wrappedKey, this.aad(rootKid, encryptionContext));
    } catch (error) {
      if (error instanceof DecryptionError) {
        throw new RootKeyStoreError('invalid_ciphertext', 'The root key could not unwrap this key under the given context.', { cause: error });
      }
      throw error;
    } finally {
      if (key !== this.key) zeroize(key);
    }
  }

  async createCustomerKey(_input: { tenant: string }): Promise<{ kid: string }> {
    // No material exists before the import; the key id is all there is.
    return { kid: newCustomerKid() };
  }

  async createWrappingKey({ tenant, kid, oaepHash }: WrappingKeyRequest): Promise<IssuedWrappingKey> {
    assertWrappingProfile(this, oaepHash);
    this.assertCustomerKid(kid);
    const { publicKey, privateKey } = await generateRsaWrappingKeyPair();
    const wrappingKeyId = `wk-${randomUUID()}`;
    const expiresAt = new Date(this.clock().getTime() + WRAPPING_KEY_VALIDITY_MS).toISOString();
    const file: WrappingKeyFile = {
      tenant,
      kid,
      wrapping_key_id: wrappingKeyId,
      oaep_hash: oaepHash,
      expires_at: expiresAt,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    await mkdir(this.customerDir, { recursive: true, mode: 0o700 });
    // A new wrapping key replaces the earlier ones of this key: each is good for one import.
    await this.removeFiles((name) => name.startsWith(`${kid}.wrapping.`));
    await writeFile(this.wrappingKeyPath(kid, wrappingKeyId), JSON.stringify(file), { mode: 0o600, flag: 'wx' });
    return { wrappingKeyId, publicKeyPem: publicKeyPem(publicKey), oaepHash, expiresAt, importToken: null };
  }

  async importKeyMaterial({ tenant, kid, wrappingKey, wrappedKey }: ImportKeyMaterialInput): Promise<void> {
    this.assertCustomerKid(kid);
    const file = await this.readWrappingKey(kid, wrappingKey.wrappingKeyId);
    if (!file || file.tenant !== tenant) {
      throw new KeyImportError('wrapping_key_unknown', 'The store no longer holds this wrapping key; request a new one.');
    }
    const privateKey = parseRsaPrivateKey(file.private_key);
    checkWrappedKeyShape(wrappedKey.length, rsaModulusBytes(privateKey));
    let material: Buffer;
    try {
      material = rsaAesKeyUnwrap(privateKey, wrappedKey, wrappingKey.oaepHash);
    } catch {
      throw new KeyImportError('unwrap_failed', UNWRAP_FAILED_MESSAGE);
    }
    try {
      checkKeyMaterialLength(material.length);
      const keyFile: CustomerKeyFile = {
        warning: SOFTWARE_ROOT_KEY_WARNING,
        tenant,
        kid,
        imported_at: this.clock().toISOString(),
        key: material.toString('base64'),
      };
      await this.claimKeyFile(kid, JSON.stringify(keyFile));
    } finally {
      zeroize(material);
    }
  }

  async revertImport({ kid }: CustomerKeyRef): Promise<void> {
    this.assertCustomerKid(kid);
    await this.removeFiles((name) => name === `${kid}.key.json`);
  }

  async discardWrappingKeys({ kid }: CustomerKeyRef): Promise<void> {
    this.assertCustomerKid(kid);
    await this.removeFiles((name) => name.startsWith(`${kid}.wrapping.`));
  }

  async deleteCustomerKey({ kid }: CustomerKeyRef): Promise<void> {
    this.assertCustomerKid(kid);
    await this.removeFiles((name) => name.startsWith(`${kid}.`));
  }

  /** One import per key: the key file is created exclusively; only a stale leftover of a dead process is replaced. */
  private async claimKeyFile(kid: string, content: string): Promise<void> {
    const path = join(this.customerDir, `${kid}.key.json`);
    try {
      await writeFile(path, content, { mode: 0o600, flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (this.clock().getTime() - (await stat(path)).mtimeMs < STALE_IMPORT_MS) {
      throw new ConcurrencyError(`Key material for ${kid} is being imported by another request.`);
    }
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, content, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  }

  private async rootKey(rootKid: string, context: EncryptionContext): Promise<Buffer> {
    if (rootKid === this.description.kid) return this.key;
    if (CUSTOMER_KID_PATTERN.test(rootKid)) {
      const file = await this.readJson<CustomerKeyFile>(join(this.customerDir, `${rootKid}.key.json`));
      const key = Buffer.from(file?.key ?? '', 'base64');
      if (file && file.tenant === context[CONTEXT_KEYS.tenant] && key.length === 32) return key;
    }
    throw new RootKeyStoreError('unknown_root_key', `Root key ${rootKid} is not held by this store.`);
  }

  private async readWrappingKey(kid: string, wrappingKeyId: string): Promise<WrappingKeyFile | undefined> {
    if (!WRAPPING_KEY_ID.test(wrappingKeyId)) return undefined;
    return this.readJson<WrappingKeyFile>(this.wrappingKeyPath(kid, wrappingKeyId));
  }

  private async readJson<T>(path: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  private async removeFiles(select: (name: string) => boolean): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.customerDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await Promise.all(
      names.filter(select).map((name) =>
        unlink(join(this.customerDir, name)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
  }

  private wrappingKeyPath(kid: string, wrappingKeyId: string): string {
    return join(this.customerDir, `${kid}.wrapping.${wrappingKeyId}.json`);
  }

  private assertCustomerKid(kid: string): void {
    if (!CUSTOMER_KID_PATTERN.test(kid)) throw new RootKeyStoreError('unknown_root_key', `Key ${kid} is not a customer-provided root key of this store.`);
  }

  private aad(rootKid: string, context: EncryptionContext): Buffer {
    return encodeEncryptionContext({ ...context, [CONTEXT_KEYS.rootKid]: rootKid });
  }
}
