import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { eventually, freePort, runCli, runCliWithInput, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(180_000);

const DATA_SCOPES = 'encrypt decrypt create:data_keys read:secrets create:secrets update:secrets delete:secrets';
const KEY_SCOPES = 'read:encryption_keys create:encryption_keys update:encryption_keys';
/** The bound this test sets on how long a process keeps using a hierarchy it has read. */
const KEY_STATE_TTL_MS = 1_000;

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let acme: string;
let globex: string;

async function token(tenant: string, scope: string): Promise<string> {
  return (await runCli(['token', '--tenant', tenant, '--scope', scope], env)).stdout.trim();
}

interface Reply {
  status: number;
  body: Record<string, unknown> | undefined;
  text: string;
}

async function call(method: string, path: string, bearer: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, text };
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

async function encrypt(bearer: string, namespace: string, text: string, context?: Record<string, string>) {
  const reply = await call('POST', `/v1/namespaces/${namespace}/encrypt`, bearer, { plaintext: b64(text), encryption_context: context });
  expect(reply.status).toBe(200);
  return reply.body as { ciphertext: string; kid: string };
}

const decrypt = (bearer: string, namespace: string, ciphertext: string, context?: Record<string, string>) =>
  call('POST', `/v1/namespaces/${namespace}/decrypt`, bearer, { ciphertext, encryption_context: context });

/** Runs `work` on every item with at most `limit` in flight. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

async function activeNamespaceKids(bearer: string): Promise<string[]> {
  const reply = await call('GET', '/api/v2/keys/encryption?per_page=100', bearer);
  const keys = reply.body as unknown as Array<{ kid: string; type: string; state: string }>;
  return keys.filter((key) => key.type === 'tenant-encryption-key' && key.state === 'active').map((key) => key.kid);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-dp-e2e-'));
  env = { ...stackEnv(await freePort(), dataDir), KEYLEDGER_KEY_STATE_TTL_MS: String(KEY_STATE_TTL_MS) };
  server = await startServer(env);
  acme = await token('acme', `${DATA_SCOPES} ${KEY_SCOPES}`);
  globex = await token('globex', DATA_SCOPES);
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

describe('crypto data plane over HTTP against the local server', () => {
  it('round-trips; another tenant, namespace or context gets a 4xx and no plaintext', async () => {
    const context = { purpose: 'e2e', order: '1001' };
    const { ciphertext, kid } = await encrypt(acme, 'default', 'attack at dawn', context);
    expect(await activeNamespaceKids(acme)).toContain(kid);
    const ok = await decrypt(acme, 'default', ciphertext, context);
    expect(ok.status).toBe(200);
    expect(Buffer.from(ok.body!['plaintext'] as string, 'base64').toString()).toBe('attack at dawn');

    for (const [bearer, namespace, ctx] of [
      [globex, 'default', context],
      [acme, 'secrets', context],
      [acme, 'default', { ...context, order: '1002' }],
      [acme, 'default', undefined],
    ] as const) {
      const refused = await decrypt(bearer, namespace, ciphertext, ctx);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ errorCode: 'decryption_failed' });
      expect(refused.body).not.toHaveProperty('plaintext');
      expect(refused.text).not.toContain(b64('attack at dawn'));
    }
  });

  it('data-keys returns a 256-bit key and its envelope, which decrypt opens with the same context', async () => {
    const reply = await call('POST', '/v1/namespaces/default/data-keys', acme, { encryption_context: { bucket: 'logs' } });
    expect(reply.status).toBe(200);
    const { plaintext_key: plaintextKey, ciphertext_key: ciphertextKey, kid } = reply.body as Record<string, string>;
    expect(Buffer.from(plaintextKey!, 'base64')).toHaveLength(32);
    expect(await activeNamespaceKids(acme)).toContain(kid);
    const opened = await decrypt(acme, 'default', ciphertextKey!, { bucket: 'logs' });
    expect(opened.body).toEqual({ plaintext: plaintextKey });
    expect((await decrypt(acme, 'default', ciphertextKey!, { bucket: 'other' })).status).toBe(400);
  });

  it('checks the scope of each operation', async () => {
    const decryptOnly = await token('acme', 'decrypt');
    const refused = await call('POST', '/v1/namespaces/default/encrypt', decryptOnly, { plaintext: b64('x') });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ errorCode: 'insufficient_scope' });
    expect((await call('GET', '/v1/secrets', decryptOnly)).status).toBe(403);
  });

  it('bad input gets a 4xx that says what is wrong', async () => {
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/v1/namespaces/default/encrypt', { plaintext: 'not base64!' }, 400, /plaintext: is not valid base64/],
      ['POST', '/v1/namespaces/default/encrypt', { plaintext: Buffer.alloc(256 * 1024 + 1).toString('base64') }, 400, /plaintext: is over the size limit: it must decode to at most 262144 bytes/],
      ['POST', '/v1/namespaces/default/encrypt', {}, 400, /plaintext: is required/],
      ['POST', '/v1/namespaces/default/encrypt', { plaintext: b64('x'), encryption_context: { a: 1 } }, 400, /encryption_context\.a: values must be strings/],
      ['POST', '/v1/namespaces/default/encrypt', { plaintext: b64('x'), extra: true }, 400, /Unrecognized key: "extra"/],
      ['POST', '/v1/namespaces/unknown/encrypt', { plaintext: b64('x') }, 404, /The namespace 'unknown' does not exist; this tenant's namespaces are: default, secrets\./],
      ['POST', '/v1/namespaces/Bad%20Name/encrypt', { plaintext: b64('x') }, 400, /ns: is not a namespace name/],
      ['POST', '/v1/namespaces/default/decrypt', { ciphertext: b64('hello world') }, 400, /not a keyledger envelope/],
      ['POST', '/v1/namespaces/default/decrypt', { ciphertext: Buffer.from([0x4b, 0x4c, 9, 1]).toString('base64') }, 400, /format version 9; this service reads versions 1 and 2/],
      ['POST', '/v1/namespaces/default/decrypt', { ciphertext: '' }, 400, /ciphertext: must not be empty/],
      ['PUT', '/v1/secrets/db.password', { value: 'x'.repeat(64 * 1024 + 1) }, 400, /value: is over the size limit of 65536 bytes/],
      ['PUT', '/v1/secrets/bad%2Fname', { value: 'x' }, 400, /name: is not a secret name/],
      ['GET', '/v1/secrets/db.password?version=zero', undefined, 400, /version must be a whole number/],
      ['GET', '/v1/secrets/db.password?encryption_context=%7Bnope', undefined, 400, /encryption_context must be a JSON object/],
      ['POST', '/v1/secrets/db.password/rotate', { length: 4 }, 400, /length: must be at least 8/],
      ['POST', '/v1/secrets/db.password/rotate', { characters: 'aa' }, 400, /characters: must not repeat a character/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const reply = await call(method, path, acme, body);
      expect({ path, status: reply.status }).toEqual({ path, status });
      expect(reply.body!['message']).toMatch(message);
    }
    expect((await call('GET', '/v1/secrets/db.password', acme)).status).toBe(404);
    const malformedJson = await call('POST', '/v1/namespaces/default/encrypt', acme, '{"plaintext":');
    expect(malformedJson.status).toBe(400);
  });

  it('after a rekey, old ciphertexts decrypt and new ones carry the new kid (within KEYLEDGER_KEY_STATE_TTL_MS)', async () => {
    const tenantToken = await token('rekey-co', `${DATA_SCOPES} ${KEY_SCOPES}`);
    const old = await encrypt(tenantToken, 'default', 'before the rekey', { v: '1' });
    const rekeyedAt = Date.now();
    expect((await call('POST', '/api/v2/keys/encryption/rekey', tenantToken)).status).toBe(204);
    const active = await activeNamespaceKids(tenantToken);
    expect(active).not.toContain(old.kid);

    const fresh = await eventually(async () => {
      const attempt = await encrypt(tenantToken, 'default', 'after the rekey');
      return attempt.kid === old.kid ? undefined : attempt;
    }, 'encryption under the new namespace key');
    expect(Date.now() - rekeyedAt).toBeLessThan(KEY_STATE_TTL_MS + 1_000);
    expect(active).toContain(fresh.kid);
    const opened = await decrypt(tenantToken, 'default', old.ciphertext, { v: '1' });
    expect(Buffer.from(opened.body!['plaintext'] as string, 'base64').toString()).toBe('before the rekey');
    const openedNew = await decrypt(tenantToken, 'default', fresh.ciphertext);
    expect(Buffer.from(openedNew.body!['plaintext'] as string, 'base64').toString()).toBe('after the rekey');
  });

  it('malformed ciphertexts (truncated, or a bit flipped in header, tag or body) never give plaintext or a 500', async () => {
    const { ciphertext } = await encrypt(acme, 'default', 'property-tested secret', { p: 'q' });
    const bytes = Buffer.from(ciphertext, 'base64');
    const headerEnd = 4 + bytes[3]! + 60;
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: bytes.length - 1 }) }),
      fc.record({ kind: fc.constant('flip-header' as const), at: fc.integer({ min: 0, max: headerEnd - 1 }), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('flip-iv-body' as const), at: fc.integer({ min: headerEnd, max: bytes.length - 17 }), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('flip-tag' as const), at: fc.integer({ min: bytes.length - 16, max: bytes.length - 1 }), bit: fc.integer({ min: 0, max: 7 }) }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (change) => {
        const mutated = Buffer.from(bytes);
        const sent = change.kind === 'truncate' ? mutated.subarray(0, change.at) : (mutated[change.at]! ^= 1 << change.bit, mutated);
        const reply = await decrypt(acme, 'default', sent.toString('base64'), { p: 'q' });
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
        expect(reply.body).not.toHaveProperty('plaintext');
        expect(reply.text).not.toContain(b64('property-tested secret'));
      }),
      { numRuns: 400 },
    );
  });
});

describe('secrets over HTTP against the local server', () => {
  const secret = (name: string, query = '') => `/v1/secrets/${name}${query}`;

  it('versions increment, a deleted version is 404, expected versions conflict with 409', async () => {
    expect((await call('PUT', secret('db.password'), acme, { value: 'hunter2' })).body).toMatchObject({ name: 'db.password', namespace: 'secrets', version: 1 });
    expect((await call('PUT', secret('db.password'), acme, { value: 'hunter3', expected_version: 1 })).body).toMatchObject({ version: 2 });
    const stale = await call('PUT', secret('db.password'), acme, { value: 'late', expected_version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ errorCode: 'secret_version_conflict' });

    expect((await call('GET', secret('db.password'), acme)).body).toMatchObject({ version: 2, value: 'hunter3' });
    expect((await call('GET', secret('db.password', '?version=1'), acme)).body).toMatchObject({ version: 1, value: 'hunter2' });
    expect((await call('GET', secret('db.password'), globex)).status).toBe(404);

    expect((await call('DELETE', secret('db.password', '?version=2'), acme)).status).toBe(204);
    const gone = await call('GET', secret('db.password', '?version=2'), acme);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ errorCode: 'secret_not_found', message: "The secret 'db.password' has no version 2 in the namespace 'secrets'." });
    expect((await call('GET', secret('db.password'), acme)).body).toMatchObject({ version: 1, value: 'hunter2' });
    expect((await call('PUT', secret('db.password'), acme, { value: 'hunter4' })).body).toMatchObject({ version: 3 });
    const versions = await call('GET', secret('db.password', '/versions'), acme);
    expect((versions.body!['versions'] as Array<{ version: number }>).map((v) => v.version)).toEqual([3, 1]);

    const rotated = await call('POST', secret('db.password', '/rotate'), acme, { length: 24, alphabet: 'hex' });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ version: 4, value: expect.stringMatching(/^[0-9a-f]{24}$/) });
    expect((await call('GET', secret('db.password'), acme)).body).toMatchObject({ version: 4, value: rotated.body!['value'] });

    expect((await call('DELETE', secret('db.password'), acme)).status).toBe(204);
    expect((await call('GET', secret('db.password'), acme)).status).toBe(404);
  });

  it('binds the encryption context and the namespace; lists names a page at a time', async () => {
    await call('PUT', secret('ctx-bound', '?namespace=default'), acme, { value: 'v', encryption_context: { app: 'billing' } });
    const context = encodeURIComponent(JSON.stringify({ app: 'billing' }));
    expect((await call('GET', secret('ctx-bound', `?namespace=default&encryption_context=${context}`), acme)).body).toMatchObject({ value: 'v' });
    expect((await call('GET', secret('ctx-bound', '?namespace=default'), acme)).status).toBe(400);
    expect((await call('GET', secret('ctx-bound'), acme)).status).toBe(404);

    for (const name of ['list-a', 'list-b', 'list-c']) await call('PUT', secret(name, '?namespace=default'), acme, { value: name });
    const first = await call('GET', '/v1/secrets?namespace=default&take=2', acme);
    expect(first.body).toEqual({ namespace: 'default', secrets: [{ name: 'ctx-bound', version: 1, rotation: null }, { name: 'list-a', version: 1, rotation: null }], next: 'list-a' });
    const second = await call('GET', '/v1/secrets?namespace=default&take=2&from=list-a', acme);
    expect(second.body).toEqual({ namespace: 'default', secrets: [{ name: 'list-b', version: 1, rotation: null }, { name: 'list-c', version: 1, rotation: null }], next: null });
  });

  it('10,000 secrets written before a rekey all read back after it', async () => {
    const bulk = await token('bulk-co', `${DATA_SCOPES} ${KEY_SCOPES}`);
    const names = Array.from({ length: 10_000 }, (_, i) => `bulk-${String(i).padStart(5, '0')}`);
    const written = await inParallel(names, 32, async (name) => (await call('PUT', secret(name), bulk, { value: `value of ${name}` })).status);
    expect(written.filter((status) => status !== 201)).toEqual([]);
    const before = await activeNamespaceKids(bulk);

    expect((await call('POST', '/api/v2/keys/encryption/rekey', bulk)).status).toBe(204);
    expect((await activeNamespaceKids(bulk)).some((kid) => before.includes(kid))).toBe(false);

    const read = await inParallel(names, 32, async (name) => {
      const reply = await call('GET', secret(name), bulk);
      return reply.status === 200 && reply.body!['value'] === `value of ${name}`;
    });
    expect(read.filter((ok) => !ok)).toHaveLength(0);
  });
});

describe('the CLI against the local server', () => {
  it('keyledger encrypt | keyledger decrypt round-trips bytes from stdin to stdout, with --context', async () => {
    const cliEnv = { ...env, KEYLEDGER_TOKEN: await token('cli-co', DATA_SCOPES) };
    const data = Buffer.concat([Buffer.from('binary\0data\n'), Buffer.from([0xff, 0xfe, 0x00])]);
    const encrypted = await runCliWithInput(['encrypt', '--context', 'file=a.bin', '--context', 'team=ops'], cliEnv, data);
    expect(encrypted).toMatchObject({ code: 0, stderr: '' });
    const decrypted = await runCliWithInput(['decrypt', '--context', 'team=ops', '--context', 'file=a.bin'], cliEnv, encrypted.stdout);
    expect(decrypted.code).toBe(0);
    expect(decrypted.stdout.equals(data)).toBe(true);
    const refused = await runCliWithInput(['decrypt', '--context', 'file=b.bin'], cliEnv, encrypted.stdout);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toHaveLength(0);
    expect(refused.stderr).toMatch(/^keyledger: 400 The ciphertext could not be decrypted/);
  });

  it('keyledger secrets put|get|versions|rotate|list|delete', async () => {
    const cliEnv = { ...env, KEYLEDGER_TOKEN: await token('cli-co', DATA_SCOPES) };
    const cli = async (args: string[], input = '') => {
      const result = await runCliWithInput(['secrets', ...args], cliEnv, input);
      return { ...result, stdout: result.stdout.toString() };
    };
    expect((await cli(['put', 'app.token'], 'from-stdin\n')).stdout).toBe('app.token is at version 1\n');
    expect((await cli(['put', 'app.token', 'second', '--expected-version', '1', '--context', 'env=prod'])).stdout).toBe('app.token is at version 2\n');
    expect((await cli(['get', 'app.token', '--version', '1'])).stdout).toBe('from-stdin\n');
    expect((await cli(['get', 'app.token', '--context', 'env=prod'])).stdout).toBe('second\n');
    expect((await cli(['get', 'app.token'])).code).toBe(1);
    const rotated = await cli(['rotate', 'app.token', '--length', '20', '--alphabet', 'hex']);
    expect(rotated.stdout).toMatch(/^[0-9a-f]{20}\n$/);
    expect((await cli(['get', 'app.token'])).stdout).toBe(rotated.stdout);
    expect(JSON.parse((await cli(['versions', 'app.token', '--json'])).stdout).versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(JSON.parse((await cli(['list', '--json'])).stdout)).toEqual([{ name: 'app.token', version: 3, rotation: null }]);
    const conflict = await cli(['put', 'app.token', 'late', '--expected-version', '2']);
    expect(conflict).toMatchObject({ code: 1, stderr: expect.stringContaining('409') });
    expect((await cli(['delete', 'app.token', '--version', '3'])).stdout).toBe('Deleted app.token version 3.\n');
    expect((await cli(['get', 'app.token', '--version', '3'])).stderr).toContain("404 The secret 'app.token' has no version 3");
    expect((await cli(['delete', 'app.token'])).stdout).toBe('Deleted app.token (all versions).\n');
    expect(JSON.parse((await cli(['list', '--json'])).stdout)).toEqual([]);
  });
});
