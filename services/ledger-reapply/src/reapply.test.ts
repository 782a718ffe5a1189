import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { createAwsKeyHierarchy, readAwsKeyHierarchySettings } from '@keyledger/aws-runtime';
import { silentLogger } from '@keyledger/domain';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { describeWithSoftHsm, SOFTHSM_LIBRARY, useSoftHsmForStores } from '@keyledger/root-key-store/testing';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { createLedgerReaderLambda } from '@keyledger/destruction-ledger';
import { ledgerObjectKey } from '@keyledger/destruction-ledger/pages';
import { createReapplyLambda } from './lambda';

const MAC_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0e5ea7c1-ledger-mac';
const PIN_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keyledger/test/pin-AbCdEf';
const BUCKET = 'keyledger-test-ledger';

/** KMS's HMAC key, played by a local one: GenerateMac and VerifyMac answer as KMS does (an invalid MAC is KMSInvalidMacException). */
function fakeMacKey(kms: AwsClientStub<KMSClient>) {
  const secret = randomBytes(32);
  const mac = (message: Uint8Array) => createHmac('sha256', secret).update(message).digest();
  kms.on(GenerateMacCommand).callsFake((input: { Message: Uint8Array }) => ({ Mac: mac(input.Message), KeyId: MAC_KEY, MacAlgorithm: 'HMAC_SHA_256' }));
  kms.on(VerifyMacCommand).callsFake((input: { Message: Uint8Array; Mac: Uint8Array }) => {
    const expected = mac(input.Message);
    if (input.Mac.length !== expected.length || !timingSafeEqual(Buffer.from(input.Mac), expected)) throw Object.assign(new Error('invalid MAC'), { name: 'KMSInvalidMacException' });
    return { MacValid: true, KeyId: MAC_KEY };
  });
}

