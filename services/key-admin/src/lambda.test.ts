import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { httpEvent } from '@keyledger/http/testing';
import { describeWithSoftHsm, SOFTHSM_LIBRARY, useSoftHsmForStores } from '@keyledger/root-key-store/testing';
import { mockClient } from 'aws-sdk-client-mock';

const PIN_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keyledger/test/cloudhsm-crypto-user-AbCdEf';
const context = {} as Context;

// The module builds its `handler` from process.env when loaded, as Lambda does; only createKeyAdminLambda is used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = () => require('./lambda') as typeof import('./lambda');

describeWithSoftHsm('key-admin Lambda (root key in an HSM through PKCS#11): shredding and the public receipt keys', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  let dynamo: LocalDynamoDb;
  // A token of the block's own; every store the Lambda opens is closed after the tests.
  const softHsm = useSoftHsmForStores();
  const token = () => softHsm.token();

  beforeAll(async () => {
    dynamo = await startLocalDynamoDb();
    await softHsm.createRootKey();
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  const env = () => ({
    AWS_REGION: 'eu-west-1',
    KEYLEDGER_EVENTS_TABLE: dynamo.tables.events,
    KEYLEDGER_SNAPSHOTS_TABLE: dynamo.tables.snapshots,
    KEYLEDGER_SNAPSHOT_HISTORY_TABLE: dynamo.tables.snapshotHistory,
    KEYLEDGER_KEY_MATERIAL_TABLE: dynamo.tables.keyMaterial,
    KEYLEDGER_SECRETS_TABLE: dynamo.tables.secrets,
    KEYLEDGER_KEY_CATALOG_TABLE: dynamo.tables.keyCatalog,
    KEYLEDGER_KEY_USAGE_TABLE: dynamo.tables.keyUsage,
    KEYLEDGER_JOBS_TABLE: dynamo.tables.jobs,
    KEYLEDGER_REQUEST_CONTROLS_TABLE: dynamo.tables.requestControls,
    KEYLEDGER_AUDIT_LOG_TABLE: dynamo.tables.auditLog,
    KEYLEDGER_ENVIRONMENT_NAME: 'test',
    KEYLEDGER_ROOT_KEY_STORE: 'pkcs11',
    KEYLEDGER_PKCS11_LIBRARY: SOFTHSM_LIBRARY,
    KEYLEDGER_PKCS11_TOKEN_LABEL: token().label,
    KEYLEDGER_PKCS11_PIN_SECRET_ARN: PIN_SECRET_ARN,
  });

  it('answers the receipt keys with no token, shreds a tenant at once, then answers 410 for it', async () => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: token().pin });
    const { api } = await load().createKeyAdminLambda(env(), { dynamodb: dynamo.client, secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }) });

    // API Gateway routes this path with no authorizer: the event has no claims at all.
    const jwks = await api(httpEvent('GET /.well-known/keyledger/receipt-keys.json'), context);
    expect(jwks).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/jwk-set+json' } });
    expect(JSON.parse(jwks.body!)).toEqual({ keys: [] });

    const claims = { sub: 'offboarder', tenant_id: 'leaving', scope: 'read:encryption_keys delete:tenant read:destruction_requests' };
    expect((await api(httpEvent('GET /api/v2/keys/encryption', { claims }), context)).statusCode).toBe(200);
    const shred = await api(httpEvent('DELETE /v1/tenant', { claims }), context);
    expect(shred.statusCode).toBe(200);
    const request = JSON.parse(shred.body!) as { id: string; action: string; state: string };
    expect(request).toMatchObject({ action: 'shred_tenant', state: 'executed' });

    const gone = await api(httpEvent('GET /api/v2/keys/encryption', { claims }), context);
    expect(gone.statusCode).toBe(410);
    expect(JSON.parse(gone.body!)).toMatchObject({ statusCode: 410, error: 'Gone', errorCode: 'tenant_shredded' });
    const read = await api(httpEvent('GET /v1/destruction-requests/{id}', { claims, path: { id: request.id } }), context);
    expect(JSON.parse(read.body!)).toMatchObject({ id: request.id, state: 'executed' });
    // In AWS the receipt waits until every data plane has seen the shred (the key state TTL plus a minute).
    const receipt = await api(httpEvent('GET /v1/destruction-receipts/{id}', { claims, path: { id: request.id } }), context);
    expect(JSON.parse(receipt.body!)).toMatchObject({ errorCode: 'destruction_receipt_not_found', message: expect.stringContaining('still being issued') });
  });
});
