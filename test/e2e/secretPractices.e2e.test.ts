/**
 * Issue 20 against `npm start`'s server: scheduled rotation moved along by the dev clock
 * (KEYLEDGER_DEV_CLOCK=1), access rules per name glob (403 naming the rule, an fapi entry), and
 * who read what (summaries every KEYLEDGER_USAGE_FLUSH_INTERVAL, or one entry per read with
 * `every_read`), each checked in the tenant's audit log.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callJson, eventually, freePort, runCli, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(180_000);

const TENANT = 'practices';
const ADMIN_SCOPES = 'create:secrets read:secrets update:secrets delete:secrets read:logs';

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let admin: string;

const call = (token: string, method: string, path: string, body?: unknown) => callJson(server.url, token, method, path, body);
const token = async (clientId: string, scopes = 'read:secrets') => (await runCli(['token', '--tenant', TENANT, '--scope', scopes, '--client-id', clientId, '--subject', `${clientId}@clients`], env)).stdout.trim();
type Log = { type: string; details: Record<string, unknown> };
const logs = async (type: string): Promise<Log[]> => {
  const found: Log[] = [];
  for (let page = 0; ; page += 1) {
    const batch = (await call(admin, 'GET', `/api/v2/logs?per_page=100&page=${page}&q=${encodeURIComponent(`type:${type}`)}`)).body as unknown as Log[];
    found.push(...batch);
    if (batch.length < 100) return found;
  }
};
const logsEventually = (type: string, count: number) =>
  eventually(async () => {
    const found = await logs(type);
    return found.length >= count ? found : undefined;
  }, `${count} ${type} entries`);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-practices-'));
  env = { ...stackEnv(await freePort(), dataDir), KEYLEDGER_DEV_CLOCK: '1', KEYLEDGER_USAGE_FLUSH_INTERVAL: 'PT1S', KEYLEDGER_OUTBOX_POLL_MS: '200' };
  server = await startServer(env);
  admin = (await runCli(['token', '--tenant', TENANT, '--scope', ADMIN_SCOPES, '--subject', 'alice'], env)).stdout.trim();
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('secrets as the client-secret guidance asks', () => {
  it('a PT1H rotation moved forward 1 hour three times makes three versions and three secret_rotated entries; 5 hours at once, one more', async () => {
    expect((await call(admin, 'PUT', '/v1/secrets/app.client-secret', { value: 'initial' })).status).toBe(201);
    const schedule = await call(admin, 'PUT', '/v1/secrets/app.client-secret/rotation', { period: 'PT1H', length: 40, alphabet: 'base64url' });
    expect(schedule.status).toBe(200);
    expect(schedule.body).toMatchObject({ period: 'PT1H', length: 40, alphabet: 'base64url', keep: null, last_rotated_at: null });
    expect((await call(admin, 'PUT', '/v1/secrets/app.client-secret/rotation', { period: 'PT30M' })).body).toMatchObject({ errorCode: 'invalid_body' });
    // Applying the same period again (a deploy, a script) keeps the next due time.
    const again = await call(admin, 'PUT', '/v1/secrets/app.client-secret/rotation', { period: 'PT1H', length: 40, alphabet: 'base64url' });
    expect(again.body['next_rotation_at']).toBe(schedule.body['next_rotation_at']);

    for (let hour = 1; hour <= 3; hour += 1) expect((await call(admin, 'POST', '/dev/clock', { advance: 'PT1H' })).status).toBe(200);
    const versions = await call(admin, 'GET', '/v1/secrets/app.client-secret/versions');
    expect((versions.body['versions'] as Array<{ version: number; created_by: string }>).map((v) => [v.version, v.created_by])).toEqual([
      [4, 'keyledger-rotation'],
      [3, 'keyledger-rotation'],
      [2, 'keyledger-rotation'],
      [1, 'alice'],
    ]);
    expect(versions.body['rotation']).toMatchObject({ period: 'PT1H', last_rotated_at: expect.any(String), next_rotation_at: expect.any(String) });
    const rotated = await logsEventually('secret_rotated', 3);
    expect(rotated.map((entry) => entry.details['version']).sort()).toEqual([2, 3, 4]);
    expect(JSON.stringify(rotated)).not.toContain((await call(admin, 'GET', '/v1/secrets/app.client-secret')).body['value'] as string);
    // The previous version still reads, while clients roll over.
    expect((await call(admin, 'GET', '/v1/secrets/app.client-secret?version=3')).body).toMatchObject({ version: 3, value: expect.stringMatching(/^[A-Za-z0-9_-]{40}$/) });

    expect((await call(admin, 'POST', '/dev/clock', { advance: 'PT5H' })).status).toBe(200);
    const after = (await call(admin, 'GET', '/v1/secrets/app.client-secret/versions')).body['versions'] as unknown[];
    expect(after).toHaveLength(5);
    expect(await logsEventually('secret_rotated', 4)).toHaveLength(4);
    const listed = (await call(admin, 'GET', '/v1/secrets')).body['secrets'] as Array<{ name: string; rotation: unknown }>;
    expect(listed.find((secret) => secret.name === 'app.client-secret')!.rotation).toMatchObject({ period: 'PT1H' });
  });

  it('a rule limiting db.* to client svc-orders: another client with read:secrets gets 403 naming the rule (and an fapi entry); svc-orders reads', async () => {
    expect((await call(admin, 'PUT', '/v1/secrets/db.password', { value: 'hunter2' })).status).toBe(201);
    const rules = await call(admin, 'PUT', '/v1/secret-access-rules', { rules: [{ match: 'db.*', read: { clients: ['svc-orders'] } }] });
    expect(rules.body).toMatchObject({ namespace: 'secrets', rules: [{ match: 'db.*', read: { clients: ['svc-orders'], subjects: [] } }], updated_by: 'alice' });
    expect((await call(admin, 'PUT', '/v1/secret-access-rules', { rules: [{ match: 'db.(.*)+', read: {} }] })).body).toMatchObject({ errorCode: 'invalid_body' });
    const huge = Array.from({ length: 20 }, (_, i) => ({ match: `x${i}*`, read: { clients: Array.from({ length: 20 }, (_, c) => `client-${c}-${'x'.repeat(200)}`) } }));
    expect((await call(admin, 'PUT', '/v1/secret-access-rules', { rules: huge })).body).toMatchObject({ errorCode: 'invalid_body', message: expect.stringContaining('characters of JSON') });

    const other = await token('svc-billing');
    const refused = await call(other, 'GET', '/v1/secrets/db.password');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ errorCode: 'secret_access_denied', message: expect.stringContaining("Secret access rule 1 ('db.*')") });
    expect(refused.body['message']).not.toContain('hunter2');
    // Nor do the rule's readers show: a refused caller does not learn whom to impersonate.
    expect(refused.body['message']).not.toContain('svc-orders');
    // A rotation answers the new value: the rules decide who may rotate too.
    const billingWriter = await token('svc-billing', 'read:secrets update:secrets');
    expect((await call(billingWriter, 'POST', '/v1/secrets/db.password/rotate', {})).body).toMatchObject({ errorCode: 'secret_access_denied' });
    expect((await call(await token('svc-orders'), 'GET', '/v1/secrets/db.password')).body).toMatchObject({ value: 'hunter2' });
    // Names the rule does not match stay readable with the scope alone.
    expect((await call(other, 'GET', '/v1/secrets/app.client-secret')).status).toBe(200);
    const refusals = await eventually(async () => {
      const found = (await logs('fapi')).filter((entry) => entry.details['error_code'] === 'secret_access_denied');
      return found.length >= 2 ? found : undefined;
    }, 'both refusals in the log');
    expect(refusals.map((entry) => [entry.details['status'], entry.details['route']]).sort()).toEqual([
      [403, 'GET /v1/secrets/{name}'],
      [403, 'POST /v1/secrets/{name}/rotate'],
    ]);
    expect((await logsEventually('secret_access_rules_changed', 1))[0]!.details).toMatchObject({ namespace: 'secrets', changed_by: 'alice' });
  });

  it('1,000 reads by two clients: usage shows both with their counts within a flush interval, and the log holds summaries; every_read logs each read', async () => {
    expect((await call(admin, 'PUT', '/v1/secrets/mq.token', { value: 'tok' })).status).toBe(201);
    const [orders, billing] = [await token('svc-orders'), await token('svc-billing')];
    for (let batch = 0; batch < 20; batch += 1) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => call(i % 5 === 0 ? billing : orders, 'GET', '/v1/secrets/mq.token')));
    }
    const usage = await eventually(async () => {
      const answer = await call(admin, 'GET', '/v1/secrets/mq.token/usage');
      const rows = answer.body['usage'] as Array<{ client_id: string; reads: number }>;
      const total = rows.reduce((sum, row) => sum + row.reads, 0);
      return total === 1000 ? rows : undefined;
    }, '1000 reads in the usage', 8_000);
    expect(Object.fromEntries(usage.map((row) => [row.client_id, row.reads]))).toEqual({ 'svc-orders': 800, 'svc-billing': 200 });
    const reads = (entries: Log[]) => entries.reduce((sum, entry) => sum + (entry.details['reads'] as number), 0);
    const summaries = await eventually(async () => {
      const found = (await logs('secret_accessed')).filter((entry) => entry.details['name'] === 'mq.token');
      return reads(found) >= 1000 ? found : undefined;
    }, 'summaries of the 1000 reads in the log');
    expect(reads(summaries)).toBe(1000);
    expect(summaries.length).toBeLessThan(50);

    expect((await call(admin, 'PUT', '/v1/secrets/mq.token/audit', { audit: 'every_read' })).body).toEqual({ name: 'mq.token', namespace: 'secrets', audit: 'every_read' });
    for (let read = 0; read < 12; read += 1) expect((await call(orders, 'GET', '/v1/secrets/mq.token')).status).toBe(200);
    const each = await eventually(async () => {
      const found = (await logs('secret_accessed')).filter((entry) => entry.details['name'] === 'mq.token' && entry.details['audit'] === 'every_read');
      return found.length >= 12 ? found : undefined;
    }, 'one entry per read');
    expect(each).toHaveLength(12);
    expect(each.every((entry) => entry.details['reads'] === 1 && entry.details['client_id'] === 'svc-orders')).toBe(true);

    // The CLI prints the same.
    const cli = (args: string[]) => runCli([...args, '--url', server.url, '--token', admin], env);
    const printed = (await cli(['secrets', 'usage', 'mq.token'])).stdout;
    expect(printed).toMatch(/svc-billing\s.*\s200\s/);
    expect(printed).toContain('1012 reads of mq.token');
    expect((await cli(['secrets', 'rotation', 'get', 'app.client-secret'])).stdout).toMatch(/^app\.client-secret: a new 40-character base64url value every PT1H; last .* \(version 5\), next /);
    expect((await cli(['secrets', 'list'])).stdout).toMatch(/app\.client-secret\s.*\s5\s.*PT1H/);
  });
});
