/**
 * Tenant crypto-shredding against `npm start`'s server with the default destruction policy (it
 * executes at once): `keyledger tenants shred --yes`, then a scan of every table finds nothing
 * of the tenant's key material or secret ciphertexts, the receipt verifies with jose, every
 * later call for the tenant answers 410 tenant_shredded at once (its destruction requests,
 * receipts and audit log excepted), and another tenant is untouched.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { callJson, eventually, freePort, runCli, runCliStatus, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(120_000);

const TENANT = 'offboarded';
const NEIGHBOUR = 'neighbour';
const SCOPES = [
  'read:encryption_keys create:encryption_keys update:encryption_keys delete:encryption_keys',
  'encrypt decrypt create:secrets read:secrets update:secrets delete:secrets',
  'read:logs read:destruction_requests delete:tenant',
].join(' ');


let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let dynamo: DynamoDBClient;
let token: string;
let neighbour: string;

const call = (bearer: string, method: string, path: string, body?: unknown) => callJson(server.url, bearer, method, path, body);
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Every item of every table, each as the JSON of its attributes (binary values in base64). */
async function scanAll(): Promise<Array<{ table: string; item: Record<string, AttributeValue>; text: string }>> {
  const { TableNames = [] } = await dynamo.send(new ListTablesCommand({}));
  const all: Array<{ table: string; item: Record<string, AttributeValue>; text: string }> = [];
  for (const table of TableNames) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        all.push({ table, item, text: JSON.stringify(item, (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value)) });
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return all;
}
const mentionsTenant = (item: Record<string, AttributeValue>) => Object.values(item).some((value) => value.S === TENANT || value.S?.startsWith(`${TENANT}/`));
const binaries = (item: Record<string, AttributeValue>) => Object.values(item).flatMap((value) => (value.B ? [Buffer.from(value.B).toString('base64')] : []));

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-shred-'));
  const dynamoPort = await freePort();
  env = { ...stackEnv(await freePort(), dataDir), KEYLEDGER_DYNAMODB_PORT: String(dynamoPort), KEYLEDGER_OUTBOX_POLL_MS: '200' };
  server = await startServer(env);
  dynamo = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamoPort}`, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  token = (await runCli(['token', '--tenant', TENANT, '--scope', SCOPES, '--subject', 'offboarding-admin'], env)).stdout.trim();
  neighbour = (await runCli(['token', '--tenant', NEIGHBOUR, '--scope', SCOPES], env)).stdout.trim();
});

afterAll(async () => {
  dynamo?.destroy();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('DELETE /v1/tenant (keyledger tenants shred) with the default destruction policy', () => {
  it('destroys every key, deletes the secrets and key material, signs a receipt, and answers 410 for the tenant from then on', async () => {
    // The tenant's data: a ciphertext, secrets (two versions of one), a CPRK over its TMK, and a rekey.
    const ciphertext = (await call(token, 'POST', '/v1/namespaces/default/encrypt', { plaintext: b64('invoice 7') })).body['ciphertext'] as string;
    for (const [name, value] of [['db.password', 'hunter2'], ['db.password', 'hunter3'], ['api.key', 'k-123']]) {
      expect((await call(token, 'PUT', `/v1/secrets/${name}`, { value })).status).toBe(201);
    }
    const work = await mkdtemp(join(tmpdir(), 'keyledger-shred-byok-'));
    const cprk = (await call(token, 'POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' })).body['kid'] as string;
    const wrapping = await call(token, 'POST', `/api/v2/keys/encryption/${cprk}/wrapping-key`, {});
    await writeFile(join(work, 'wrapping.pem'), wrapping.body['public_key'] as string);
    await writeFile(join(work, 'material.bin'), Buffer.alloc(32, 9));
    const wrapped = (await runCli(['byok', 'wrap', '--public-key', join(work, 'wrapping.pem'), '--key-material', join(work, 'material.bin'), '--hash', wrapping.body['oaep_hash'] as string], env)).stdout.trim();
    await rm(work, { recursive: true, force: true });
    expect((await call(token, 'POST', `/api/v2/keys/encryption/${cprk}`, { wrapped_key: wrapped })).status).toBe(201);
    expect((await call(token, 'POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
    expect((await call(neighbour, 'PUT', '/v1/secrets/db.password', { value: 'neighbours-own' })).status).toBe(201);
    const neighbourCiphertext = (await call(neighbour, 'POST', '/v1/namespaces/default/encrypt', { plaintext: b64('theirs') })).body['ciphertext'] as string;
    const keys = (await call(token, 'GET', '/api/v2/keys/encryption?per_page=100')).body as unknown as Array<{ kid: string; type: string; state: string }>;
    const live = keys.filter((key) => key.state !== 'destroyed' && key.type !== 'environment-root-key');

    // What the tables hold of the tenant before: wrapped key material (the CPRK's is in the root key store) and secret ciphertexts.
    const before = (await scanAll()).filter(({ item }) => mentionsTenant(item));
    const blobs = before.flatMap(({ item }) => binaries(item));
    expect(blobs.length).toBeGreaterThanOrEqual(live.filter((key) => key.type !== 'customer-provided-root-key').length + 3);

    const shred = await runCliStatus(['tenants', 'shred', '--yes', '--json', '--url', server.url, '--token', token], env);
    expect(shred).toMatchObject({ code: 0 });
    const request = JSON.parse(shred.stdout) as { id: string; action: string; state: string; kids: string[] };
    expect(request).toMatchObject({ action: 'shred_tenant', state: 'executed', requested_by: { sub: 'offboarding-admin' } });
    expect([...request.kids].sort()).toEqual(live.map((key) => key.kid).sort());

    // At once, every call for the tenant answers 410 tenant_shredded, also with a new token, and nothing is provisioned again.
    const fresh = (await runCli(['token', '--tenant', TENANT, '--scope', SCOPES], env)).stdout.trim();
    for (const [bearer, method, path, body] of [
      [token, 'GET', '/api/v2/keys/encryption', undefined],
      [token, 'GET', `/v1/keys/as-of?at=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`, undefined],
      [token, 'POST', '/api/v2/keys/encryption/rekey', undefined],
      [token, 'POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' }],
      [token, 'GET', '/v1/keys/retention', undefined],
      [token, 'POST', '/v1/namespaces/default/decrypt', { ciphertext }],
      [token, 'POST', '/v1/namespaces/default/encrypt', { plaintext: b64('more') }],
      [token, 'GET', '/v1/secrets/db.password', undefined],
      [token, 'PUT', '/v1/secrets/db.password', { value: 'again' }],
      [token, 'GET', '/v1/secrets', undefined],
      [token, 'GET', '/v1/jobs', undefined],
      [token, 'DELETE', '/v1/tenant', undefined],
      [fresh, 'POST', '/v1/namespaces/default/encrypt', { plaintext: b64('new tenant?') }],
      [fresh, 'GET', '/api/v2/keys/encryption', undefined],
    ] as const) {
      const answer = await call(bearer, method, path, body);
      expect({ method, path, status: answer.status, errorCode: answer.body.errorCode }).toEqual({ method, path, status: 410, errorCode: 'tenant_shredded' });
      expect(answer.body.message).toContain(request.id);
    }

    // The proof stays reachable: the request, its receipt, the log.
    expect((await call(token, 'GET', `/v1/destruction-requests/${request.id}`)).body).toMatchObject({ state: 'executed' });
    const receipt = await eventually(async () => (await call(fresh, 'GET', `/v1/destruction-receipts/${request.id}`)).body['receipt'] as string | undefined, 'the receipt');
    const jwks = (await (await fetch(`${server.url}/.well-known/keyledger/receipt-keys.json`)).json()) as JSONWebKeySet;
    const claims = JSON.parse(Buffer.from((await compactVerify(receipt, createLocalJWKSet(jwks))).payload).toString('utf8')) as {
      action: string;
      keys: Array<{ kid: string; type: string }>;
      deleted: Record<string, number>;
      root_key_store_operations: Array<{ kid: string }>;
    };
    expect(claims.action).toBe('shred_tenant');
    expect(claims.keys.map((key) => key.kid).sort()).toEqual(live.map((key) => key.kid).sort());
    expect(claims.root_key_store_operations.map((operation) => operation.kid)).toEqual([cprk]);
    expect(claims.deleted['secret_items']).toBe(3);
    await writeFile(join(dataDir, 'shred.jws'), receipt);
    expect((await runCliStatus(['receipts', 'verify', join(dataDir, 'shred.jws'), '--url', server.url], env)).code).toBe(0);

    // A table scan finds no key material or secret ciphertext of the tenant, nor any of those bytes anywhere.
    const after = await scanAll();
    const leftovers = after.filter(({ item }) => mentionsTenant(item) && binaries(item).length > 0);
    expect(leftovers.map(({ table, item }) => ({ table, keys: Object.keys(item) }))).toEqual([]);
    for (const blob of blobs) expect(after.filter(({ text }) => text.includes(blob)).map(({ table }) => table)).toEqual([]);
    for (const value of ['hunter2', 'hunter3', 'k-123']) expect(after.filter(({ text }) => text.includes(value))).toEqual([]);

    // The neighbour is untouched.
    expect((await call(neighbour, 'GET', '/v1/secrets/db.password')).body).toMatchObject({ value: 'neighbours-own' });
    expect((await call(neighbour, 'POST', '/v1/namespaces/default/decrypt', { ciphertext: neighbourCiphertext })).body).toMatchObject({ plaintext: b64('theirs') });

    // The log keeps the shred's steps, ending with its execution.
    const logged = await eventually(async () => {
      const logs = (await call(token, 'GET', '/api/v2/logs?q=type:destruction_*&per_page=100')).body as unknown as Array<{ type: string; details: { request_id?: string } }>;
      const types = logs.filter((log) => log.details.request_id === request.id).map((log) => log.type);
      return types.includes('destruction_executed') ? types : undefined;
    }, "the shred's log entries");
    expect([...logged].sort()).toEqual(['destruction_executed', 'destruction_requested']);
  });
});
