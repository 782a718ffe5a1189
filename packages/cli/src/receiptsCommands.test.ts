import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiptSigner, type StoredReceiptKey } from '@keyledger/receipts';
import { claims as receiptClaims } from '@keyledger/receipts/testing';
import { SoftwareRootKeyStore } from '@keyledger/root-key-store';
import { runCli } from './program';

const BASE = 'https://keyledger.example.com';
const JWKS_URL = `${BASE}/.well-known/keyledger/receipt-keys.json`;
// The receipts package's fixture, requested by a CLI client.
const claims = { ...receiptClaims('dr_42'), requested_by: { sub: 'alice', client_id: 'cli' } };

let dir: string;
let receipt: string;
let jwks: unknown;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyledger-cli-receipts-'));
  const stored: StoredReceiptKey[] = [];
  const signer = new ReceiptSigner({
    keys: { list: async () => [...stored], create: async (key) => void stored.push(key) },
    rootKeyStore: await SoftwareRootKeyStore.openOrCreate(join(dir, 'root-key.json')),
    issuer: BASE,
  });
  receipt = await signer.sign(claims);
  jwks = await signer.jwks();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fake fetch answering from a table of URL → response, recording what was asked. */
function fakeFetch(answers: Record<string, () => Response>) {
  const requests: Array<{ url: string; headers: Record<string, string> }> = [];
  const fetch = (async (url: URL | string, init?: RequestInit) => {
    requests.push({ url: String(url), headers: (init?.headers ?? {}) as Record<string, string> });
    const answer = answers[String(url)];
    return answer ? answer() : new Response(JSON.stringify({ message: 'Not Found' }), { status: 404, statusText: 'Not Found' });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

async function cli(argv: string[], fetch: typeof globalThis.fetch) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (text) => out.push(text), err: (text) => err.push(text), env: { KEYLEDGER_URL: BASE, KEYLEDGER_TOKEN: 'tok' }, fetch });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const json = (body: unknown) => () => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

describe('keyledger receipts', () => {
  it('get prints the receipt of a request, or writes it to --out', async () => {
    const { fetch, requests } = fakeFetch({ [`${BASE}/v1/destruction-receipts/dr_42`]: json({ receipt }) });
    expect(await cli(['receipts', 'get', 'dr_42'], fetch)).toEqual({ code: 0, stdout: `${receipt}\n`, stderr: '' });
    expect(requests[0]!.headers['authorization']).toBe('Bearer tok');

    const file = join(dir, 'receipt.jws');
    expect(await cli(['receipts', 'get', 'dr_42', '--out', file], fetch)).toMatchObject({ code: 0, stdout: '' });
    expect((await readFile(file, 'utf8')).trim()).toBe(receipt);

    const missing = await cli(['receipts', 'get', 'dr_7'], fetch);
    expect(missing).toMatchObject({ code: 1, stderr: 'keyledger: 404 Not Found\n' });
  });

  it("verify checks a receipt file against the deployment's JWKS, fetched without a token, and prints a summary", async () => {
    const file = join(dir, 'receipt.jws');
    await writeFile(file, `\n${receipt}\n\n`);
    const { fetch, requests } = fakeFetch({ [JWKS_URL]: json(jwks) });
    const result = await cli(['receipts', 'verify', file], fetch);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const kid = (jwks as { keys: Array<{ kid: string }> }).keys[0]!.kid;
    expect(result.stdout.split('\n')[0]).toBe(`receipt valid: signed by ${kid}`);
    for (const line of ['request          dr_42', 'tenant           acme', 'action           retire_key', 'key              nk_1  namespace-key  fingerprint 00112233445566778899aabbccddeeff', 'requested by     alice (client cli) at 2026-01-01T00:00:00.000Z', 'approved by      bob at 2026-01-01T01:00:00.000Z', 'executed at      2026-01-02T00:00:05.000Z', `audit chain head seq 42, hash ${'ab'.repeat(32)}`]) {
      expect(result.stdout).toContain(line);
    }
    expect(requests).toEqual([{ url: JWKS_URL, headers: { accept: 'application/json' } }]);
  });

  it('verify takes the JSON of `receipts get --json` and a local --jwks file, and prints the payload with --json', async () => {
    const file = join(dir, 'receipt.json');
    const keys = join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify({ receipt }, null, 2));
    await writeFile(keys, JSON.stringify(jwks));
    const { fetch, requests } = fakeFetch({});
    const result = await cli(['receipts', 'verify', file, '--jwks', keys, '--json'], fetch);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ iss: BASE, iat: expect.any(Number), jti: 'dr_42', ...claims });
    expect(requests).toEqual([]);
  });

  it('verify exits 1 with one line saying why: a tampered receipt, an unknown key, an unreachable JWKS', async () => {
    const [header, payload, signature] = receipt.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), tenant: 'other' })).toString('base64url');
    const file = join(dir, 'forged.jws');
    await writeFile(file, `${header}.${forged}.${signature}`);
    const { fetch } = fakeFetch({ [JWKS_URL]: json(jwks), 'https://other.example.com/jwks.json': json({ keys: [] }) });

    const tampered = await cli(['receipts', 'verify', file], fetch);
    expect(tampered).toMatchObject({ code: 1, stdout: '' });
    expect(tampered.stderr).toMatch(/^keyledger: receipt invalid: Receipt signature does not verify under key rk_\d{13}_[0-9a-f]{8}\.\n$/);

    const unknown = await cli(['receipts', 'verify', file, '--jwks', 'https://other.example.com/jwks.json'], fetch);
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/^keyledger: receipt invalid: Receipt is signed by key rk_\S+, which the JWKS does not list\.\n$/) });

    const unreachable = await cli(['receipts', 'verify', file, '--url', 'https://down.example.com'], fetch);
    expect(unreachable).toMatchObject({ code: 1, stderr: 'keyledger: cannot fetch the receipt keys from https://down.example.com/.well-known/keyledger/receipt-keys.json: 404 Not Found\n' });
  });
});
