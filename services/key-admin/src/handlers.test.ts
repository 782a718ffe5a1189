import type { Context } from 'aws-lambda';
import { NotFoundError, RootKeyStoreError, type KeyRecord } from '@keyledger/domain';
import { createServiceRouter } from '@keyledger/http';
import { httpEvent, type HttpEventOptions } from '@keyledger/http/testing';
import type { KeyHierarchyService } from '@keyledger/key-hierarchy';
import { createKeyAdminHandlers } from './handlers';

const KEYS: KeyRecord[] = Array.from({ length: 5 }, (_, i) => ({
  kid: `k${i}`,
  type: i === 0 ? 'environment-root-key' : i === 1 ? 'tenant-master-key' : 'tenant-encryption-key',
  state: 'active',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  parentKid: i === 0 ? null : i === 1 ? 'k0' : 'k1',
  namespace: i > 1 ? `ns${i}` : null,
  fingerprint: null,
  seq: i,
  deactivatedAt: null,
}));

/** The service's page: newest (highest seq) first. */
const page = (_tenant: string, { page: index, perPage }: { page: number; perPage: number }) => {
  const newestFirst = [...KEYS].reverse();
  return { keys: newestFirst.slice(index * perPage, index * perPage + perPage), total: KEYS.length };
};

function setup(overrides: Partial<Record<'listKeys' | 'getKey' | 'rekey', jest.Mock>> = {}) {
  const service = {
    listKeys: jest.fn(async (tenant: string, options: { page: number; perPage: number }) => page(tenant, options)),
    getKey: jest.fn(async (_tenant: string, kid: string) => {
      const key = KEYS.find((candidate) => candidate.kid === kid);
      if (!key) throw new NotFoundError(`The key ${kid} does not exist.`);
      return key;
    }),
    rekey: jest.fn(async () => ({ previousTmkKid: 'k1', tmkKid: 'k9', namespaceKeys: {} })),
    ...overrides,
  };
  const logged: Array<{ message: string; details?: Record<string, unknown> }> = [];
  const logger = { info: jest.fn(), warn: jest.fn(), error: (message: string, details?: Record<string, unknown>) => void logged.push({ message, details }) };
  const router = createServiceRouter(
    'key-admin',
    createKeyAdminHandlers({ keyHierarchy: service as unknown as KeyHierarchyService, tenantClaim: 'tenant_id', logger }),
  );
  return { service, logged, router };
}

const event = (routeKey: string, options: HttpEventOptions = {}) =>
  httpEvent(routeKey, { claims: { sub: 'u1', tenant_id: 'acme', scope: 'read:encryption_keys' }, ...options });

const context = {} as Context;
const LIST = 'GET /api/v2/keys/encryption';
const REKEY = 'POST /api/v2/keys/encryption/rekey';
const body = (result: { body?: string }) => JSON.parse(result.body ?? 'null');

