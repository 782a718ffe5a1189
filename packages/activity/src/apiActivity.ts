import type { Context } from 'aws-lambda';
import { silentLogger, type Logger } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/events';
import { authContextFromClaims, ROUTES, routeKey, type HttpEvent, type HttpResult, type RouteHandler } from '@keyledger/http';
import type { ActivityRecorder } from './activityRecorder';

export interface ApiActivityOptions {
  activity: ActivityRecorder;
  tenantClaim: string;
  clock?: () => Date;
  logger?: Logger;
  /** Records only the calls whose result passes (default: every call). */
  only?: (result: HttpResult) => boolean;
}

const OPERATIONS = new Map<string, string>(ROUTES.map((route) => [routeKey(route), route.summary]));

/**
 * Wraps a service's router so that every Management API call is recorded as `sapi` (status
 * below 400) or `fapi`, together with the root key store operations it caused, in one commit
 * written before the response goes out. Bodies are never recorded (they can carry key
 * material); an error is recorded by its errorCode only. A call whose token names no valid
 * tenant cannot be filed under one and is only logged.
 */
export function recordApiCalls(handler: RouteHandler, options: ApiActivityOptions): RouteHandler {
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  return async function apiActivityHandler(event: HttpEvent, context: Context): Promise<HttpResult> {
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    return options.activity.withinRequest(requestId, async (request) => {
      const occurredAt = clock().toISOString();
      let result: HttpResult;
      try {
        result = await handler(event, context);
      } catch (error) {
        await record(request.events, event, requestId, occurredAt, { statusCode: 500 });
        throw error;
      }
      if (!options.only || options.only(result) || request.events.length > 0) await record(request.events, event, requestId, occurredAt, result);
      return result;
    });
  };

  async function record(noted: RecordedEvent[], event: HttpEvent, requestId: string, occurredAt: string, result: HttpResult) {
    const claims = event.requestContext?.authorizer?.jwt?.claims;
    let caller;
    try {
      caller = authContextFromClaims(claims, options.tenantClaim);
    } catch {
      logger.warn('API call without a tenant: not recorded in a tenant log', { routeKey: event.routeKey, requestId, status: result.statusCode });
      await options.activity.record(noted);
      return;
    }
    const status = result.statusCode ?? 200;
    const call = {
      tenant: caller.tenant,
      occurred_at: occurredAt,
      request_id: requestId,
      method: event.requestContext.http.method,
      path: capped(event.rawPath),
      route: event.routeKey,
      operation: OPERATIONS.get(event.routeKey) ?? event.routeKey,
      status,
      actor: { sub: typeof claims?.['sub'] === 'string' ? claims['sub'] : null, client_id: caller.clientId ?? null, scopes: [...caller.scopes].sort() },
      ip: event.requestContext.http.sourceIp || null,
      user_agent: event.requestContext.http.userAgent ? capped(event.requestContext.http.userAgent) : null,
    };
    const apiEvent: RecordedEvent = status < 400 ? { detailType: 'sapi', detail: call } : { detailType: 'fapi', detail: { ...call, error_code: errorCodeOf(result) } };
    await options.activity.record([...noted, apiEvent]);
  }
}

/** Longest path or User-Agent kept in the record: a caller must not make every log entry it causes 16 KB. */
const MAX_RECORDED_TEXT = 512;
function capped(text: string): string {
  if (text.length <= MAX_RECORDED_TEXT) return text;
  let end = MAX_RECORDED_TEXT - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // never half of a surrogate pair
  return `${text.slice(0, end)}…`;
}

function errorCodeOf(result: HttpResult): string | null {
  try {
    const body = JSON.parse(result.body ?? '') as { errorCode?: unknown };
    return typeof body.errorCode === 'string' ? body.errorCode : null;
  } catch {
    return null;
  }
}
