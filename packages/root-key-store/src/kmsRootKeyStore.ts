import { createHash } from 'node:crypto';
import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ScheduleKeyDeletionCommand,
  type AlgorithmSpec,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { OAEP_HASHES, publicKeyPem, parseRsaPublicKey, type OaepHash } from '@keyledger/crypto';
import { KeyImportError, RootKeyStoreError } from '@keyledger/domain';
import { checkWrappedKeyShape, UNWRAP_FAILED_MESSAGE } from './customerKeyImport';
import { withRetries, type RetryOptions } from './retry';
import type {
  CustomerKeyRef,
  ImportKeyMaterialInput,
  IssuedWrappingKey,
  RootKeyDescription,
  RootKeyOperation,
  RootKeyStore,
  UnwrapKeyInput,
  WrapKeyInput,
  WrappingKeyRequest,
} from './rootKeyStore';
import { assertWrappingProfile } from './wrappingProfiles';

/** KMS wrapping algorithms for CKM_RSA_AES_KEY_WRAP, by OAEP hash. */
export const KMS_WRAPPING_ALGORITHMS: Record<OaepHash, AlgorithmSpec> = {
  sha256: 'RSA_AES_KEY_WRAP_SHA_256',
  sha1: 'RSA_AES_KEY_WRAP_SHA_1',
};
/** RSA_3072 public key: the OAEP part of the wrapped key is 384 bytes. */
const KMS_WRAPPING_KEY_BYTES = 384;
/** Shortest waiting period KMS allows; the material itself is deleted at once (DeleteImportedKeyMaterial). */
export const KMS_PENDING_WINDOW_DAYS = 7;
const KMS_KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const IMPORT_REFUSALS: Record<string, ConstructorParameters<typeof KeyImportError>> = {
  InvalidCiphertextException: ['unwrap_failed', UNWRAP_FAILED_MESSAGE],
  IncorrectKeyMaterialException: ['invalid_key_material', 'The key material is not valid for this key: it must be 256 bits (AES-256).'],
  ExpiredImportTokenException: ['wrapping_key_expired', 'The wrapping key has expired; request a new one.'],
  InvalidImportTokenException: ['wrapping_key_unknown', 'The wrapping key is not valid for this key; request a new one.'],
};

const RETRYABLE_ERRORS = new Set([
  'ThrottlingException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'TimeoutError',
  'RequestTimeout',
]);

const REASONS: Record<string, string> = {
  AccessDeniedException: 'access_denied',
  InvalidCiphertextException: 'invalid_ciphertext',
  IncorrectKeyException: 'invalid_ciphertext',
  DisabledException: 'key_unavailable',
  KMSInvalidStateException: 'key_unavailable',
  KeyUnavailableException: 'key_unavailable',
  NotFoundException: 'key_not_found',
  ThrottlingException: 'throttled',
};

interface AwsError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  attempts?: number;
}

export function isRetryableKmsError(error: unknown): boolean {
  const e = error as AwsError;
  if (e?.name && RETRYABLE_ERRORS.has(e.name)) return true;
  if (e?.$retryable) return true;
  return (e?.$metadata?.httpStatusCode ?? 0) >= 500;
}

export interface KmsRootKeyStoreOptions {
  /**
   * Create it with `maxAttempts: 1`: this store owns retries, so that throttling and 5xx are
   * retried with one policy and reported once with a clear reason.
   */
  client: KMSClient;
  /** The environment root key: a symmetric KMS key id or ARN. */
  keyId: string;
  /**
   * Tags put on every customer-provided key this store creates, besides `keyledger:tenant`. The
   * CDK app sets `keyledger:deployment`, and its IAM policies allow BYOK operations only on keys
   * carrying that tag.
   */
  customerKeyTags?: Record<string, string>;
  retry?: Partial<RetryOptions>;
}

/**
 * Environment root key in AWS KMS. Tenant master keys are wrapped with Encrypt/Decrypt under
 * an EncryptionContext that binds tenant and key id (it also lands in CloudTrail), and with
 * the KeyId pinned on Decrypt so a ciphertext from another key is refused.
 */
export class KmsRootKeyStore implements RootKeyStore {
  readonly kind = 'kms';
  readonly developmentOnly = false;
  readonly wrappingProfiles = OAEP_HASHES;
  private description: RootKeyDescription | undefined;
  private readonly retry: RetryOptions;

