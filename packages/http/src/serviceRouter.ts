import { errorResult, type HttpEvent, type HttpResult, type RouteHandler } from './httpHandler';
import { ROUTES, routeKey } from './routes';
import type { Context } from 'aws-lambda';
import { readsOnly, ReadOnlyRegionError, type RegionRule } from '@keyledger/domain';

/** Routes that change nothing stored, so any Region answers them: the data plane's cryptography. */
const ANY_REGION = new Set(['POST /v1/namespaces/{ns}/encrypt', 'POST /v1/namespaces/{ns}/decrypt', 'POST /v1/namespaces/{ns}/rewrap', 'POST /v1/namespaces/{ns}/data-keys']);

/** Whether a route changes stored state (and is refused in a Region that serves reads only). */
export const changesState = (key: string) => !key.startsWith('GET ') && !ANY_REGION.has(key);

/**
 * One Lambda per service: dispatch on API Gateway's routeKey to the operation's handler.
 * The route table decides which routes belong to which service. With `regions` in a Region
 * that is not the write Region, routes that change anything answer 503 read_only_region before
 * their handler runs: secrets, idempotency records and jobs are written in one Region only, like
 * the hierarchy's commits (global tables would keep the last of two writes and drop the other).
 */
export function createServiceRouter(service: string, handlers: Record<string, RouteHandler>, options: { regions?: RegionRule } = {}) {
  const readOnly = readsOnly(options.regions) ? options.regions : undefined;
  const byRouteKey = new Map<string, RouteHandler>();
  for (const route of ROUTES) {
    if (route.service !== service) continue;
    const handler = handlers[route.operation];
    if (!handler) throw new Error(`Service ${service} has no handler for ${route.operation}.`);
    byRouteKey.set(routeKey(route), handler);
  }
  return async function route(event: HttpEvent, context: Context): Promise<HttpResult> {
    const handler = byRouteKey.get(event.routeKey);
    if (!handler) return errorResult(404, `No route ${event.routeKey} in ${service}.`, 'route_not_found');
    if (readOnly && changesState(event.routeKey)) {
      return errorResult(503, new ReadOnlyRegionError(readOnly.region, readOnly.writeRegion).message, 'read_only_region');
    }
    return handler(event, context);
  };
}
