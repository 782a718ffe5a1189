/**
 * @keyledger/client's retries against the real local server with a rate limit of 1 request per
 * second per tenant: a 429 is retried after the Retry-After it carries (measured), a POST keeps
 * its Idempotency-Key across its attempts, and a client without retries gets the 429 as an error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyledgerApiError, KeyledgerClient } from '@keyledger/client';
import { freePort, runCli, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(60_000);

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;

interface Attempt {
  sentAt: number;
  answeredAt: number;
  status: number;
  retryAfter: string | null;
  idempotencyKey: string | undefined;
}

/** The global fetch (real HTTP, checked against the OpenAPI document), recording each attempt. */
function recordingFetch(attempts: Attempt[]): typeof fetch {
  return async (input, init) => {
    const sentAt = Date.now();
    const response = await globalThis.fetch(input, init);
    const headers = (init?.headers ?? {}) as Record<string, string>;
    attempts.push({ sentAt, answeredAt: Date.now(), status: response.status, retryAfter: response.headers.get('retry-after'), idempotencyKey: headers['idempotency-key'] });
    return response;
  };
}

const token = async (tenant: string) => (await runCli(['token', '--tenant', tenant, '--scope', 'read:encryption_keys create:data_keys'], env)).stdout.trim();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keyledger-client-retries-'));
  env = { ...stackEnv(await freePort(), dataDir), KEYLEDGER_RATE_LIMIT: '1' };
  server = await startServer(env);
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('retries against a rate-limited server (KEYLEDGER_RATE_LIMIT=1)', () => {
  it('retries a 429 after its Retry-After, and a POST keeps one Idempotency-Key across attempts', async () => {
    const attempts: Attempt[] = [];
    const client = new KeyledgerClient({ baseUrl: server.url, token: await token('acme'), fetch: recordingFetch(attempts), retries: 3 });
    await client.listEncryptionKeys(); // takes the bucket's one token
    const started = Date.now();
    const dataKey = await client.generateDataKey('default');
    expect(dataKey.kid).toEqual(expect.any(String));

    const post = attempts.slice(1);
    expect(post[0]!.status).toBe(429);
    expect(post[0]!.retryAfter).toMatch(/^[1-9]\d*$/);
    expect(post.at(-1)!.status).toBe(200);
    // Each retry went out no sooner than the Retry-After of the answer before it.
    for (let i = 1; i < post.length; i += 1) {
      expect(post[i]!.sentAt - post[i - 1]!.answeredAt).toBeGreaterThanOrEqual(Number(post[i - 1]!.retryAfter) * 1000 - 5);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(new Set(post.map((attempt) => attempt.idempotencyKey)).size).toBe(1);
    expect(post[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.stats()).toMatchObject({ requests: 2, attempts: attempts.length, retries: post.length - 1 });
  });

  it('throws the 429 (with its Retry-After) when retries are off', async () => {
    const client = new KeyledgerClient({ baseUrl: server.url, token: await token('globex'), retries: 0 });
    await client.listEncryptionKeys();
    const error = await client.listEncryptionKeys().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyledgerApiError);
    expect(error).toMatchObject({ statusCode: 429, errorCode: 'too_many_requests', retryAfterMs: expect.any(Number) });
    expect((error as KeyledgerApiError).retryAfterMs).toBeGreaterThanOrEqual(1000);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs', async () => {
    const client = new KeyledgerClient({ baseUrl: server.url, token: await token('initech'), retries: { retries: 3, maxRetryAfterMs: 100 } });
    await client.listEncryptionKeys();
    const started = Date.now();
    await expect(client.listEncryptionKeys()).rejects.toMatchObject({ statusCode: 429 });
    expect(Date.now() - started).toBeLessThan(900);
    expect(client.stats().retries).toBe(0);
  });
});
