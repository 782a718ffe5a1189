import type { Context } from 'aws-lambda';
import { silentLogger, type Logger } from '@keyledger/domain';
import { authContextFromClaims, errorResult, type AuthContext, type HttpEvent, type HttpResult, type RouteHandler } from '@keyledger/http';
import type { RateLimitDecision } from './gcra';
import { idempotent, type IdempotencyOptions } from './idempotency';
import type { RateLimiter } from './rateLimiter';

export interface RequestControlsOptions {
  tenantClaim: string;
  /** Per-tenant limit; absent when the limit is off. */
  rateLimiter?: RateLimiter;
  idempotency?: IdempotencyOptions;
  logger?: Logger;
}

export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': String(decision.reset),
  };
}

/**
 * Wraps a service router with the per-tenant controls: the tenant's rate limit (429 in Auth0's
 * shape with `Retry-After` once it is used up, and `x-ratelimit-*` on every answer while a limit
 * is in force), then Idempotency-Key handling of POST requests. A request whose token names no
 * tenant goes straight to the router, which refuses it. If the limiter's store fails, the
 * request is let through (and logged): a limit must not take the API down with it.
 */
export function withRequestControls(router: RouteHandler, options: RequestControlsOptions): RouteHandler {
  const logger = options.logger ?? silentLogger;
  const run = options.idempotency ? idempotent(router, options.idempotency) : (event: HttpEvent, context: Context) => router(event, context);
  return async function requestControls(event: HttpEvent, context: Context): Promise<HttpResult> {
    let auth: AuthContext;
    try {
      auth = authContextFromClaims(event.requestContext?.authorizer?.jwt?.claims, options.tenantClaim);
    } catch {
      return router(event, context);
    }
    const { tenant } = auth;
    let headers: Record<string, string> = {};
    if (options.rateLimiter) {
      let decision: RateLimitDecision | undefined;
      try {
        decision = await options.rateLimiter.take(tenant);
      } catch (error) {
        logger.warn('rate limiter unavailable; request let through', { tenant, error: String(error) });
      }
      if (decision) {
        headers = rateLimitHeaders(decision);
        if (!decision.allowed) {
          const message = `Too many requests: tenant ${tenant} is limited to ${options.rateLimiter.limit.rate} requests per second (bursts of ${decision.limit}). Retry after ${decision.retryAfter} s.`;
          return errorResult(429, message, 'too_many_requests', { ...headers, 'retry-after': String(decision.retryAfter) });
        }
      }
    }
    const result = await run(event, context, auth);
    return Object.keys(headers).length === 0 ? result : { ...result, headers: { ...result.headers, ...headers } };
  };
}
