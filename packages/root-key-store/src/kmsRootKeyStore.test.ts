import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  KMSInternalException,
  KMSInvalidStateException,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { KeyObject } from 'node:crypto';
import { generateRsaWrappingKeyPair, publicKeyPem, rsaAesKeyWrap } from '@keyledger/crypto';
import { KeyImportError, RootKeyStoreError } from '@keyledger/domain';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsRootKeyStore } from './kmsRootKeyStore';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const CONTEXT = { 'keyledger:tenant': 'acme', 'keyledger:kid': 'tmk-1' };

const kms = mockClient(KMSClient);
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
const internal = () => new KMSInternalException({ message: 'internal', $metadata: { httpStatusCode: 500 } });

function store(sleeps: number[] = []) {
  return new KmsRootKeyStore({
    client: new KMSClient({ region: 'eu-west-1', maxAttempts: 1 }),
    keyId: KEY_ARN,
    retry: { sleep: async (ms) => void sleeps.push(ms), random: () => 1 },
  });
}

beforeEach(() => {
  kms.reset();
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: { KeyId: KEY_ID, Arn: KEY_ARN, KeySpec: 'SYMMETRIC_DEFAULT', CreationDate: new Date('2025-06-01T00:00:00Z') },
  });
});

describe('KmsRootKeyStore', () => {
  it('describes the root key by its KMS key id and creation date, once', async () => {
    const rootKeys = store();
    expect(await rootKeys.describeRootKey()).toEqual({ kid: KEY_ID, createdAt: '2025-06-01T00:00:00.000Z' });
    await rootKeys.describeRootKey();
    expect(kms.commandCalls(DescribeKeyCommand)).toHaveLength(1);
    expect(kms.commandCalls(DescribeKeyCommand)[0]!.args[0].input).toEqual({ KeyId: KEY_ARN });
  });

  it('wraps with Encrypt on the configured key and an EncryptionContext binding tenant and key id', async () => {
    kms.on(EncryptCommand).resolves({ CiphertextBlob: new Uint8Array([9, 9, 9]), KeyId: KEY_ARN });
    const plaintextKey = new Uint8Array(32).fill(7);
    const wrapped = await store().wrapKey({ rootKid: KEY_ID, plaintextKey, encryptionContext: CONTEXT });
    expect(wrapped).toEqual({ wrappedKey: Buffer.from([9, 9, 9]), algorithm: 'KMS_SYMMETRIC_DEFAULT' });
    expect(kms.commandCalls(EncryptCommand)[0]!.args[0].input).toEqual({
      KeyId: KEY_ARN,
      Plaintext: plaintextKey,
      EncryptionContext: CONTEXT,
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    });
  });

  it('unwraps with Decrypt pinned to the configured key and the same EncryptionContext', async () => {
    kms.on(DecryptCommand).resolves({ Plaintext: new Uint8Array(32).fill(7), KeyId: KEY_ARN });
    const key = await store().unwrapKey({ rootKid: KEY_ID, wrappedKey: new Uint8Array([9, 9, 9]), encryptionContext: CONTEXT });
    expect(key).toEqual(Buffer.alloc(32, 7));
    expect(kms.commandCalls(DecryptCommand)[0]!.args[0].input).toEqual({
      KeyId: KEY_ARN,
      CiphertextBlob: new Uint8Array([9, 9, 9]),
      EncryptionContext: CONTEXT,
      EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    });
  });

  it('retries throttling and 5xx with growing backoff, then succeeds', async () => {
    kms.on(EncryptCommand).rejectsOnce(throttled()).rejectsOnce(internal()).resolves({ CiphertextBlob: new Uint8Array([1]) });
    const sleeps: number[] = [];
    await store(sleeps).wrapKey({ rootKid: KEY_ID, plaintextKey: new Uint8Array(32), encryptionContext: CONTEXT });
    expect(kms.commandCalls(EncryptCommand)).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up after the last attempt with a clear error that names the operation and reason', async () => {
    kms.on(DecryptCommand).rejects(throttled());
    const error = await store()
      .unwrapKey({ rootKid: KEY_ID, wrappedKey: new Uint8Array([1]), encryptionContext: CONTEXT })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RootKeyStoreError);
    expect(error).toMatchObject({
      reason: 'throttled',
      message: `KMS Decrypt on ${KEY_ARN} failed after 5 attempts: ThrottlingException.`,
    });
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(5);
  });

  it('does not retry a refusal such as AccessDenied', async () => {
    kms.on(EncryptCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    await expect(
      store().wrapKey({ rootKid: KEY_ID, plaintextKey: new Uint8Array(32), encryptionContext: CONTEXT }),
    ).rejects.toMatchObject({ reason: 'access_denied', message: expect.stringContaining('after 1 attempt: AccessDeniedException') });
    expect(kms.commandCalls(EncryptCommand)).toHaveLength(1);
  });

  it('refuses a root key id it does not hold without calling Encrypt', async () => {
    await expect(
      store().wrapKey({ rootKid: 'another-key', plaintextKey: new Uint8Array(32), encryptionContext: CONTEXT }),
    ).rejects.toMatchObject({ reason: 'unknown_root_key' });
    expect(kms.commandCalls(EncryptCommand)).toHaveLength(0);
  });
});

