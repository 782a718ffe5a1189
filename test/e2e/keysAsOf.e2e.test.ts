import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EncryptionKeyView, WrappingKeyView } from '@keyledger/key-admin';
import { freePort, runCli, runCliStatus, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(120_000);

type Key = EncryptionKeyView;
type Totals = { start: number; limit: number; total: number; keys: Key[] };
const SCOPES = 'read:encryption_keys create:encryption_keys update:encryption_keys';

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let bearer: string;

async function api<T = unknown>(method: string, path: string, body?: unknown, token = bearer) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function get<T>(path: string, token = bearer): Promise<T> {
  const { status, body } = await api<T>('GET', path, undefined, token);
  expect({ path, status }).toEqual({ path, status: 200 });
  return body;
}

/** What the listing shows now, as an auditor would save it: plain, with totals, and one page of a smaller paging. */
async function saveListing() {
  return {
    plain: await get<Key[]>('/api/v2/keys/encryption?per_page=100'),
    totals: await get<Totals>('/api/v2/keys/encryption?include_totals=true'),
    page: await get<Totals>('/api/v2/keys/encryption?include_totals=true&page=1&per_page=3'),
  };
}

/** The same three reads of the hierarchy as of `at`. */
async function asOf(at: string) {
  const instant = encodeURIComponent(at);
  return {
    plain: await get<Key[]>(`/v1/keys/as-of?at=${instant}&per_page=100`),
    totals: await get<Totals>(`/v1/keys/as-of?at=${instant}&include_totals=true`),
    page: await get<Totals>(`/v1/keys/as-of?at=${instant}&include_totals=true&page=1&per_page=3`),
  };
}

/** Now, and a moment later: every commit before it is at or before it, every commit after it later. */
async function instant(): Promise<string> {
  const at = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 5));
  return at;
}