describeWithSoftHsm('re-applying the AWS destruction ledger after a table restore (reader and re-apply functions; dynalite, SoftHSM2)', () => {
  const kms = mockClient(KMSClient);
  const s3 = mockClient(S3Client);
  const secretsManager = mockClient(SecretsManagerClient);
  const softHsm = useSoftHsmForStores();
  let dynamo: LocalDynamoDb;
  beforeAll(async () => {
    dynamo = await startLocalDynamoDb();
    await softHsm.createRootKey();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  beforeEach(() => {
    kms.reset();
    s3.reset();
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: softHsm.token().pin });
    fakeMacKey(kms);
  });

  const env = (region?: { AWS_REGION: string; KEYLEDGER_WRITE_REGION: string }) => ({
    AWS_REGION: 'eu-west-1',
    KEYLEDGER_EVENTS_TABLE: dynamo.tables.events,
    KEYLEDGER_SNAPSHOTS_TABLE: dynamo.tables.snapshots,
    KEYLEDGER_SNAPSHOT_HISTORY_TABLE: dynamo.tables.snapshotHistory,
    KEYLEDGER_KEY_MATERIAL_TABLE: dynamo.tables.keyMaterial,
    KEYLEDGER_SECRETS_TABLE: dynamo.tables.secrets,
    KEYLEDGER_KEY_CATALOG_TABLE: dynamo.tables.keyCatalog,
    KEYLEDGER_KEY_USAGE_TABLE: dynamo.tables.keyUsage,
    KEYLEDGER_JOBS_TABLE: dynamo.tables.jobs,
    KEYLEDGER_ROOT_KEY_STORE: 'pkcs11',
    KEYLEDGER_PKCS11_LIBRARY: SOFTHSM_LIBRARY,
    KEYLEDGER_PKCS11_TOKEN_LABEL: softHsm.token().label,
    KEYLEDGER_PKCS11_PIN_SECRET_ARN: PIN_SECRET_ARN,
    KEYLEDGER_DESTRUCTION_LEDGER_BUCKET: BUCKET,
    KEYLEDGER_DESTRUCTION_LEDGER_MAC_KEY: MAC_KEY,
    ...region,
  });
  const clients = () => ({ dynamodb: dynamo.client, kms: new KMSClient({ region: 'eu-west-1' }), secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }) });

  it('a key the ledger says was destroyed, live again in the restored tables, is destroyed again from a signed page; a second run changes nothing', async () => {
    const { keyHierarchy } = await createAwsKeyHierarchy(readAwsKeyHierarchySettings(env()), silentLogger, clients());
    const tenant = `restored${Date.now()}`;
    // The restored tables: the tenant as it was before the rekey the ledger recorded.
    const tmk = (await keyHierarchy.ensureProvisioned(tenant)).activeTmkKid;
    const key = ledgerObjectKey(tenant, 2);
    const entry = { kind: 'key', tenant, kid: tmk, keyType: 'tenant-master-key', cause: 'rekey', destroyedAt: '2026-12-01T00:00:00.000Z', version: 2 };
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [{ Key: key, VersionId: 'v1' }] });
    s3.on(GetObjectCommand).callsFake(() => ({ Body: sdkStreamMixin(Readable.from([JSON.stringify({ format: 'keyledger-destruction-ledger', version: 1, entries: [entry] })])) }));
    const read = createLedgerReaderLambda(env(), { s3: new S3Client({ region: 'eu-west-1' }), kms: new KMSClient({ region: 'eu-west-1' }) });
    const reapply = await createReapplyLambda(env(), clients());

    const signed = await read({});
    expect(signed).toEqual({ page: { entries: [entry] }, mac: expect.any(String) });
    const [generate] = kms.commandCalls(GenerateMacCommand).map((call) => call.args[0].input);
    expect({ ...generate, Message: Buffer.from(generate!.Message!).toString() }).toEqual({
      KeyId: MAC_KEY,
      MacAlgorithm: 'HMAC_SHA_256',
      Message: expect.stringMatching(/^keyledger destruction ledger page v1\n[0-9a-f]{64}$/),
    });

    expect(await reapply(signed)).toEqual({ entries: 1, skipped: [], reapplied: [{ tenant, keys: [tmk], shredded: false, rekeys: 1 }] });
    const after = await keyHierarchy.ensureProvisioned(tenant);
    expect(after.activeTmkKid).not.toBe(tmk);
    expect(kms.commandCalls(VerifyMacCommand)[0]!.args[0].input).toEqual({ KeyId: MAC_KEY, MacAlgorithm: 'HMAC_SHA_256', Message: generate!.Message, Mac: Buffer.from(signed.mac, 'base64') });
    // Idempotent: nothing live is named any more.
    expect(await reapply(await read({}))).toEqual({ entries: 1, skipped: [], reapplied: [] });
    expect((await keyHierarchy.ensureProvisioned(tenant)).activeTmkKid).toBe(after.activeTmkKid);
  });

  it('refuses a page it did not sign (made up or edited), and a Region that serves reads only; nothing changes', async () => {
    const { keyHierarchy } = await createAwsKeyHierarchy(readAwsKeyHierarchySettings(env()), silentLogger, clients());
    const tenant = `forged${Date.now()}`;
    const tmk = (await keyHierarchy.ensureProvisioned(tenant)).activeTmkKid;
    const entry = { kind: 'tenant', tenant, destroyedAt: '2026-12-01T00:00:00.000Z', version: 9 };
    const reapply = await createReapplyLambda(env(), clients());

    await expect(reapply({ page: { entries: [entry] }, mac: Buffer.alloc(32).toString('base64') })).rejects.toThrow("does not carry the reader function's MAC: nothing was re-applied");
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false, Versions: [] });
    const empty = await createLedgerReaderLambda(env(), { s3: new S3Client({ region: 'eu-west-1' }), kms: new KMSClient({ region: 'eu-west-1' }) })(null);
    // A signed empty page with an entry put in: the MAC no longer matches.
    await expect(reapply({ ...empty, page: { entries: [entry] } })).rejects.toThrow("does not carry the reader function's MAC");
    await expect(reapply({ entries: [entry] })).rejects.toThrow('Expected a page of the destruction ledger');
    expect((await keyHierarchy.ensureProvisioned(tenant)).activeTmkKid).toBe(tmk);

    const replica = await createReapplyLambda(env({ AWS_REGION: 'eu-central-1', KEYLEDGER_WRITE_REGION: 'eu-west-1' }), clients());
    await expect(replica(empty)).rejects.toThrow('This Region (eu-central-1) serves reads only: re-apply the destruction ledger in the write Region, eu-west-1.');
  });
});