describe('KmsRootKeyStore BYOK (exact KMS requests)', () => {
  const CPRK = '0f0e0d0c-0b0a-4908-8706-050403020100';
  let publicKey: KeyObject;
  beforeAll(async () => {
    ({ publicKey } = await generateRsaWrappingKeyPair());
  });
  const validTo = new Date('2030-01-02T03:04:05Z');
  const wrappingKey = (importToken: string | null) => ({
    wrappingKeyId: 'kms-x',
    oaepHash: 'sha256' as const,
    importToken,
    expiresAt: validTo.toISOString(),
  });

  it('offers both OAEP profiles, SHA-256 first', () => {
    expect(store().wrappingProfiles).toEqual(['sha256', 'sha1']);
  });

  it('creates a CPRK as a symmetric KMS key with Origin=EXTERNAL, tagged with its tenant', async () => {
    kms.on(CreateKeyCommand).resolves({ KeyMetadata: { KeyId: CPRK, Origin: 'EXTERNAL', KeyState: 'PendingImport' } as never });
    expect(await store().createCustomerKey({ tenant: 'acme' })).toEqual({ kid: CPRK });
    expect(kms.commandCalls(CreateKeyCommand)[0]!.args[0].input).toEqual({
      Origin: 'EXTERNAL',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Description: 'keyledger customer-provided root key of tenant acme',
      Tags: [{ TagKey: 'keyledger:tenant', TagValue: 'acme' }],
    });
  });

  it('adds the configured deployment tags to every customer key it creates', async () => {
    kms.on(CreateKeyCommand).resolves({ KeyMetadata: { KeyId: CPRK } as never });
    const tagged = new KmsRootKeyStore({ client: new KMSClient({}), keyId: KEY_ARN, customerKeyTags: { 'keyledger:deployment': 'prod' } });
    await tagged.createCustomerKey({ tenant: 'acme' });
    expect(kms.commandCalls(CreateKeyCommand)[0]!.args[0].input.Tags).toEqual([
      { TagKey: 'keyledger:tenant', TagValue: 'acme' },
      { TagKey: 'keyledger:deployment', TagValue: 'prod' },
    ]);
  });

  it.each([
    ['sha256', 'RSA_AES_KEY_WRAP_SHA_256'],
    ['sha1', 'RSA_AES_KEY_WRAP_SHA_1'],
  ] as const)('issues a wrapping key with GetParametersForImport (%s → %s, RSA_3072)', async (hash, algorithm) => {
    const der = publicKey.export({ type: 'spki', format: 'der' });
    kms.on(GetParametersForImportCommand).resolves({ KeyId: CPRK, PublicKey: der, ImportToken: new Uint8Array([1, 2, 3]), ParametersValidTo: validTo });
    const issued = await store().createWrappingKey({ tenant: 'acme', kid: CPRK, oaepHash: hash });
    expect(kms.commandCalls(GetParametersForImportCommand)[0]!.args[0].input).toEqual({
      KeyId: CPRK,
      WrappingAlgorithm: algorithm,
      WrappingKeySpec: 'RSA_3072',
    });
    expect(issued).toEqual({
      wrappingKeyId: expect.stringMatching(/^kms-[0-9a-f]{32}$/),
      publicKeyPem: publicKeyPem(publicKey),
      oaepHash: hash,
      expiresAt: '2030-01-02T03:04:05.000Z',
      importToken: 'AQID',
    });
  });

  it('imports with ImportKeyMaterial: the import token, the wrapped key as given, material that does not expire', async () => {
    kms.on(ImportKeyMaterialCommand).resolves({});
    const wrapped = rsaAesKeyWrap(publicKey, Buffer.alloc(32, 5), 'sha256');
    await store().importKeyMaterial({ tenant: 'acme', kid: CPRK, wrappingKey: wrappingKey('AQID'), wrappedKey: wrapped });
    expect(kms.commandCalls(ImportKeyMaterialCommand)[0]!.args[0].input).toEqual({
      KeyId: CPRK,
      ImportToken: Buffer.from([1, 2, 3]),
      EncryptedKeyMaterial: wrapped,
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    });
  });

  it('refuses a wrong length before calling KMS, and maps KMS refusals to import errors', async () => {
    await expect(
      store().importKeyMaterial({ tenant: 'acme', kid: CPRK, wrappingKey: wrappingKey('AQID'), wrappedKey: Buffer.alloc(100) }),
    ).rejects.toMatchObject({ reason: 'invalid_length' });
    expect(kms.commandCalls(ImportKeyMaterialCommand)).toHaveLength(0);
    for (const [name, reason] of [
      ['InvalidCiphertextException', 'unwrap_failed'],
      ['IncorrectKeyMaterialException', 'invalid_key_material'],
      ['ExpiredImportTokenException', 'wrapping_key_expired'],
    ]) {
      kms.on(ImportKeyMaterialCommand).rejects(Object.assign(new Error('refused'), { name, $metadata: { httpStatusCode: 400 } }));
      const error = await store()
        .importKeyMaterial({ tenant: 'acme', kid: CPRK, wrappingKey: wrappingKey('AQID'), wrappedKey: Buffer.alloc(424) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeyImportError);
      expect(error).toMatchObject({ reason });
    }
  });

  it('wraps a TMK under an imported CPRK with Encrypt on that key', async () => {
    kms.on(EncryptCommand).resolves({ CiphertextBlob: new Uint8Array([4]) });
    await store().wrapKey({ rootKid: CPRK, plaintextKey: new Uint8Array(32), encryptionContext: CONTEXT });
    expect(kms.commandCalls(EncryptCommand)[0]!.args[0].input).toMatchObject({ KeyId: CPRK, EncryptionContext: CONTEXT });
  });

  it('deletes: the imported material at once, then ScheduleKeyDeletion with the shortest window; a repeat is harmless', async () => {
    kms.on(DeleteImportedKeyMaterialCommand).resolves({});
    kms.on(ScheduleKeyDeletionCommand).resolves({ KeyId: CPRK });
    await store().deleteCustomerKey({ tenant: 'acme', kid: CPRK });
    expect(kms.commandCalls(DeleteImportedKeyMaterialCommand)[0]!.args[0].input).toEqual({ KeyId: CPRK });
    expect(kms.commandCalls(ScheduleKeyDeletionCommand)[0]!.args[0].input).toEqual({ KeyId: CPRK, PendingWindowInDays: 7 });

    kms.on(DeleteImportedKeyMaterialCommand).rejects(new KMSInvalidStateException({ message: 'pending deletion', $metadata: { httpStatusCode: 400 } }));
    kms.on(ScheduleKeyDeletionCommand).rejects(new KMSInvalidStateException({ message: 'pending deletion', $metadata: { httpStatusCode: 400 } }));
    await expect(store().deleteCustomerKey({ tenant: 'acme', kid: CPRK })).resolves.toBeUndefined();
  });

  it('reverts an import whose commit lost with DeleteImportedKeyMaterial only', async () => {
    kms.on(DeleteImportedKeyMaterialCommand).resolves({});
    await store().revertImport({ tenant: 'acme', kid: CPRK });
    expect(kms.commandCalls(DeleteImportedKeyMaterialCommand)[0]!.args[0].input).toEqual({ KeyId: CPRK });
    expect(kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });
});
