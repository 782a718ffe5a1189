import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { EVENTS_ATTR, startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { commitFromItem } from '@keyledger/event-store';
import { matchesPattern, toBusEvent } from '@keyledger/events';
import { httpEvent } from '@keyledger/http/testing';
import { describeWithSoftHsm, SOFTHSM_LIBRARY, useSoftHsmForStores } from '@keyledger/root-key-store/testing';
import { integrationEventsFromCommit } from '@keyledger/outbox';
import { mockClient } from 'aws-sdk-client-mock';
import { MANUAL_JOB_PATTERN } from './jobPatterns';

const valid = {
  AWS_REGION: 'eu-west-1',
  KEYLEDGER_EVENTS_TABLE: 'test-Events',
  KEYLEDGER_SNAPSHOTS_TABLE: 'test-Snapshots',
  KEYLEDGER_SNAPSHOT_HISTORY_TABLE: 'test-SnapshotHistory',
  KEYLEDGER_KEY_MATERIAL_TABLE: 'test-KeyMaterial',
  KEYLEDGER_SECRETS_TABLE: 'test-Secrets',
  KEYLEDGER_KEY_CATALOG_TABLE: 'test-KeyCatalog',
  KEYLEDGER_KEY_USAGE_TABLE: 'test-KeyUsage',
  KEYLEDGER_JOBS_TABLE: 'test-Jobs',
  KEYLEDGER_REQUEST_CONTROLS_TABLE: 'test-RequestControls',
  KEYLEDGER_ROOT_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};
const PIN_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keyledger/test/cloudhsm-crypto-user-AbCdEf';

// The module builds its `handler` from process.env when loaded, as Lambda does: load it with a valid one.
const savedEnv = { ...process.env };
Object.assign(process.env, valid);
afterAll(() => {
  for (const name of Object.keys(valid)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createCryptoDataPlaneLambda } = require('./lambda') as typeof import('./lambda');
// The worker's bundle (services/crypto-data-plane-jobs), loaded the same way.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createCryptoDataPlaneJobsLambda } = require('@keyledger/crypto-data-plane-jobs') as typeof import('@keyledger/crypto-data-plane-jobs');

describe('crypto-data-plane Lambda configuration', () => {
  it('builds a handler from a valid environment', async () => {
    const built = await createCryptoDataPlaneLambda(valid);
    expect(typeof built.api).toBe('function');
    expect(typeof (await createCryptoDataPlaneJobsLambda(valid)).jobs).toBe('function');
  });

  it('fails fast naming a missing or bad setting', async () => {
    const { KEYLEDGER_SECRETS_TABLE: _missing, KEYLEDGER_ROOT_KEY_ARN: _arn, ...withoutSecretsAndKey } = valid;
    await expect(createCryptoDataPlaneLambda({ ...withoutSecretsAndKey, KEYLEDGER_ROOT_KEY_ARN: valid.KEYLEDGER_ROOT_KEY_ARN })).rejects.toThrow(
      /KEYLEDGER_SECRETS_TABLE/,
    );
    await expect(createCryptoDataPlaneLambda({ ...valid, KEYLEDGER_DATA_KEY_MAX_MESSAGES: String(2 ** 33) })).rejects.toThrow(
      /KEYLEDGER_DATA_KEY_MAX_MESSAGES: must be at most 4294967296/,
    );
    await expect(createCryptoDataPlaneLambda({ ...valid, KEYLEDGER_KEY_STATE_TTL_MS: 'soon' })).rejects.toThrow(/KEYLEDGER_KEY_STATE_TTL_MS/);
    await expect(createCryptoDataPlaneLambda({ ...valid, KEYLEDGER_SECRETS_TABLE: 'x', KEYLEDGER_ROOT_KEY_ARN: undefined })).rejects.toThrow(
      /KEYLEDGER_ROOT_KEY_ARN: is required when KEYLEDGER_ROOT_KEY_STORE=kms/,
    );
    await expect(createCryptoDataPlaneLambda({ ...valid, KEYLEDGER_ROOT_KEY_STORE: 'pkcs11' })).rejects.toThrow(
      /KEYLEDGER_PKCS11_PIN_SECRET_ARN: is required when KEYLEDGER_ROOT_KEY_STORE=pkcs11/,
    );
    await expect(createCryptoDataPlaneLambda({ ...valid, KEYLEDGER_ROOT_KEY_STORE: 'hsm' })).rejects.toThrow(
      /KEYLEDGER_ROOT_KEY_STORE: must be 'kms' or 'pkcs11'/,
    );
  });
});

describeWithSoftHsm('crypto-data-plane Lambda with the root key in an HSM (PKCS#11, as with CloudHSM)', () => {
  const secretsManager = mockClient(SecretsManagerClient);
  let dynamo: LocalDynamoDb;
  // A token of the block's own; every store the Lambda opens is closed after the tests.
  const softHsm = useSoftHsmForStores();
  const token = () => softHsm.token();

  beforeAll(async () => {
    dynamo = await startLocalDynamoDb();
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  const pkcs11Env = () => ({
    ...valid,
    KEYLEDGER_EVENTS_TABLE: dynamo.tables.events,
    KEYLEDGER_SNAPSHOTS_TABLE: dynamo.tables.snapshots,
    KEYLEDGER_SNAPSHOT_HISTORY_TABLE: dynamo.tables.snapshotHistory,
    KEYLEDGER_KEY_MATERIAL_TABLE: dynamo.tables.keyMaterial,
    KEYLEDGER_SECRETS_TABLE: dynamo.tables.secrets,
    KEYLEDGER_KEY_CATALOG_TABLE: dynamo.tables.keyCatalog,
    KEYLEDGER_KEY_USAGE_TABLE: dynamo.tables.keyUsage,
    KEYLEDGER_JOBS_TABLE: dynamo.tables.jobs,
    KEYLEDGER_REQUEST_CONTROLS_TABLE: dynamo.tables.requestControls,
    KEYLEDGER_ROOT_KEY_ARN: undefined,
    KEYLEDGER_ROOT_KEY_STORE: 'pkcs11',
    KEYLEDGER_PKCS11_LIBRARY: SOFTHSM_LIBRARY,
    KEYLEDGER_PKCS11_TOKEN_LABEL: token().label,
    KEYLEDGER_PKCS11_PIN_SECRET_ARN: PIN_SECRET_ARN,
  });

  it('never creates the root key itself (concurrent cold starts would each make one)', async () => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: token().pin });
    const failure = createCryptoDataPlaneLambda(pkcs11Env(), { dynamodb: dynamo.client, secretsManager: new SecretsManagerClient({}) });
    await expect(failure).rejects.toThrow(`Token holds no key labelled 'keyledger-erk'; create the environment root key once`);
  });

  it('reads the PIN from Secrets Manager, opens the token and serves encrypt/decrypt', async () => {
    // The operator's one-time step: create the root key in the token.
    await softHsm.createRootKey();
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: token().pin });
    const { api: handler } = await createCryptoDataPlaneLambda(pkcs11Env(), {
      dynamodb: dynamo.client,
      secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    });
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([{ SecretId: PIN_SECRET_ARN }]);

    const claims = { sub: 'svc', tenant_id: 'acme', scope: 'encrypt decrypt' };
    const encryptEvent = httpEvent('POST /v1/namespaces/{ns}/encrypt', { claims, path: { ns: 'default' }, headers: { 'content-type': 'application/json' } });
    encryptEvent.body = JSON.stringify({ plaintext: Buffer.from('hello hsm').toString('base64') });
    const encrypted = await handler(encryptEvent, {} as Context);
    expect(encrypted.statusCode).toBe(200);
    const { ciphertext } = JSON.parse(encrypted.body!) as { ciphertext: string };

    const decryptEvent = httpEvent('POST /v1/namespaces/{ns}/decrypt', { claims, path: { ns: 'default' }, headers: { 'content-type': 'application/json' } });
    decryptEvent.body = JSON.stringify({ ciphertext });
    const decrypted = await handler(decryptEvent, {} as Context);
    expect(decrypted.statusCode).toBe(200);
    expect(Buffer.from((JSON.parse(decrypted.body!) as { plaintext: string }).plaintext, 'base64').toString()).toBe('hello hsm');
    // The Lambda's commits carry no commit-log keys: AWS has no such index (the outbox reads the stream).
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tables.events }));
    expect(Items!.length).toBeGreaterThan(0);
    expect(Items!.filter((item) => item[EVENTS_ATTR.commitLog] !== undefined)).toEqual([]);
  });

  it('fails with a clear message, and without the PIN, when the secret holds no string', async () => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretBinary: Buffer.from(token().pin) });
    const failure = createCryptoDataPlaneLambda(pkcs11Env(), { dynamodb: dynamo.client, secretsManager: new SecretsManagerClient({}) });
    await expect(failure).rejects.toThrow('The PKCS#11 PIN secret has no string value');
  });
  it('announces a job started by hand with the event that starts the jobs function, which then runs it', async () => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: token().pin });
    const { api } = await createCryptoDataPlaneLambda(pkcs11Env(), { dynamodb: dynamo.client, secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }) });
    const { jobs } = await createCryptoDataPlaneJobsLambda(pkcs11Env(), { dynamodb: dynamo.client, secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }) });
    const claims = { sub: 'svc', tenant_id: 'manual-job', scope: 'create:secrets update:secrets read:encryption_keys' };
    const call = async (routeKey: string, options: { path?: Record<string, string>; query?: Record<string, string>; body?: object }) => {
      const event = httpEvent(routeKey, { claims, path: options.path, headers: { 'content-type': 'application/json' } });
      event.queryStringParameters = options.query;
      if (options.body) event.body = JSON.stringify(options.body);
      const response = await api(event, {} as Context);
      return { status: response.statusCode, body: JSON.parse(response.body ?? 'null') as Record<string, unknown> };
    };
    // What the table's stream hands the outbox in AWS: every committed item (the Lambda writes no commit-log index there).
    const committed = async (after = '') => {
      const { Items } = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tables.events }));
      return Items!.map((item) => commitFromItem(item)).filter((commit) => commit.position > after).sort((a, b) => (a.position < b.position ? -1 : 1));
    };
    const logBefore = (await committed()).at(-1)?.position;
    expect((await call('PUT /v1/secrets/{name}', { path: { name: 'db' }, body: { value: 'pw' } })).status).toBe(201);

    const started = await call('POST /v1/secrets/reencrypt', { query: { namespace: 'secrets' } });
    expect(started).toMatchObject({ status: 202, body: { state: 'running', done: 0, cause: 'manual' } });
    // What the outbox publishes: the job's start, which the CDK app's rule routes to the jobs function.
    const published = (await committed(logBefore)).flatMap(integrationEventsFromCommit);
    const starts = published.filter((event) => event.detailType === 'job_progress');
    expect(starts.map((event) => event.detail)).toEqual([expect.objectContaining({ job_id: started.body['id'], state: 'running', done: 0, total: 0, cause: 'manual' })]);
    const busEvent = toBusEvent(starts[0]!, { id: 'delivery-1' });
    expect(matchesPattern(MANUAL_JOB_PATTERN, busEvent)).toBe(true);

    await jobs(busEvent as Parameters<typeof jobs>[0], { getRemainingTimeInMillis: () => 120_000 });
    const finished = await call('GET /v1/jobs/{id}', { path: { id: String(started.body['id']) } });
    expect(finished.body).toMatchObject({ state: 'succeeded', done: 1, total: 1 });
    // A job over an empty namespace too (what an older tenant is told to run): it never looks started again.
    const empty = await call('POST /v1/secrets/reencrypt', { query: { namespace: 'default' } });
    const emptyStart = (await committed(logBefore))
      .flatMap(integrationEventsFromCommit)
      .find((event) => event.detailType === 'job_progress' && event.detail['job_id' as never] === empty.body['id']);
    await jobs(toBusEvent(emptyStart!, { id: 'delivery-2' }) as Parameters<typeof jobs>[0], { getRemainingTimeInMillis: () => 120_000 });
    expect((await call('GET /v1/jobs/{id}', { path: { id: String(empty.body['id']) } })).body).toMatchObject({ state: 'succeeded', done: 0, total: 0 });
    // The runner's reports are not starts: none of them matches the rule again.
    const reports = (await committed(logBefore)).flatMap(integrationEventsFromCommit).filter((event) => event.detailType === 'job_progress');
    expect(reports.length).toBeGreaterThan(2);
    expect(reports.filter((event) => matchesPattern(MANUAL_JOB_PATTERN, toBusEvent(event, { id: 'x' }))).map((event) => event.detail)).toEqual([
      expect.objectContaining({ job_id: started.body['id'] }),
      expect.objectContaining({ job_id: empty.body['id'] }),
    ]);
  });
});
