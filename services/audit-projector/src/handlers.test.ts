import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { AuditLogProjector, DynamoDbAuditLogStore, type LogEntry } from '@keyledger/audit-log';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import type { IntegrationEvent } from '@keyledger/events';
import { createServiceRouter } from '@keyledger/http';
import { httpEvent } from '@keyledger/http/testing';
import { createAuditProjectorHandlers } from './handlers';

let dynamo: LocalDynamoDb;
let store: DynamoDbAuditLogStore;
const TENANT = 'acme';
const entries: LogEntry[] = [];

const apiEvent = (index: number, status: number): IntegrationEvent => {
  const detail = {
    event_id: randomUUID(),
    tenant: TENANT,
    occurred_at: new Date(Date.UTC(2026, 10, 20 + (index % 5), 12)).toISOString(),
    schema_version: 1 as const,
    request_id: `req-${index}`,
    method: 'POST',
    path: '/api/v2/keys/encryption/rekey',
    route: 'POST /api/v2/keys/encryption/rekey',
    operation: 'Rekey',
    status,
    actor: { sub: 'u1', client_id: 'c1', scopes: [] },
    ip: null,
    user_agent: null,
  };
  return status < 400 ? { detailType: 'sapi', detail } : { detailType: 'fapi', detail: { ...detail, error_code: 'insufficient_scope' } };
};

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  store = new DynamoDbAuditLogStore({ client: dynamo.client, tableName: dynamo.tables.auditLog, pageSize: 4 });
  const projector = new AuditLogProjector({ store, environmentName: 'test' });
  for (let index = 0; index < 12; index += 1) {
    await projector.project(apiEvent(index, index % 3 === 0 ? 403 : 200));
    entries.push((await store.lastEntry(TENANT))!);
  }
  await projector.project({ ...apiEvent(99, 200), detail: { ...apiEvent(99, 200).detail, tenant: 'globex' } } as IntegrationEvent);
});
afterAll(async () => {
  await dynamo.stop();
});

const router = () => createServiceRouter('audit-projector', createAuditProjectorHandlers({ store, tenantClaim: 'tenant_id' }));
const call = async (routeKey: string, options: { query?: Record<string, string>; path?: Record<string, string>; scope?: string } = {}) => {
  const result = await router()(
    httpEvent(routeKey, { ...options, claims: { sub: 'u1', tenant_id: TENANT, scope: options.scope ?? 'read:logs' }, headers: { host: 'javascript://attacker.example', 'x-forwarded-proto': 'javascript' } }),
    {} as Context,
  );
  return { status: result.statusCode, headers: result.headers ?? {}, body: JSON.parse(result.body ?? 'null') };
};
const LIST = 'GET /api/v2/logs';
const ids = (logs: LogEntry[]) => logs.map((log) => log.log_id);