async function byokImport(): Promise<string> {
  const cprk = await api<Key>('POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' });
  expect(cprk.status).toBe(201);
  const wrapping = await api<WrappingKeyView>('POST', `/api/v2/keys/encryption/${cprk.body.kid}/wrapping-key`, {});
  expect(wrapping.status).toBe(201);
  const work = await mkdtemp(join(tmpdir(), 'keyledger-asof-customer-'));
  try {
    await writeFile(join(work, 'wrapping.pem'), wrapping.body.public_key);
    await writeFile(join(work, 'material.bin'), randomBytes(32));
    const args = ['byok', 'wrap', '--public-key', join(work, 'wrapping.pem'), '--key-material', join(work, 'material.bin'), '--hash', wrapping.body.oaep_hash];
    const wrapped = (await runCli(args, env)).stdout.trim();
    const imported = await api<Key>('POST', `/api/v2/keys/encryption/${cprk.body.kid}`, { wrapped_key: wrapped });
    expect(imported).toMatchObject({ status: 201, body: { state: 'active' } });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return cprk.body.kid;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-asof-e2e-'));
  env = stackEnv(await freePort(), dataDir);
  server = await startServer(env);
  bearer = (await runCli(['token', '--tenant', 'auditee', '--scope', SCOPES], env)).stdout.trim();
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('GET /v1/keys/as-of against the local server', () => {
  let beforeFirstCall: string;
  let savedAt: string;
  let saved: Awaited<ReturnType<typeof saveListing>>;
  let cprk: string;

  it('after a rekey and a BYOK import, lists the hierarchy at a time before the rekey exactly as the listing showed it then', async () => {
    beforeFirstCall = await instant();
    saved = await saveListing();
    savedAt = await instant();
    expect(saved.plain).toHaveLength(4);

    expect((await api('POST', '/api/v2/keys/encryption/rekey')).status).toBe(204);
    cprk = await byokImport();
    const current = await saveListing();
    expect(current.plain).toHaveLength(8);
    expect(current.plain.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!.parent_kid).toBe(cprk);
    expect(current.plain.find((key) => key.kid === saved.plain.find((old) => old.type === 'tenant-master-key')!.kid)!.state).toBe('destroyed');

    expect(await asOf(savedAt)).toEqual(saved);
    // The same instant with an offset (its + sent as %2B).
    const withOffset = `${new Date(Date.parse(savedAt) + 2 * 3_600_000).toISOString().slice(0, -1)}+02:00`;
    expect(await get<Key[]>(`/v1/keys/as-of?at=${encodeURIComponent(withOffset)}&per_page=100`)).toEqual(saved.plain);
    // And now, as the listing shows it now.
    expect(await asOf(await instant())).toEqual(current);
  });

  it('is empty before the tenant’s first call, and provisions no tenant', async () => {
    expect(await get<Key[]>(`/v1/keys/as-of?at=${beforeFirstCall}`)).toEqual([]);
    expect(await get<Totals>(`/v1/keys/as-of?at=${beforeFirstCall}&include_totals=true`)).toEqual({ start: 0, limit: 50, total: 0, keys: [] });
    const stranger = (await runCli(['token', '--tenant', 'never-listed', '--scope', 'read:encryption_keys'], env)).stdout.trim();
    expect(await get<Key[]>(`/v1/keys/as-of?at=${await instant()}`, stranger)).toEqual([]);
    // Had the first read provisioned the tenant, a read as of a later instant would list its keys.
    expect(await get<Key[]>(`/v1/keys/as-of?at=${await instant()}`, stranger)).toEqual([]);
  });

  it('answers 400 invalid_query_string saying what is wrong with at', async () => {
    const refusals: Array<[string, RegExp]> = [
      ['/v1/keys/as-of', /^Query parameter at: is required: the instant to list the keys as of, as an ISO 8601 date-time with a time zone/],
      ['/v1/keys/as-of?at=30%20June%202026', /^Query parameter at: must be an ISO 8601 date-time with a time zone, e.g. 2026-06-30T00:00:00Z/],
      ['/v1/keys/as-of?at=2026-06-30T00:00:00', /^Query parameter at: has no time zone: add Z \(UTC\) or an offset such as \+02:00/],
      ['/v1/keys/as-of?at=2026-06-30T02:00:00+02:00', /^Query parameter at: has a space where its offset's sign should be: in a query string a \+ means a space, so send it as %2B/],
      [`/v1/keys/as-of?at=${new Date(Date.now() + 3_600_000).toISOString()}`, /^Query parameter at: is in the future \(.* is after the server's clock, .*\)/],
      [`/v1/keys/as-of?at=${savedAt}&per_page=0`, /^Query parameter per_page: per_page must be at least 1/],
    ];
    for (const [path, message] of refusals) {
      const { status, body } = await api<{ errorCode: string; message: string }>('GET', path);
      expect({ path, status, errorCode: body.errorCode }).toEqual({ path, status: 400, errorCode: 'invalid_query_string' });
      expect(body.message).toMatch(message);
    }
  });

  it('keyledger keys list --at prints the listing as it was then (table or --json), and checks the time first', async () => {
    const cli = ['--url', server.url, '--token', bearer];
    const json = await runCliStatus(['keys', 'list', '--at', savedAt, '--json', ...cli], env);
    expect(json).toMatchObject({ code: 0 });
    expect(JSON.parse(json.stdout)).toEqual(saved.plain);
    const table = await runCliStatus(['keys', 'list', '--at', savedAt, ...cli], env);
    expect(table).toMatchObject({ code: 0 });
    expect(table.stdout).toContain(`4 of 4 keys as of ${savedAt}`);
    expect(table.stdout).not.toContain(cprk);
    const now = await runCliStatus(['keys', 'list', ...cli], env);
    expect(now.stdout).toContain(cprk);
    expect(now.stdout).toContain('8 of 8 keys\n');

    const refused = await runCliStatus(['keys', 'list', '--at', '2026-06-30', ...cli], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("option '--at <time>' argument '2026-06-30' is invalid. must be an ISO 8601 date-time with a time zone");
    const future = await runCliStatus(['keys', 'list', '--at', new Date(Date.now() + 3_600_000).toISOString(), ...cli], env);
    expect(future.code).not.toBe(0);
    expect(future.stderr).toMatch(/is in the future/);
  });
});
