import {
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
  KMSInternalException,
} from '@aws-sdk/client-kms';
import { RootKeyStoreError } from '@keyledger/domain';
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
