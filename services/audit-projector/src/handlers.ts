import type { DynamoDbAuditLogStore, LogEntry } from '@keyledger/audit-log';
import { sequenceOfLogId, withAuth0Id } from '@keyledger/audit-log';
import { NotFoundError, type Logger } from '@keyledger/domain';
import { createRouteHandler, json, routeFor, type HttpResult, type RouteHandler } from '@keyledger/http';
import type { z } from 'zod';
import { DEFAULT_PER_PAGE, searchPage } from './logSearch';
import { AUDIT_PROJECTOR_CONTRACT } from './contract';
import type { listLogsQuery } from './schemas';

export interface AuditProjectorDependencies {
  store: DynamoDbAuditLogStore;
  tenantClaim: string;
  logger?: Logger;
}

class LogNotFoundError extends NotFoundError {
  readonly errorCode = 'log_not_found';
}

export type AuditProjectorOperation = 'listLogs' | 'getLog';

const LOGS_PATH = routeFor('listLogs').path;

export function createAuditProjectorHandlers(deps: AuditProjectorDependencies): Record<AuditProjectorOperation, RouteHandler> {
  const common = { tenantClaim: deps.tenantClaim, logger: deps.logger };
  return {
    listLogs: createRouteHandler({
      ...common,
      route: routeFor('listLogs'),
      input: AUDIT_PROJECTOR_CONTRACT.listLogs.input,
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
      input: AUDIT_PROJECTOR_CONTRACT.getLog.input,
      handle: async ({ auth, input }) => {
        const { id } = input.pathParameters;
        const entry = await deps.store.getEntry(auth.tenant, sequenceOfLogId(id) ?? 0);
        if (!entry || entry.log_id !== id) throw new LogNotFoundError(`The log event ${id} does not exist.`);
        return json(200, withAuth0Id(entry));
      },
    }),
  };
}

export type ListLogsQuery = z.output<typeof listLogsQuery>;

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
  return withHeaders(json(200, logs.map(withAuth0Id)), { link: `<${LOGS_PATH}?${next.toString()}>; rel="next"` });
}

function withHeaders(result: HttpResult, headers: Record<string, string>): HttpResult {
  return { ...result, headers: { ...result.headers, ...headers } };
}
