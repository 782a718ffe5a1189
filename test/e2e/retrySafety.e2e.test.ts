/**
 * Retries are safe and tenants are limited, against `npm start`'s server: a rekey whose deletion
 * of superseded material fails after the commit still answers 204 (the deletion finishes in the
 * background); a rekey repeated with the same Idempotency-Key rotates once; and with
 * KEYLEDGER_RATE_LIMIT=20 a tenant past its limit gets 429 while another is unaffected.
 */
import { DynamoDBClient, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort, runCli, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(120_000);

const SCOPES = 'read:encryption_keys create:encryption_keys update:encryption_keys delete:encryption_keys read:logs create:secrets read:secrets update:secrets';
interface Key {
  kid: string;
  type: string;
  state: string;
}

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let dynamoPort: number;
const tokens = new Map<string, string>();

async function tokenFor(tenant: string): Promise<string> {
  if (!tokens.has(tenant)) tokens.set(tenant, (await runCli(['token', '--tenant', tenant, '--scope', SCOPES], env)).stdout.trim());
  return tokens.get(tenant)!;
}

async function call(tenant: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await tokenFor(tenant)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const keysOf = async (tenant: string) => (await call(tenant, 'GET', '/api/v2/keys/encryption?per_page=100')).body as Key[];
const tmks = (keys: Key[]) => keys.filter((key) => key.type === 'tenant-master-key');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-retry-'));
  dynamoPort = await freePort();
  env = {
    ...stackEnv(await freePort(), dataDir),
    KEYLEDGER_DYNAMODB_PORT: String(dynamoPort),
    KEYLEDGER_FAULTS: 'key-material.delete-once',
    KEYLEDGER_RATE_LIMIT: '20',
  };
  server = await startServer(env);
});

afterAll(async () => {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('work after a commit never turns a success into a 5xx', () => {
  it('answers 204 to a rekey whose deletion of superseded material fails, and the deletion completes in the background', async () => {
    const [oldTmk] = tmks(await keysOf('faulty')).filter((key) => key.state === 'active');
    expect((await call('faulty', 'POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
    expect(server.output()).toContain('deleting superseded key material did not finish after the commit; retried in the background');
    const dynamo = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamoPort}`, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const entriesOfOldTmk = async () => {
      const { Items = [] } = await dynamo.send(
        new QueryCommand({ TableName: 'keyledger-local-KeyMaterial', KeyConditionExpression: 'tenant = :t', ExpressionAttributeValues: { ':t': { S: 'faulty' } } }),
      );
      return Items.filter((item) => item['kid']?.S === oldTmk!.kid || item['parent_kid']?.S === oldTmk!.kid).length;
    };
    expect(await entriesOfOldTmk()).toBeGreaterThan(0);
    await eventually(async () => (server.output().includes('deleting superseded key material done in the background') ? true : undefined), 'the background deletion');
    expect(await entriesOfOldTmk()).toBe(0);
    dynamo.destroy();
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeated rekey with the first 204 and rotates once; without the key, two rekeys are two', async () => {
    const before = tmks(await keysOf('idem')).length;
    const first = await call('idem', 'POST', '/api/v2/keys/encryption/rekey', { 'idempotency-key': 'rekey-2026-12-01' });
    const again = await call('idem', 'POST', '/api/v2/keys/encryption/rekey', { 'idempotency-key': 'rekey-2026-12-01' });
    expect([first.status, again.status]).toEqual([204, 204]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(tmks(await keysOf('idem')).length).toBe(before + 1);
    const reused = await call('idem', 'POST', '/api/v2/keys/encryption', { 'idempotency-key': 'rekey-2026-12-01' }, '{"type":"customer-provided-root-key"}');
    expect(reused.status).toBe(422);
    expect(reused.body).toMatchObject({ statusCode: 422, errorCode: 'idempotency_key_reused' });
    await call('idem', 'POST', '/api/v2/keys/encryption/rekey');
    await call('idem', 'POST', '/api/v2/keys/encryption/rekey');
    expect(tmks(await keysOf('idem')).length).toBe(before + 3);
  });

  it('writes one secret version for a PUT retried with its key, and replays a rotation with the value it generated', async () => {
    const put = () => call('idem', 'PUT', '/v1/secrets/db-password', { 'idempotency-key': 'put-1' }, JSON.stringify({ value: Buffer.from('s3cret').toString('base64') }));
    const [first, again] = [await put(), await put()];
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 201, body: first.body });
    const versions = (await call('idem', 'GET', '/v1/secrets/db-password/versions')).body as { versions: unknown[] };
    expect(versions.versions).toHaveLength(1);
    const rotate = () => call('idem', 'POST', '/v1/secrets/db-password/rotate', { 'idempotency-key': 'rotate-1' }, '{"length":24}');
    const [rotated, replayed] = [await rotate(), await rotate()];
    expect(rotated.status).toBe(201);
    expect(replayed.body).toEqual(rotated.body);
    expect(((await call('idem', 'GET', '/v1/secrets/db-password/versions')).body as { versions: unknown[] }).versions).toHaveLength(2);
    // The generated value is never written down with the idempotency record.
    const dynamo = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamoPort}`, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { Items = [] } = await dynamo.send(new ScanCommand({ TableName: 'keyledger-local-RequestControls' }));
    dynamo.destroy();
    expect(Items.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(Items)).not.toContain((rotated.body as { value: string }).value);
  });

  it('replays a created key with the same kid', async () => {
    const body = '{"type":"customer-provided-root-key"}';
    const first = await call('idem', 'POST', '/api/v2/keys/encryption', { 'idempotency-key': 'cprk-1' }, body);
    const again = await call('idem', 'POST', '/api/v2/keys/encryption', { 'idempotency-key': 'cprk-1' }, body);
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 201, body: first.body });
  });
});

describe('per-tenant rate limit (KEYLEDGER_RATE_LIMIT=20)', () => {
  it('sends x-ratelimit-* on answers, 429 with Retry-After past the limit, and leaves other tenants alone', async () => {
    await tokenFor('busy');
    await tokenFor('calm');
    // A quiet second first, so that both buckets are full.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const first = await call('busy', 'GET', '/api/v2/logs?per_page=1');
    expect(first.headers.get('x-ratelimit-limit')).toBe('20');
    expect(Number(first.headers.get('x-ratelimit-remaining'))).toBe(19);
    const reset = Number(first.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 2);
    const started = Date.now();
    const burst = await Promise.all(Array.from({ length: 60 }, () => call('busy', 'GET', '/api/v2/logs?per_page=1')));
    const elapsedSeconds = (Date.now() - started) / 1000;
    const refused = burst.filter((answer) => answer.status === 429);
    // 19 left in the bucket, plus 20 a second while the burst lasted (however slow the machine).
    expect(burst.length - refused.length).toBeLessThanOrEqual(19 + Math.ceil(20 * elapsedSeconds) + 1);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(refused[0]!.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', errorCode: 'too_many_requests' });
    expect(refused[0]!.headers.get('x-ratelimit-remaining')).toBe('0');
    const other = await call('calm', 'GET', '/api/v2/logs?per_page=1');
    expect(other.status).toBe(200);
    expect(Number(other.headers.get('x-ratelimit-remaining'))).toBe(19);
  });
});
