import type { Context } from 'aws-lambda';
import type { KeyRecord } from '@keyledger/domain';
import { createServiceRouter, matchRoute } from '@keyledger/http';
import { httpEvent, type HttpEventOptions } from '@keyledger/http/testing';
import type { KeyHierarchyService } from '@keyledger/key-hierarchy';
import { createKeyAdminHandlers } from './handlers';

const NOW = new Date('2026-07-01T12:00:00.000Z');
const KEYS: KeyRecord[] = Array.from({ length: 3 }, (_, i) => ({
  kid: `k${i}`,
  type: i === 0 ? 'environment-root-key' : i === 1 ? 'tenant-master-key' : 'tenant-encryption-key',
  state: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  parentKid: i === 0 ? null : `k${i - 1}`,
  namespace: i === 2 ? 'default' : null,
  fingerprint: null,
  seq: i,
  deactivatedAt: null,
}));

function setup() {
  const service = {
    listKeysAsOf: jest.fn(async (_tenant: string, _at: Date, { page, perPage }: { page: number; perPage: number }) => ({
      keys: [...KEYS].reverse().slice(page * perPage, page * perPage + perPage),
      total: KEYS.length,
      version: 7,
      commitsRead: 2,
    })),
    listKeys: jest.fn(),
    ensureProvisioned: jest.fn(),
    now: () => NOW,
  };
  const router = createServiceRouter('key-admin', createKeyAdminHandlers({ keyHierarchy: service as unknown as KeyHierarchyService, tenantClaim: 'tenant_id' }));
  return { service, router };
}

const AS_OF = 'GET /v1/keys/as-of';
const event = (query: Record<string, string>, options: HttpEventOptions = {}) =>
  httpEvent(AS_OF, { claims: { sub: 'u1', tenant_id: 'acme', scope: 'read:encryption_keys' }, query, ...options });
const context = {} as Context;
const body = (result: { body?: string }) => JSON.parse(result.body ?? 'null');

describe('GET /v1/keys/as-of', () => {
  it('is its own route, apart from /v1/keys/{kid}/usage and /v1/keys/retention', () => {
    expect(matchRoute('GET', '/v1/keys/as-of')).toMatchObject({ kind: 'match', route: { operation: 'listEncryptionKeysAsOf', scopes: ['read:encryption_keys'] } });
    expect(matchRoute('GET', '/v1/keys/as-of/usage')).toMatchObject({ kind: 'match', route: { operation: 'getKeyUsage' }, pathParameters: { kid: 'as-of' } });
    expect(matchRoute('GET', '/v1/keys/retention')).toMatchObject({ kind: 'match', route: { operation: 'getKeyRetention' } });
    expect(matchRoute('PUT', '/v1/keys/as-of')).toMatchObject({ kind: 'method-not-allowed', allowed: ['GET'] });
  });

  it("answers in the listing's shape and paging, for the instant asked, read-only", async () => {
    const { router, service } = setup();
    const plain = await router(event({ at: '2026-06-30T02:00:00+02:00' }), context);
    expect(plain.statusCode).toBe(200);
    expect(body(plain).map((key: { kid: string }) => key.kid)).toEqual(['k2', 'k1', 'k0']);
    expect(body(plain)[0]).toEqual({
      kid: 'k2',
      type: 'tenant-encryption-key',
      state: 'active',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
      parent_kid: 'k1',
      public_key: null,
      namespace: 'default',
    });
    expect(service.listKeysAsOf).toHaveBeenLastCalledWith('acme', new Date('2026-06-30T00:00:00.000Z'), { page: 0, perPage: 50 });
    const paged = await router(event({ at: '2026-06-30T00:00:00Z', page: '1', per_page: '2', include_totals: 'true' }), context);
    expect(body(paged)).toEqual({ start: 2, limit: 2, total: 3, keys: [expect.objectContaining({ kid: 'k0' })] });
    // Exactly now is not the future.
    expect((await router(event({ at: NOW.toISOString() }), context)).statusCode).toBe(200);
    expect(service.listKeys).not.toHaveBeenCalled();
    expect(service.ensureProvisioned).not.toHaveBeenCalled();
  });

  it.each([
    [{}, 'Query parameter at: is required: the instant to list the keys as of, as an ISO 8601 date-time with a time zone'],
    [{ at: 'yesterday' }, 'Query parameter at: must be an ISO 8601 date-time with a time zone, e.g. 2026-06-30T00:00:00Z'],
    [{ at: '2026-06-30' }, 'Query parameter at: must be an ISO 8601 date-time with a time zone, e.g. 2026-06-30T00:00:00Z or 2026-06-30T02:00:00+02:00, not a date alone'],
    [{ at: '2026-06-30T00:00:00' }, 'Query parameter at: has no time zone: add Z (UTC) or an offset such as +02:00'],
    [{ at: '2026-06-30T02:00:00 02:00' }, 'Query parameter at: has a space where its offset\'s sign should be: in a query string a + means a space, so send it as %2B'],
    [{ at: '2026-02-30T00:00:00Z' }, 'Query parameter at: must be an ISO 8601 date-time'],
    [{ at: '2026-07-01T12:00:00.001Z' }, "Query parameter at: is in the future (2026-07-01T12:00:00.001Z is after the server's clock, 2026-07-01T12:00:00.000Z)"],
    [{ at: '2026-06-30T00:00:00Z', per_page: '101' }, 'Query parameter per_page: per_page must be at most 100'],
    [{ at: '2026-06-30T00:00:00Z', include_totals: 'yes' }, 'Query parameter include_totals: include_totals must be true or false'],
    [{ at: '2026-06-30T00:00:00Z', sort: 'kid' }, 'Query parameter'],
  ])('answers 400 invalid_query_string for %j, saying what is wrong, and reads nothing', async (query, message) => {
    const { router, service } = setup();
    const result = await router(event(query), context);
    expect(body(result)).toMatchObject({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_query_string' });
    expect(body(result).message).toContain(message);
    expect(service.listKeysAsOf).not.toHaveBeenCalled();
  });

  it('needs read:encryption_keys', async () => {
    const { router, service } = setup();
    const result = await router(event({ at: '2026-06-30T00:00:00Z' }, { claims: { sub: 'u1', tenant_id: 'acme', scope: 'read:logs' } }), context);
    expect(body(result)).toMatchObject({ statusCode: 403, errorCode: 'insufficient_scope' });
    expect(service.listKeysAsOf).not.toHaveBeenCalled();
  });
});