describe('audit-projector GET /api/v2/logs', () => {
  it('sorts on any of Auth0\'s sortable fields, ties in log order, and pages the sorted results', async () => {
    const byType = [...entries].reverse().sort((x, y) => (x.type === y.type ? 0 : x.type < y.type ? -1 : 1));
    const first = await call(LIST, { query: { sort: 'type:1', per_page: '5' } });
    const second = await call(LIST, { query: { sort: 'type:1', per_page: '5', page: '1', include_totals: 'true' } });
    expect(ids(first.body)).toEqual(ids(byType.slice(0, 5)));
    expect(second.body).toMatchObject({ start: 5, limit: 5, total: 12 });
    expect(ids(second.body.logs)).toEqual(ids(byType.slice(5, 10)));
    const descending = await call(LIST, { query: { sort: 'type:-1', per_page: '2' } });
    expect(descending.body.map((entry: LogEntry) => entry.type)).toEqual(['sapi', 'sapi']);
    expect((await call(LIST, { query: { sort: 'tenant_name:1' } })).body).toMatchObject({ statusCode: 400, errorCode: 'invalid_query_string' });
  });

  it('answers per_page=0 with no entries (and the total when asked), and serves _id beside log_id', async () => {
    expect((await call(LIST, { query: { per_page: '0' } })).body).toEqual([]);
    expect((await call(LIST, { query: { per_page: '0', include_totals: 'true' } })).body).toMatchObject({ length: 0, total: 12, logs: [] });
    const one = await call('GET /api/v2/logs/{id}', { path: { id: entries[0]!.log_id } });
    expect(one.body).toMatchObject({ _id: entries[0]!.log_id, log_id: entries[0]!.log_id, user_id: 'u1' });
  });

  it('searches newest first with q, page, per_page and include_totals', async () => {
    const fapis = entries.filter((entry) => entry.type === 'fapi').reverse();

    const first = await call(LIST, { query: { q: 'type:fapi', per_page: '3', include_totals: 'true' } });
    const second = await call(LIST, { query: { q: 'type:fapi', per_page: '3', page: '1' } });

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ start: 0, limit: 3, length: 3, total: 4 });
    expect(ids(first.body.logs)).toEqual(ids(fapis.slice(0, 3)));
    expect(ids(second.body)).toEqual(ids(fapis.slice(3)));
    expect(first.headers['x-keyledger-chain-head']).toBe(`12;${entries[11]!.log_id};${entries[11]!.integrity.hash}`);
  });

  it('filters on date ranges and sorts ascending on request, and projects fields', async () => {
    const { body } = await call(LIST, { query: { q: 'date:[2026-11-21 TO 2026-11-22]', sort: 'date:1', fields: 'log_id,type', include_fields: 'true' } });

    const expected = entries.filter((entry) => entry.date.startsWith('2026-11-21') || entry.date.startsWith('2026-11-22'));
    expect(body).toEqual(expected.map((entry) => ({ _id: entry.log_id, log_id: entry.log_id, type: entry.type })));
  });

  it('takes the search as search (the current Auth0 SDKs) as well as q, but not both', async () => {
    const byQ = await call(LIST, { query: { q: 'type:fapi', per_page: '100' } });
    const bySearch = await call(LIST, { query: { search: 'type:fapi', per_page: '100' } });
    const both = await call(LIST, { query: { q: 'type:fapi', search: 'type:sapi' } });

    expect(ids(bySearch.body)).toEqual(ids(byQ.body));
    expect((bySearch.body as unknown[]).length).toBeGreaterThan(0);
    expect([both.status, both.body.errorCode]).toEqual([400, 'invalid_query_string']);
    expect(both.body.message).toContain('not both');
  });

  it('pages by checkpoint with from/take in log_id order, with a relative Link to the next page that no request header shapes', async () => {
    const first = await call(LIST, { query: { take: '5' } });
    const link = /<([^>]+)>; rel="next"/.exec(String(first.headers['link']))![1]!;
    const next = new URL(link, 'https://kl.example.com/api/v2/logs?take=5');
    const second = await call(LIST, { query: Object.fromEntries(next.searchParams) });
    const end = await call(LIST, { query: { from: entries[11]!.log_id, take: '5' } });

    expect(ids(first.body)).toEqual(ids(entries.slice(0, 5)));
    expect(link.startsWith('/api/v2/logs?')).toBe(true);
    expect(String(first.headers['link'])).not.toContain('attacker');
    expect(ids(second.body)).toEqual(ids(entries.slice(5, 10)));
    expect(end.body).toEqual([]);
    expect(end.headers['link']).toContain(`from=${entries[11]!.log_id}`);
  });

  it('gets one entry by id, and only within the caller’s tenant', async () => {
    const found = await call('GET /api/v2/logs/{id}', { path: { id: entries[4]!.log_id } });
    const globexEntry = (await store.lastEntry('globex'))!;
    const foreign = await call('GET /api/v2/logs/{id}', { path: { id: globexEntry.log_id } });

    expect(found).toMatchObject({ status: 200, body: entries[4] });
    expect(foreign).toMatchObject({ status: 404, body: { errorCode: 'log_not_found' } });
  });

  it.each([
    [{ q: 'type:(' }, 'not a valid search query'],
    [{ q: 'secret:1' }, "cannot search on 'secret'"],
    [{ q: 'NOT' }, 'expected a search term'],
    [{ q: 'AND' }, "'AND' needs a search term"],
    [{ q: '__proto__:1' }, "cannot search on '__proto__'"],
    [{ per_page: '101' }, 'per_page must be at most 100'],
    [{ page: '20', per_page: '50' }, 'limited to the first 1000'],
    [{ from: 'nope' }, 'from must be a log_id'],
    [{ colour: 'blue' }, 'colour'],
  ])('answers 400 to %j', async (query, message) => {
    const { status, body } = await call(LIST, { query });
    expect(status).toBe(400);
    expect(body.message).toContain(message);
    if ('q' in query) expect(body.errorCode).toBe('invalid_query_string');
  });

  it('needs read:logs', async () => {
    const { status, body } = await call(LIST, { scope: 'read:encryption_keys' });
    expect(status).toBe(403);
    expect(body.errorCode).toBe('insufficient_scope');
  });
});
