import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROUTES } from '@keyledger/http';
import type { EncryptionKeyView } from '@keyledger/key-admin';
import { SERVER_BUNDLE, freePort, runCli, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(60_000);

type Key = EncryptionKeyView;

const ALL_KEY_SCOPES = 'read:encryption_keys create:encryption_keys update:encryption_keys';
const AUTH0_FIELDS = ['kid', 'type', 'state', 'created_at', 'updated_at', 'parent_kid'];

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let acmeToken: string;

async function token(tenant: string, scope: string): Promise<string> {
  const { stdout, stderr } = await runCli(['token', '--tenant', tenant, '--scope', scope], env);
  expect(stderr).toBe('');
  expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/); // only the token
  return stdout.trim();
}

async function api(path: string, options: { method?: string; token?: string } = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: options.method ?? 'GET',
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const listKeys = async (bearer = acmeToken): Promise<Key[]> => {
  const { status, body } = await api('/api/v2/keys/encryption?per_page=100', { token: bearer });
  expect(status).toBe(200);
  return body as Key[];
};
const ofType = (keys: Key[], type: string, state?: string) =>
  keys.filter((key) => key.type === type && (state === undefined || key.state === state));

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-e2e-'));
  env = stackEnv(await freePort(), dataDir);
  server = await startServer(env);
  acmeToken = await token('acme', ALL_KEY_SCOPES);
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('key-admin over HTTP against the local server', () => {
  let before: Key[];

  it('starts with a development-only warning and a ready-to-use admin token', async () => {
    expect(server.output()).toMatch(/WARNING: DEVELOPMENT ONLY/);
    expect(server.output()).toContain(`keyledger is running at ${server.url}`);
    const adminToken = /admin token[^\n]*\n(\S+)/.exec(server.output())?.[1];
    expect((await api('/api/v2/keys/encryption', { token: adminToken })).status).toBe(200);
    // Two ready-to-paste lines for the CLI and the tour.
    expect(server.output()).toContain(`\nexport KEYLEDGER_URL=${server.url}\nexport KEYLEDGER_TOKEN=${adminToken}\n`);
    expect(server.output()).toContain('README.md, "A short tour"');
    // On Node 22 (the Lambda runtime) the AWS SDK has nothing to warn about.
    expect(server.output()).not.toMatch(/NodeDeprecationWarning|AWS SDK for JavaScript|EBADENGINE/);
  });

  it('serves its OpenAPI 3.1 document at /openapi.json, as committed in docs/', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8'));
  });

  it('refuses a token without the scopes on every route of the route table (API Gateway leaves scopes to the handlers)', async () => {
    const noScopes = await token('acme', 'openid');
    const oneShort = await token('acme', 'create:encryption_keys');
    for (const route of ROUTES) {
      const path = route.path.replace(/\{(\w+)\}/g, 'x1');
      for (const bearer of route.scopes.length > 1 ? [noScopes, oneShort] : [noScopes]) {
        const answer = await api(path, { method: route.method, token: bearer });
        expect([`${route.method} ${route.path}`, answer.status, (answer.body as { errorCode?: string }).errorCode]).toEqual([`${route.method} ${route.path}`, 403, 'insufficient_scope']);
      }
    }
  });

  it('refuses, in one line, a second server on a data dir in use', async () => {
    const second = await promisify(execFile)(process.execPath, [SERVER_BUNDLE], { env: { ...env, KEYLEDGER_PORT: String(await freePort()) } }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      `keyledger failed to start: the data dir ${dataDir} is in use by another keyledger (pid ${server.child.pid}); stop that one, or start this one with another KEYLEDGER_DATA_DIR.\n`,
    );
  });

  it('tells a token of another data dir\'s dev issuer that it is from another issuer', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'keyledger-other-issuer-'));
    try {
      const foreign = (await runCli(['token', '--tenant', 'acme', '--scope', 'read:encryption_keys'], { ...env, KEYLEDGER_DATA_DIR: otherDir })).stdout.trim();
      const refused = await api('/api/v2/keys/encryption', { token: foreign });
      expect(refused.status).toBe(401);
      expect((refused.body as { message: string }).message).toMatch(/^Invalid token: the token is from "urn:keyledger:local-dev-issuer:[0-9a-f-]+", not from this stack's dev issuer/);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('prints its version, and its help names the environment it reads', async () => {
    expect((await runCli(['--version'], process.env)).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = (await runCli(['--help'], process.env)).stdout;
    for (const name of ['KEYLEDGER_URL', 'KEYLEDGER_TOKEN', 'KEYLEDGER_DATA_DIR', 'KEYLEDGER_PORT']) expect(help).toContain(name);
  });

  it("lists one ERK, one active TMK and an active key per namespace, with Auth0's fields", async () => {
    before = await listKeys();
    for (const key of before) expect(Object.keys(key)).toEqual(expect.arrayContaining(AUTH0_FIELDS));
    const [erk] = ofType(before, 'environment-root-key');
    const tmks = ofType(before, 'tenant-master-key');
    const namespaceKeys = ofType(before, 'tenant-encryption-key');
    expect(ofType(before, 'environment-root-key')).toHaveLength(1);
    expect(tmks).toEqual([expect.objectContaining({ state: 'active', parent_kid: erk!.kid })]);
    expect(namespaceKeys).toHaveLength(2);
    for (const key of namespaceKeys) expect(key).toMatchObject({ state: 'active', parent_kid: tmks[0]!.kid });
  });

  it('pages with Auth0 parameters and totals', async () => {
    const { status, body } = await api('/api/v2/keys/encryption?page=1&per_page=3&include_totals=true', { token: acmeToken });
    expect(status).toBe(200);
    expect(body).toMatchObject({ start: 3, limit: 3, total: 4 });
    expect(body.keys).toHaveLength(1);
  });

  it('gets one key by kid', async () => {
    const tmk = ofType(before, 'tenant-master-key')[0]!;
    const { status, body } = await api(`/api/v2/keys/encryption/${tmk.kid}`, { token: acmeToken });
    expect(status).toBe(200);
    expect(body).toEqual(expect.objectContaining(tmk));
  });

  it('rekeys (204): a new active TMK, the previous destroyed, namespace keys rotated under the new TMK', async () => {
    const rekey = await api('/api/v2/keys/encryption/rekey', { method: 'POST', token: acmeToken });
    expect(rekey.status).toBe(204);
    expect(rekey.body).toBeUndefined();

    const after = await listKeys();
    const previousTmk = ofType(before, 'tenant-master-key')[0]!;
    const activeTmks = ofType(after, 'tenant-master-key', 'active');
    expect(activeTmks).toHaveLength(1);
    const newTmk = activeTmks[0]!;
    expect(newTmk.kid).not.toBe(previousTmk.kid);
    expect(after.find((key) => key.kid === previousTmk.kid)?.state).toBe('destroyed');

    const active = ofType(after, 'tenant-encryption-key', 'active');
    expect(active).toHaveLength(2);
    for (const key of active) expect(key.parent_kid).toBe(newTmk.kid);
    for (const old of ofType(before, 'tenant-encryption-key')) {
      expect(after.find((key) => key.kid === old.kid)).toMatchObject({ state: 'deactivated', parent_kid: newTmk.kid });
    }
  });

  it('refuses a rekey without update:encryption_keys (403) and changes nothing', async () => {
    const keysBefore = await listKeys();
    const weak = await token('acme', 'read:encryption_keys create:encryption_keys');
    const { status, body } = await api('/api/v2/keys/encryption/rekey', { method: 'POST', token: weak });
    expect(status).toBe(403);
    expect(body).toMatchObject({ statusCode: 403, error: 'Forbidden', errorCode: 'insufficient_scope' });
    expect(body.message).toContain('update:encryption_keys');
    expect(await listKeys()).toEqual(keysBefore);
  });

  it('answers 401 without a token and with a forged one', async () => {
    expect(await api('/api/v2/keys/encryption')).toMatchObject({ status: 401, body: { statusCode: 401, errorCode: 'missing_token' } });
    const [header, payload] = acmeToken.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(64, 1).toString('base64url')}`;
    expect(await api('/api/v2/keys/encryption', { token: forged })).toMatchObject({ status: 401, body: { errorCode: 'invalid_token' } });
  });

  it("never shows tenant acme's keys to a token for tenant other", async () => {
    const otherToken = await token('other', 'read:encryption_keys');
    const otherKeys = await listKeys(otherToken);
    const acmeKids = new Set((await listKeys()).filter((key) => key.type !== 'environment-root-key').map((key) => key.kid));
    expect(otherKeys.filter((key) => acmeKids.has(key.kid))).toEqual([]);
    const acmeTmk = ofType(await listKeys(), 'tenant-master-key', 'active')[0]!;
    expect((await api(`/api/v2/keys/encryption/${acmeTmk.kid}`, { token: otherToken })).status).toBe(404);
  });

  it('answers 400 naming per_page for per_page=1000, and 404 for an unknown kid', async () => {
    const tooMany = await api('/api/v2/keys/encryption?per_page=1000', { token: acmeToken });
    expect(tooMany).toMatchObject({ status: 400, body: { statusCode: 400, error: 'Bad Request', errorCode: 'invalid_query_string' } });
    expect(tooMany.body.message).toContain('per_page');
    const unknown = await api('/api/v2/keys/encryption/00000000-0000-4000-8000-000000000000', { token: acmeToken });
    expect(unknown).toMatchObject({ status: 404, body: { statusCode: 404, error: 'Not Found' } });
  });

  it('stops cleanly on SIGTERM and lists the same keys and states after a restart on the same data dir', async () => {
    const keysBefore = await listKeys();
    expect(await server.stop('SIGTERM')).toBe(0);
    server = await startServer(env);
    expect(await listKeys()).toEqual(keysBefore);
    // Still a working hierarchy, not just a listing: rekey unwraps the TMK and every namespace key.
    expect((await api('/api/v2/keys/encryption/rekey', { method: 'POST', token: acmeToken })).status).toBe(204);
    expect(await server.stop('SIGINT')).toBe(0);
    server = await startServer(env);
    expect(ofType(await listKeys(), 'tenant-master-key', 'destroyed')).toHaveLength(2);
  });
});

describe('the keyledger CLI against the local server', () => {
  it('lists as a table by default and as JSON with --json, and rekeys', async () => {
    const cliEnv = { ...env, KEYLEDGER_TOKEN: acmeToken };
    const table = await runCli(['keys', 'list'], cliEnv);
    expect(table.stdout).toMatch(/KID\s+│\s+TYPE\s+│\s+NAMESPACE\s+│\s+STATE/);
    expect(table.stdout).toMatch(/│\s+tenant-encryption-key\s+│\s+secrets\s+│\s+active\s+│/);
    expect(table.stdout).toMatch(/\d+ of \d+ keys/);
    const json = JSON.parse((await runCli(['keys', 'list', '--json'], cliEnv)).stdout) as Key[];
    expect(json).toEqual(await listKeys());
    const active = ofType(json, 'tenant-master-key', 'active')[0]!;
    expect(JSON.parse((await runCli(['keys', 'get', active.kid, '--json'], cliEnv)).stdout)).toMatchObject({ kid: active.kid });
    await runCli(['keys', 'rekey', '--token', acmeToken], { ...env, KEYLEDGER_TOKEN: '' });
    expect(ofType(await listKeys(), 'tenant-master-key', 'active')[0]!.kid).not.toBe(active.kid);
  });

  it('exits 1 with the API message on an error', async () => {
    await expect(runCli(['keys', 'get', 'no-such-key'], { ...env, KEYLEDGER_TOKEN: acmeToken })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('404 The key no-such-key does not exist.'),
    });
  });

  it('exits 1 naming a bad setting of its own', async () => {
    await expect(runCli(['keys', 'list'], { ...env, KEYLEDGER_TOKEN: acmeToken, KEYLEDGER_URL: 'localhost:8787' })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('KEYLEDGER_URL: must be an http:// or https:// URL'),
    });
  });
});