describe('key-admin handlers (API Gateway v2 events)', () => {
  it('lists as a plain array by default and pages with include_totals', async () => {
    const { router, service } = setup();
    const plain = await router(event(LIST), context);
    expect(plain.statusCode).toBe(200);
    expect(body(plain)).toHaveLength(5);
    expect(body(plain).map((key: { kid: string }) => key.kid)).toEqual(['k4', 'k3', 'k2', 'k1', 'k0']);
    expect(body(plain)[3]).toEqual({
      kid: 'k1',
      type: 'tenant-master-key',
      state: 'active',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
      parent_kid: 'k0',
      public_key: null,
      namespace: null,
    });
    const paged = await router(event(LIST, { query: { page: '1', per_page: '2', include_totals: 'true' } }), context);
    expect(body(paged)).toMatchObject({ start: 2, limit: 2, total: 5, keys: [{ kid: 'k2' }, { kid: 'k1' }] });
    expect(service.listKeys).toHaveBeenCalledWith('acme', { page: 1, perPage: 2 });
  });

  it.each([
    [{ per_page: '1000' }, 'Query parameter per_page: per_page must be at most 100'],
    [{ per_page: '0' }, 'Query parameter per_page'],
    [{ page: '-1' }, 'Query parameter page: page must be a whole number'],
    [{ page: 'abc' }, 'Query parameter page: page must be a whole number'],
    [{ include_totals: 'yes' }, 'Query parameter include_totals: include_totals must be true or false'],
    [{ sort: 'kid' }, 'Query parameter'],
  ])('answers 400 for %j and never reaches the use case', async (query, message) => {
    const { router, service } = setup();
    const result = await router(event(LIST, { query }), context);
    expect(result.statusCode).toBe(400);
    expect(body(result)).toMatchObject({ statusCode: 400, error: 'Bad Request', errorCode: 'invalid_query_string' });
    expect(body(result).message).toContain(message);
    expect(service.listKeys).not.toHaveBeenCalled();
  });

  it('answers 401 without verified claims, and 403 without a tenant claim', async () => {
    const { router, service } = setup();
    expect(body(await router(event(LIST, { claims: {} }), context))).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(body(await router(event(LIST, { claims: { sub: 'u1', scope: 'read:encryption_keys' } }), context))).toMatchObject({
      statusCode: 403,
      errorCode: 'missing_tenant_claim',
      message: "The token has no 'tenant_id' claim naming its tenant.",
    });
    expect(service.listKeys).not.toHaveBeenCalled();
  });

  it('needs both create: and update:encryption_keys to rekey, read from scope, scp or permissions', async () => {
    const { router, service } = setup();
    const onlyCreate = await router(event(REKEY, { claims: { sub: 'u', tenant_id: 'acme', scope: 'create:encryption_keys' } }), context);
    expect(body(onlyCreate)).toMatchObject({ statusCode: 403, errorCode: 'insufficient_scope' });
    expect(body(onlyCreate).message).toContain('missing: update:encryption_keys');
    expect(service.rekey).not.toHaveBeenCalled();
    // API Gateway's JWT authorizer passes an array claim on as the string "[a b]".
    const viaPermissions = await router(
      event(REKEY, { claims: { sub: 'u', tenant_id: 'acme', permissions: '[create:encryption_keys update:encryption_keys]' } }),
      context,
    );
    expect(viaPermissions.statusCode).toBe(204);
    expect(service.rekey).toHaveBeenCalledWith('acme');
    // `scp`, as Okta and Entra ID send it (and as API Gateway's authorizer would have let through).
    const viaScp = await router(event(REKEY, { claims: { sub: 'u', tenant_id: 'acme', scp: '[create:encryption_keys update:encryption_keys]' } }), context);
    expect(viaScp.statusCode).toBe(204);
    const scpMissingOne = await router(event(REKEY, { claims: { sub: 'u', tenant_id: 'acme', scp: 'create:encryption_keys' } }), context);
    expect(body(scpMissingOne)).toMatchObject({ statusCode: 403, errorCode: 'insufficient_scope' });
  });

  it('answers 404 for an unknown kid and 400 for a malformed one', async () => {
    const { router } = setup();
    const GET = 'GET /api/v2/keys/encryption/{kid}';
    expect((await router(event(GET, { path: { kid: 'nope' } }), context)).statusCode).toBe(404);
    const malformed = await router(event(GET, { path: { kid: 'a b' } }), context);
    expect(body(malformed)).toMatchObject({ statusCode: 400, errorCode: 'invalid_uri' });
  });

  it('hides root key store failures behind a 503 and logs them', async () => {
    const failure = new RootKeyStoreError('throttled', 'KMS Encrypt on arn:x failed after 5 attempts: ThrottlingException.');
    const { router, logged } = setup({ rekey: jest.fn(async () => Promise.reject(failure)) });
    const result = await router(
      event(REKEY, { claims: { sub: 'u', tenant_id: 'acme', scope: 'create:encryption_keys update:encryption_keys' } }),
      context,
    );
    expect(body(result)).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The root key store is unavailable. Nothing was changed; retry later.',
      errorCode: 'root_key_store_unavailable',
    });
    expect(logged[0]).toMatchObject({ message: 'request failed', details: { reason: 'throttled', statusCode: 503 } });
  });

  it('hides unexpected errors behind a generic 500', async () => {
    const { router, logged } = setup({ listKeys: jest.fn(async () => Promise.reject(new Error('dynamo exploded'))) });
    const result = await router(event(LIST), context);
    expect(body(result)).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'An internal error occurred.', errorCode: 'internal_error' });
    expect(logged[0]?.details?.['message']).toBe('dynamo exploded');
  });
});
