import { DecryptCommand, DescribeKeyCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { RootKeyStoreError } from '@keyledger/domain';
import { withRetries, type RetryOptions } from './retry';
import type { RootKeyDescription, RootKeyOperation, RootKeyStore, UnwrapKeyInput, WrapKeyInput } from './rootKeyStore';

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
    await this.assertRootKid(rootKid);
    const output = await this.call('wrap', 'Encrypt', () =>
      this.options.client.send(
        new EncryptCommand({
          KeyId: this.options.keyId,
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
    await this.assertRootKid(rootKid);
    const output = await this.call('unwrap', 'Decrypt', () =>
      this.options.client.send(
        new DecryptCommand({
          KeyId: this.options.keyId,
          CiphertextBlob: wrappedKey,
          EncryptionContext: { ...encryptionContext },
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        }),
      ),
    );
    if (!output.Plaintext) throw new RootKeyStoreError('empty_response', 'KMS Decrypt returned no plaintext.');
    return Buffer.from(output.Plaintext);
  }

  private async assertRootKid(rootKid: string): Promise<void> {
    const { kid } = await this.describeRootKey();
    if (rootKid !== kid) throw new RootKeyStoreError('unknown_root_key', `Root key ${rootKid} is not held by this store.`);
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