  constructor(private readonly options: KmsRootKeyStoreOptions) {
    this.retry = { attempts: 5, baseDelayMs: 50, maxDelayMs: 2_000, isRetryable: isRetryableKmsError, ...options.retry };
  }

  async describeRootKey(): Promise<RootKeyDescription> {
    if (!this.description) {
      const output = await this.call('describe', 'DescribeKey', () =>
        this.options.client.send(new DescribeKeyCommand({ KeyId: this.options.keyId })),
      );
      const metadata = output.KeyMetadata;
      if (!metadata?.KeyId) throw new RootKeyStoreError('key_not_found', `KMS key ${this.options.keyId} has no metadata.`);
      if (metadata.KeySpec && metadata.KeySpec !== 'SYMMETRIC_DEFAULT') {
        throw new RootKeyStoreError('unsupported_key', `KMS key ${metadata.KeyId} is ${metadata.KeySpec}; the root key must be SYMMETRIC_DEFAULT.`);
      }
      this.description = { kid: metadata.KeyId, createdAt: (metadata.CreationDate ?? new Date(0)).toISOString() };
    }
    return { ...this.description };
  }

  async wrapKey({ rootKid, plaintextKey, encryptionContext }: WrapKeyInput) {
    const keyId = await this.kmsKeyId(rootKid);
    const output = await this.call('wrap', 'Encrypt', () =>
      this.options.client.send(
        new EncryptCommand({
          KeyId: keyId,
          Plaintext: plaintextKey,
          EncryptionContext: { ...encryptionContext },
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        }),
      ),
    );
    if (!output.CiphertextBlob) throw new RootKeyStoreError('empty_response', 'KMS Encrypt returned no ciphertext.');
    return { wrappedKey: Buffer.from(output.CiphertextBlob), algorithm: 'KMS_SYMMETRIC_DEFAULT' };
  }

