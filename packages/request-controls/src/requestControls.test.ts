import type { Context } from 'aws-lambda';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { json, noContent, type HttpEvent, type HttpResult } from '@keyledger/http';
import { httpEvent } from '@keyledger/http/testing';
import { DynamoDbIdempotencyStore } from './idempotencyStore';
import { MemoryRateLimiter } from './rateLimiter';
import { withRequestControls } from './requestControls';
import type { ReplayPolicy } from './idempotency';

let dynamo: LocalDynamoDb;
let store: DynamoDbIdempotencyStore;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  store = new DynamoDbIdempotencyStore({ client: dynamo.client, tableName: dynamo.tables.requestControls });
});
afterAll(async () => {
  await dynamo.stop();
});

const context = {} as Context;
let clockMs = Date.parse('2026-12-01T12:00:00Z');
const clock = () => new Date(clockMs);

function post(path: string, options: { tenant?: string; key?: string; body?: string; query?: Record<string, string> } = {}): HttpEvent {
  const event = httpEvent(`POST ${path}`, {
    claims: { tenant_id: options.tenant ?? 'acme', scope: 'x' },
    headers: options.key === undefined ? {} : { 'idempotency-key': options.key },
    query: options.query,
  });
  return { ...event, body: options.body };
}

/** A router that counts what it ran and answers what `answer` says. */
function counting(answer: (n: number, event: HttpEvent) => HttpResult | Promise<HttpResult> = (n) => json(201, { n })) {
  const calls: HttpEvent[] = [];
  const router = async (event: HttpEvent) => {
    calls.push(event);
    return answer(calls.length, event);
  };
  return { calls, router };
}

const controlled = (router: (event: HttpEvent) => Promise<HttpResult>, policies?: Record<string, ReplayPolicy>, limiter?: MemoryRateLimiter) =>
  withRequestControls(router, { tenantClaim: 'tenant_id', rateLimiter: limiter, idempotency: { store, policies, clock } });

