import { errorResult, type HttpEvent, type HttpResult, type RouteHandler } from './httpHandler';
import { ROUTES, routeKey } from './routes';
import type { Context } from 'aws-lambda';

/**
 * One Lambda per service: dispatch on API Gateway's routeKey to the operation's handler.
 * The route table decides which routes belong to which service.
 */
export function createServiceRouter(service: string, handlers: Record<string, RouteHandler>) {
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
    return handler(event, context);
  };
}
