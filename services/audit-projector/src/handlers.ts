import type { DynamoDbAuditLogStore, LogEntry } from '@keyledger/audit-log';
import { parseLogQuery, SEARCH_BUDGET, sequenceOfLogId } from '@keyledger/audit-log';
import { NotFoundError, ValidationError, type Logger } from '@keyledger/domain';
import { createRouteHandler, json, routeFor, type HttpResult, type RouteHandler } from '@keyledger/http';
import type { z } from 'zod';
import { listLogsQuery, logIdPath, noQuery } from './schemas';

export interface AuditProjectorDependencies {
  store: DynamoDbAuditLogStore;
  tenantClaim: string;
  logger?: Logger;
}

class LogNotFoundError extends NotFoundError {
  readonly errorCode = 'log_not_found';
}

export type AuditProjectorOperation = 'listLogs' | 'getLog';

/** Auth0 serves at most the first 1,000 results of a search; checkpoints have no limit. */
const SEARCH_WINDOW = 1_000;
const DEFAULT_PER_PAGE = 50;
/**
 * Entries per read of a search. Small pages keep each slice of a long search short (the event
 * loop turns between pages); with dynalite in the same process, 1 MB pages held it for 100 ms.
 */
const SEARCH_PAGE_SIZE = 100;
const LOGS_PATH = routeFor('listLogs').path;

export function createAuditProjectorHandlers(deps: AuditProjectorDependencies): Record<AuditProjectorOperation, RouteHandler> {
  const common = { tenantClaim: deps.tenantClaim, logger: deps.logger };
  return {
    listLogs: createRouteHandler({
      ...common,
      route: routeFor('listLogs'),
      input: { queryStringParameters: listLogsQuery },
      handle: async ({ auth, input }) => {
        const query = input.queryStringParameters;
        const head = await deps.store.getHead(auth.tenant);
        const headers: Record<string, string> = head ? { 'x-keyledger-chain-head': `${head.sequence};${head.log_id};${head.hash}` } : {};
        if (query.from !== undefined || query.take !== undefined) {
          return withHeaders(await checkpointPage(deps.store, auth.tenant, query), headers);
        }
        return withHeaders(await searchPage(deps.store, auth.tenant, query), headers);
      },
    }),
    getLog: createRouteHandler({
      ...common,
      route: routeFor('getLog'),
      input: { pathParameters: logIdPath, queryStringParameters: noQuery },
      handle: async ({ auth, input }) => {
        const { id } = input.pathParameters;
        const entry = await deps.store.getEntry(auth.tenant, sequenceOfLogId(id) ?? 0);
        if (!entry || entry.log_id !== id) throw new LogNotFoundError(`The log event ${id} does not exist.`);
        return json(200, entry);
      },
    }),
  };
}

type ListLogsQuery = z.output<typeof listLogsQuery>;

/** Checkpoint paging (from/take): entries after `from`, in log_id order, with a Link to the next page. */
async function checkpointPage(store: DynamoDbAuditLogStore, tenant: string, query: ListLogsQuery): Promise<HttpResult> {
  const take = query.take ?? DEFAULT_PER_PAGE;
  const afterSequence = query.from === undefined ? 0 : (sequenceOfLogId(query.from) ?? 0);
  const logs: LogEntry[] = [];
  for await (const entry of store.entries(tenant, { ascending: true, afterSequence, pageSize: take })) {
    logs.push(entry);
    if (logs.length === take) break;
  }
  // Auth0: the next page starts after the last entry served; an empty page links to itself.
  const nextFrom = logs.at(-1)?.log_id ?? query.from;
  const next = new URLSearchParams({ ...(nextFrom ? { from: nextFrom } : {}), take: String(take) });
  // A relative reference (RFC 8288 resolves it against the request's URL): never built from the
  // request's Host or X-Forwarded-Proto, which the caller controls.
  return withHeaders(json(200, logs), { link: `<${LOGS_PATH}?${next.toString()}>; rel="next"` });
}

async function searchPage(store: DynamoDbAuditLogStore, tenant: string, query: ListLogsQuery): Promise<HttpResult> {
  const page = query.page ?? 0;
  const perPage = query.per_page ?? DEFAULT_PER_PAGE;
  if ((page + 1) * perPage > SEARCH_WINDOW) {
    throw new ValidationError(`Search results are limited to the first ${SEARCH_WINDOW}; use from/take checkpoints to read further.`);
  }
  const search = parseLogQuery(query.q ?? query.search);
  const start = page * perPage;
  const logs: LogEntry[] = [];
  let total = 0;
  for await (const entry of store.entries(tenant, { ascending: query.sort === 'date:1', pageSize: SEARCH_PAGE_SIZE })) {
    // A full page with its budget of entries read: the total counted so far is a lower bound.
    if (search.entries >= SEARCH_BUDGET.entries && logs.length === perPage) break;
    if (!search.matches(entry)) continue;
    if (total >= start && logs.length < perPage) logs.push(entry);
    total += 1;
    if (!query.include_totals && logs.length === perPage) break;
  }
  const shaped = logs.map((entry) => project(entry, query.fields, query.include_fields ?? true));
  return json(200, query.include_totals ? { start, limit: perPage, length: shaped.length, total, logs: shaped } : shaped);
}

/** Auth0's fields/include_fields projection. */
function project(entry: LogEntry, fields: string | undefined, include: boolean): Partial<LogEntry> {
  if (!fields) return entry;
  const names = new Set(fields.split(','));
  return Object.fromEntries(Object.entries(entry).filter(([name]) => names.has(name) === include)) as Partial<LogEntry>;
}

function withHeaders(result: HttpResult, headers: Record<string, string>): HttpResult {
  return { ...result, headers: { ...result.headers, ...headers } };
}
