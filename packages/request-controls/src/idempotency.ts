import { createHash } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { backoffDelay, silentLogger, sleep, type Logger } from '@keyledger/domain';
import { errorResult, ROUTES, routeKey, toErrorBody, type AuthContext, type HttpEvent, type HttpResult, type RouteHandler } from '@keyledger/http';
import type { IdempotencyStore, StoredResponse } from './idempotencyStore';

/**
 * What a replay answers, per operation:
 * - `store` (the default): the first response, kept for 24 hours;
 * - `rerun`: the operation changes nothing stored (encrypt, decrypt, data keys), and its response
 *   carries key material that is never written down, so a retry runs it again; the key still
 *   binds the request (a different request under it gets 422);
 * - `{redact, restore}`: the response is kept without its secret part, which `restore` reads back
 *   (a rotated secret's value, from the version the first request wrote).
 */
export type ReplayPolicy =
  | 'store'
  | 'rerun'
  | { redact(body: unknown): unknown; restore(body: unknown, event: HttpEvent, tenant: string): Promise<unknown> };

export interface IdempotencyOptions {
  store: IdempotencyStore;
  /** By route key (`POST /v1/namespaces/{ns}/encrypt`); unlisted POST routes use `store`. */
  policies?: Record<string, ReplayPolicy>;
  clock?: () => Date;
  logger?: Logger;
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** POST, and PUT (a secret put makes a new version each time); GET and DELETE repeat safely anyway. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT']);
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const SCOPES_BY_ROUTE = new Map<string, readonly string[]>(ROUTES.map((route) => [routeKey(route), route.scopes]));
/** Response headers a replay repeats (the rest, like rate-limit headers, belong to the new request). */
const REPEATED_HEADERS = ['content-type', 'cache-control', 'location'];

/** The request as the key binds it: method, path and query, tenant, and the body's bytes. */
export function requestHash(event: HttpEvent, tenant: string): string {
  const body = event.body === undefined ? '' : event.isBase64Encoded ? event.body : Buffer.from(event.body, 'utf8').toString('base64');
  const target = event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath;
  return createHash('sha256').update(JSON.stringify([event.requestContext.http.method, target, tenant, body])).digest('hex');
}

/**
 * Idempotency-Key on POST and PUT requests, per caller (tenant and token subject): the first
 * request with a key runs and its response is kept; a retry with the same key and the same
 * request, from a token that still has the route's scopes, gets that response again (with
 * `idempotent-replayed: true`), one with another request gets 422, one while the first is still
 * running gets 409. A request that fails changes nothing, so its key is freed for the retry. A
 * failure to keep the response after the request succeeded is logged, never answered as a 5xx.
 */
export function idempotent(handler: RouteHandler, options: IdempotencyOptions) {
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  return async function idempotentHandler(event: HttpEvent, context: Context, auth: AuthContext): Promise<HttpResult> {
    const key = event.headers?.[IDEMPOTENCY_HEADER];
    if (key === undefined || !IDEMPOTENT_METHODS.has(event.requestContext.http.method)) return handler(event, context);
    if (!KEY_PATTERN.test(key)) {
      return errorResult(400, 'Idempotency-Key must be 1 to 255 visible ASCII characters.', 'invalid_request');
    }
    // A caller without the route's scopes never reaches a record: the handler refuses it (403).
    const scopes = SCOPES_BY_ROUTE.get(event.routeKey) ?? [];
    if (scopes.some((scope) => !auth.scopes.has(scope))) return handler(event, context);
    const { tenant } = auth;
    const policy = options.policies?.[event.routeKey] ?? 'store';
    // Keys are the caller's own (tenant and token subject): one client cannot replay another's response.
    const id = `idem#${tenant}#${createHash('sha256').update(`${auth.actor}\n${key}`).digest('hex')}`;
    const hash = requestHash(event, tenant);
    let claim;
    try {
      claim = await options.store.claim(id, hash, clock());
    } catch (error) {
      logger.error('idempotency store unavailable', { error: String(error) });
      return errorResult(503, 'The idempotency store is unavailable; nothing was done. Retry later.', 'temporarily_unavailable', { 'retry-after': '1' });
    }
    if (claim.kind !== 'claimed' && claim.requestHash !== hash) {
      return errorResult(422, 'This Idempotency-Key was used for a different request (method, path, tenant or body) in the last 24 hours; use a new key.', 'idempotency_key_reused');
    }
    if (claim.kind === 'in-progress') {
      return errorResult(409, 'A request with this Idempotency-Key is still in progress; retry after it finishes.', 'idempotency_key_in_use', { 'retry-after': '1' });
    }
    if (claim.kind === 'completed') return replay(claim.response, policy, event, tenant, handler, context);

    let result: HttpResult;
    try {
      result = await handler(event, context);
    } catch (error) {
      await options.store.release(id, hash).catch(() => undefined);
      throw error;
    }
    const statusCode = result.statusCode ?? 200;
    if (statusCode >= 300) {
      // 4xx and 5xx change nothing: the key is free again.
      await options.store.release(id, hash).catch((error: unknown) => logger.warn('idempotency key not released', { error: String(error) }));
      return result;
    }
    await keep(id, hash, stored(result, policy)).catch((error: unknown) =>
      logger.warn('idempotent response not kept; a retry with its key gets 409 until the claim lapses', { routeKey: event.routeKey, error: String(error) }),
    );
    return result;
  };

  async function keep(id: string, hash: string, response: StoredResponse): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await options.store.complete(id, hash, response);
      } catch (error) {
        if (attempt >= 3) throw error;
        await sleep(backoffDelay(attempt, 50, 500));
      }
    }
  }
}

function stored(result: HttpResult, policy: ReplayPolicy): StoredResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) if (REPEATED_HEADERS.includes(name.toLowerCase())) headers[name] = String(value);
  const statusCode = result.statusCode ?? 200;
  if (policy === 'rerun') return { statusCode, headers };
  if (policy === 'store' || result.body === undefined) return { statusCode, headers, body: result.body };
  return { statusCode, headers, body: JSON.stringify(policy.redact(JSON.parse(result.body))) };
}

async function replay(response: StoredResponse, policy: ReplayPolicy, event: HttpEvent, tenant: string, handler: RouteHandler, context: Context): Promise<HttpResult> {
  const replayed = { 'idempotent-replayed': 'true' };
  if (policy === 'rerun') {
    const result = await handler(event, context);
    return { ...result, headers: { ...result.headers, ...replayed } };
  }
  let body = response.body;
  if (policy !== 'store' && body !== undefined) {
    try {
      body = JSON.stringify(await policy.restore(JSON.parse(body), event, tenant));
    } catch (error) {
      // What the first response carried is gone (the secret version was deleted since): say so.
      const { body: problem } = toErrorBody(error);
      return errorResult(problem.statusCode, problem.message, problem.errorCode, replayed);
    }
  }
  return { statusCode: response.statusCode, headers: { ...response.headers, ...replayed }, ...(body === undefined ? {} : { body }) };
}