describe('Idempotency-Key', () => {
  it('runs a request once and answers a retry with the first response, marked as replayed', async () => {
    const { calls, router } = counting();
    const handler = controlled(router);
    const first = await handler(post('/rekey', { key: 'k-1' }), context);
    const again = await handler(post('/rekey', { key: 'k-1' }), context);
    expect(calls).toHaveLength(1);
    expect(again).toEqual({ statusCode: 201, headers: { ...first.headers, 'idempotent-replayed': 'true' }, body: first.body });
  });

  it('answers 422 to a different request under the same key: another body, path, query or tenant', async () => {
    const { calls, router } = counting();
    const handler = controlled(router);
    await handler(post('/a', { key: 'k-2', body: '{"x":1}' }), context);
    for (const other of [
      post('/a', { key: 'k-2', body: '{"x":2}' }),
      post('/b', { key: 'k-2', body: '{"x":1}' }),
      post('/a', { key: 'k-2', body: '{"x":1}', query: { namespace: 'other' } }),
    ]) {
      const answer = await handler(other, context);
      expect(answer.statusCode).toBe(422);
      expect(JSON.parse(answer.body!)).toMatchObject({ errorCode: 'idempotency_key_reused' });
    }
    // Keys are per tenant: another tenant may use the same key for its own request.
    expect((await handler(post('/b', { key: 'k-2', tenant: 'globex' }), context)).statusCode).toBe(201);
    expect(calls).toHaveLength(2);
  });

  it('holds for PUT too (a secret put makes a new version each time)', async () => {
    const { calls, router } = counting((n) => json(201, { version: n }));
    const handler = controlled(router);
    const put = () => ({ ...post('/v1/secrets/db', { key: 'k-put', body: '{"value":"x"}' }), requestContext: { ...post('/x').requestContext, http: { ...post('/x').requestContext.http, method: 'PUT' } } });
    expect(JSON.parse((await handler(put(), context)).body!)).toEqual({ version: 1 });
    expect(JSON.parse((await handler(put(), context)).body!)).toEqual({ version: 1 });
    expect(calls).toHaveLength(1);
  });

  it('keeps keys per caller, and lets no caller without the route\'s scopes near a record', async () => {
    const { calls, router } = counting(() => json(201, { kid: 'cprk-1' }));
    const handler = controlled(router);
    const create = (claims: Record<string, string>) => ({
      ...httpEvent('POST /api/v2/keys/encryption', { claims: { tenant_id: 'acme', ...claims }, headers: { 'idempotency-key': 'k-callers' } }),
      body: '{"type":"customer-provided-root-key"}',
    });
    await handler(create({ sub: 'alice', scope: 'create:encryption_keys' }), context);
    // Without create:encryption_keys the request goes to the router (which answers 403), never to the replay.
    await handler(create({ sub: 'alice', scope: 'read:encryption_keys' }), context);
    expect(calls).toHaveLength(2);
    // Another subject of the same tenant has keys of its own: the same key is a new request for it.
    await handler(create({ sub: 'bob', scope: 'create:encryption_keys' }), context);
    expect(calls).toHaveLength(3);
    expect((await handler(create({ sub: 'alice', scope: 'create:encryption_keys' }), context)).headers).toMatchObject({ 'idempotent-replayed': 'true' });
    expect(calls).toHaveLength(3);
  });

  it('without the header, two requests are two requests', async () => {
    const { calls, router } = counting(() => noContent());
    const handler = controlled(router);
    await handler(post('/rekey'), context);
    await handler(post('/rekey'), context);
    expect(calls).toHaveLength(2);
  });

  it('frees the key when the request fails, so that the retry runs', async () => {
    const { calls, router } = counting((n) => (n === 1 ? json(503, { errorCode: 'root_key_store_unavailable' }) : noContent()));
    const handler = controlled(router);
    expect((await handler(post('/rekey', { key: 'k-3' }), context)).statusCode).toBe(503);
    expect((await handler(post('/rekey', { key: 'k-3' }), context)).statusCode).toBe(204);
    expect((await handler(post('/rekey', { key: 'k-3' }), context)).headers).toMatchObject({ 'idempotent-replayed': 'true' });
    expect(calls).toHaveLength(2);
  });

  it('answers 409 to a retry while the first request is still running', async () => {
    let finish!: () => void;
    const { router } = counting(() => new Promise<HttpResult>((resolve) => (finish = () => resolve(noContent()))));
    const handler = controlled(router);
    const first = handler(post('/rekey', { key: 'k-4' }), context);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await handler(post('/rekey', { key: 'k-4' }), context);
    expect(second.statusCode).toBe(409);
    expect(second.headers).toMatchObject({ 'retry-after': '1' });
    finish();
    expect((await first).statusCode).toBe(204);
  });

  it('refuses a key that is not 1 to 255 visible ASCII characters, and ignores the header on GET and DELETE', async () => {
    const { calls, router } = counting();
    const handler = controlled(router);
    for (const key of ['', 'a b', 'x'.repeat(256), 'clé']) expect((await handler(post('/a', { key }), context)).statusCode).toBe(400);
    const get = { ...httpEvent('GET /a', { claims: { tenant_id: 'acme' }, headers: { 'idempotency-key': 'k-5' } }) };
    await handler(get, context);
    await handler(get, context);
    expect(calls).toHaveLength(2);
  });

  it('runs a `rerun` route again (its response carries key material that is never stored) but still binds the key', async () => {
    const { calls, router } = counting((n) => json(200, { plaintext_key: `secret-${n}` }));
    const handler = controlled(router, { 'POST /data-keys': 'rerun' });
    await handler(post('/data-keys', { key: 'k-6', body: '{}' }), context);
    const again = await handler(post('/data-keys', { key: 'k-6', body: '{}' }), context);
    expect(JSON.parse(again.body!)).toEqual({ plaintext_key: 'secret-2' });
    expect((await handler(post('/data-keys', { key: 'k-6', body: '{"a":1}' }), context)).statusCode).toBe(422);
    expect(calls).toHaveLength(2);
    const { Items } = await dynamo.client.send(new (await import('@aws-sdk/client-dynamodb')).ScanCommand({ TableName: dynamo.tables.requestControls }));
    expect(JSON.stringify(Items)).not.toContain('secret-');
  });

  it('keeps a redacted response and restores its secret part on replay', async () => {
    const { calls, router } = counting(() => json(201, { version: 3, value: 'hunter2' }));
    const restore = jest.fn(async (body: unknown) => ({ ...(body as object), value: 'hunter2' }));
    const handler = controlled(router, { 'POST /rotate': { redact: (body) => ({ ...(body as object), value: undefined }), restore } });
    await handler(post('/rotate', { key: 'k-7' }), context);
    const again = await handler(post('/rotate', { key: 'k-7' }), context);
    expect(JSON.parse(again.body!)).toEqual({ version: 3, value: 'hunter2' });
    expect(calls).toHaveLength(1);
    expect(restore).toHaveBeenCalledWith({ version: 3 }, expect.anything(), 'acme');
  });
});

describe('rate limit', () => {
  it('puts x-ratelimit-* on answers and refuses a tenant past its limit with 429 and Retry-After, other tenants unaffected', async () => {
    const { router } = counting(() => json(200, {}));
    const handler = controlled(router, undefined, new MemoryRateLimiter({ rate: 2, burst: 2 }, clock));
    const get = (tenant: string) => httpEvent('GET /x', { claims: { tenant_id: tenant } });
    const first = await handler(get('acme'), context);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': String(Math.ceil((clockMs + 500) / 1000)) });
    await handler(get('acme'), context);
    const refused = await handler(get('acme'), context);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers).toMatchObject({ 'retry-after': '1', 'x-ratelimit-remaining': '0' });
    expect(JSON.parse(refused.body!)).toMatchObject({ statusCode: 429, error: 'Too Many Requests', errorCode: 'too_many_requests' });
    expect((await handler(get('globex'), context)).statusCode).toBe(200);
    clockMs += 1_000;
    expect((await handler(get('acme'), context)).statusCode).toBe(200);
  });

  it('leaves requests without a tenant to the router (which refuses them), with no limit headers', async () => {
    const { router } = counting(() => json(401, {}));
    const handler = controlled(router, undefined, new MemoryRateLimiter({ rate: 1, burst: 1 }, clock));
    const anonymous = httpEvent('GET /x');
    for (let i = 0; i < 3; i += 1) expect((await handler(anonymous, context)).headers?.['x-ratelimit-limit']).toBeUndefined();
  });
});