  async unwrapKey({ rootKid, wrappedKey, encryptionContext }: UnwrapKeyInput): Promise<Buffer> {
    const keyId = await this.kmsKeyId(rootKid);
    const output = await this.call('unwrap', 'Decrypt', () =>
      this.options.client.send(
        new DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: wrappedKey,
          EncryptionContext: { ...encryptionContext },
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        }),
      ),
    );
    if (!output.Plaintext) throw new RootKeyStoreError('empty_response', 'KMS Decrypt returned no plaintext.');
    return Buffer.from(output.Plaintext);
  }

  /** A KMS key with `Origin=EXTERNAL` and no material yet, tagged with its tenant. */
  async createCustomerKey({ tenant }: { tenant: string }): Promise<{ kid: string }> {
    const output = await this.call('create', 'CreateKey', () =>
      this.options.client.send(
        new CreateKeyCommand({
          Origin: 'EXTERNAL',
          KeySpec: 'SYMMETRIC_DEFAULT',
          KeyUsage: 'ENCRYPT_DECRYPT',
          Description: `keyledger customer-provided root key of tenant ${tenant}`,
          Tags: [
            { TagKey: 'keyledger:tenant', TagValue: tenant },
            ...Object.entries(this.options.customerKeyTags ?? {}).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
          ],
        }),
      ),
    );
    const kid = output.KeyMetadata?.KeyId;
    if (!kid) throw new RootKeyStoreError('empty_response', 'KMS CreateKey returned no key id.');
    return { kid };
  }

  async createWrappingKey({ kid, oaepHash }: WrappingKeyRequest): Promise<IssuedWrappingKey> {
    assertWrappingProfile(this, oaepHash);
    this.assertCustomerKid(kid);
    const output = await this.call('create-wrapping-key', 'GetParametersForImport', () =>
      this.options.client.send(
        new GetParametersForImportCommand({ KeyId: kid, WrappingAlgorithm: KMS_WRAPPING_ALGORITHMS[oaepHash], WrappingKeySpec: 'RSA_3072' }),
      ),
    );
    if (!output.PublicKey || !output.ImportToken || !output.ParametersValidTo) {
      throw new RootKeyStoreError('empty_response', 'KMS GetParametersForImport returned no public key or import token.');
    }
    const importToken = Buffer.from(output.ImportToken).toString('base64');
    return {
      // The import token is opaque to us and sealed by KMS; a digest of it names this wrapping key.
      wrappingKeyId: `kms-${createHash('sha256').update(importToken).digest('hex').slice(0, 32)}`,
      publicKeyPem: publicKeyPem(parseRsaPublicKey(output.PublicKey)),
      oaepHash,
      expiresAt: output.ParametersValidTo.toISOString(),
      importToken,
    };
  }

  async importKeyMaterial({ kid, wrappingKey, wrappedKey }: ImportKeyMaterialInput): Promise<void> {
    this.assertCustomerKid(kid);
    checkWrappedKeyShape(wrappedKey.length, KMS_WRAPPING_KEY_BYTES);
    if (!wrappingKey.importToken) throw new KeyImportError('wrapping_key_unknown', 'The wrapping key has no KMS import token; request a new one.');
    const importToken = Buffer.from(wrappingKey.importToken, 'base64');
    try {
      await this.call('import', 'ImportKeyMaterial', () =>
        this.options.client.send(
          new ImportKeyMaterialCommand({
            KeyId: kid,
            ImportToken: importToken,
            EncryptedKeyMaterial: wrappedKey,
            ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          }),
        ),
      );
    } catch (error) {
      const refusal = IMPORT_REFUSALS[((error as { cause?: AwsError }).cause)?.name ?? ''];
      if (refusal) throw new KeyImportError(...refusal);
      throw error;
    }
  }

  async revertImport({ kid }: CustomerKeyRef): Promise<void> {
    this.assertCustomerKid(kid);
    await this.deleteImportedKeyMaterial(kid, 'revert-import');
  }

  /** KMS keeps no private wrapping key we could delete; an unused import token expires by itself. */
  async discardWrappingKeys(ref: CustomerKeyRef): Promise<void> {
    this.assertCustomerKid(ref.kid);
  }

  /** The material is deleted at once; the key itself after KMS's shortest waiting period. */
  async deleteCustomerKey({ kid }: CustomerKeyRef): Promise<void> {
    this.assertCustomerKid(kid);
    await this.deleteImportedKeyMaterial(kid, 'delete');
    try {
      await this.call('delete', 'ScheduleKeyDeletion', () =>
        this.options.client.send(new ScheduleKeyDeletionCommand({ KeyId: kid, PendingWindowInDays: KMS_PENDING_WINDOW_DAYS })),
      );
    } catch (error) {
      // Already pending deletion (a retried delete) is what we want.
      if ((error as { cause?: AwsError }).cause?.name !== 'KMSInvalidStateException') throw error;
    }
  }

  private async deleteImportedKeyMaterial(kid: string, operation: RootKeyOperation): Promise<void> {
    try {
      await this.call(operation, 'DeleteImportedKeyMaterial', () =>
        this.options.client.send(new DeleteImportedKeyMaterialCommand({ KeyId: kid })),
      );
    } catch (error) {
      // No material (never imported, or already deleted; a key pending deletion) is the goal state.
      const name = (error as { cause?: AwsError }).cause?.name;
      if (name !== 'KMSInvalidStateException' && name !== 'NotFoundException') throw error;
    }
  }

  private assertCustomerKid(kid: string): void {
    if (!KMS_KEY_ID.test(kid)) throw new RootKeyStoreError('unknown_root_key', `Key ${kid} is not a KMS key id.`);
  }

  /** The ERK (as configured), or a tenant's customer-provided root key (a KMS key id this store created). */
  private async kmsKeyId(rootKid: string): Promise<string> {
    const { kid } = await this.describeRootKey();
    if (rootKid === kid) return this.options.keyId;
    if (KMS_KEY_ID.test(rootKid)) return rootKid;
    throw new RootKeyStoreError('unknown_root_key', `Root key ${rootKid} is not held by this store.`);
  }

  private async call<T>(_operation: RootKeyOperation, apiName: string, send: () => Promise<T>): Promise<T> {
    try {
      return (await withRetries(send, this.retry)).value;
    } catch (error) {
      const e = error as AwsError;
      const name = e?.name ?? 'Error';
      const reason = REASONS[name] ?? (isRetryableKmsError(error) ? 'unavailable' : 'kms_error');
      const attempts = e?.attempts ?? 1;
      throw new RootKeyStoreError(
        reason,
        `KMS ${apiName} on ${this.options.keyId} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${name}.`,
        { cause: error },
      );
    }
  }
}
