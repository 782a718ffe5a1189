import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { JWTPayload } from 'jose';
import { routeKey, type HttpEvent, type Route } from '@keyledger/http';

/** Lower-cased headers, repeated ones joined with commas, as API Gateway HTTP APIs do. */
function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

function queryOf(search: URLSearchParams): Record<string, string> | undefined {
  const query: Record<string, string> = {};
  for (const key of new Set(search.keys())) query[key] = search.getAll(key).join(',');
  return Object.keys(query).length > 0 ? query : undefined;
}

type AuthorizerClaims = Readonly<Record<string, string | number | boolean | readonly string[]>>;

/** Claims and scopes per verified payload: the dev issuer hands the same payload to every request of a token. */
const authorizerViews = new WeakMap<JWTPayload, { claims: AuthorizerClaims; scopes: readonly string[] }>();

/** Claims as API Gateway's JWT authorizer hands them on (numbers and booleans as they are), and the token's scopes; frozen, as they are shared. */
function authorizerView(payload: JWTPayload): { claims: AuthorizerClaims; scopes: readonly string[] } {
  let view = authorizerViews.get(payload);
  if (view) return view;
  const claims: Record<string, string | number | boolean | readonly string[]> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') claims[name] = value;
    else if (Array.isArray(value)) claims[name] = Object.freeze(value.map(String));
    else if (value !== undefined && value !== null) claims[name] = JSON.stringify(value);
  }
  const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
  view = { claims: Object.freeze(claims), scopes: Object.freeze(scopes) };
  authorizerViews.set(payload, view);
  return view;
}

export interface EventInput {
  request: IncomingMessage;
  url: URL;
  body: Buffer;
  route: Route;
  pathParameters: Record<string, string>;
  claims: JWTPayload;
  requestId?: string;
  now?: Date;
}

/** An API Gateway HTTP API (payload 2.0) event with a JWT authorizer context. */
export function toApiGatewayEvent(input: EventInput): HttpEvent {
  const { request, url, body, route, claims } = input;
  const now = input.now ?? new Date();
  // API Gateway adds this one.
  const headers: Record<string, string> = { 'x-forwarded-proto': 'http', ...headersOf(request) };
  // Text must be valid UTF-8: other bytes are handed on as base64, so the handler sees them as they came (and refuses them).
  const isText = body.length === 0 || (/^(application\/(json|[\w.+-]*\+json)|text\/)/i.test(headers['content-type'] ?? '') && isUtf8(body));
  const { claims: authorizerClaims, scopes } = authorizerView(claims);
  return {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    cookies: headers['cookie']?.split(';').map((cookie) => cookie.trim()),
    headers,
    queryStringParameters: queryOf(url.searchParams),
    pathParameters: Object.keys(input.pathParameters).length > 0 ? input.pathParameters : undefined,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: authorizerClaims as Record<string, string>, scopes: scopes as string[] } },
      domainName: headers['host'] ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId ?? randomUUID(),
      routeKey: routeKey(route),
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !isText,
  };
}
