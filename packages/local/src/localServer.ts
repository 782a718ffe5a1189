import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { errorResult, matchRoute, type HttpResult, type RouteHandler, type ServiceName } from '@keyledger/http';
import type { Logger } from '@keyledger/domain';
import { toApiGatewayEvent } from './apiGatewayEvent';
import { answerClientError, BodyBudget, DEFAULT_LIMITS, PayloadTooLargeError, readBody, ServerBusyError, type ConnectionLimits } from './connectionLimits';
import type { DevIssuer } from './devIssuer';
import { isLoopbackPeer } from './devSignIn';
import { RECEIPT_KEYS_PATH, receiptKeysResponse } from '@keyledger/key-admin';
import { SECURITY_HEADERS, type WebPages } from './webPages';

export interface LocalServerOptions {
  /** One handler per service, as one Lambda per service in AWS. */
  services: Partial<Record<ServiceName, RouteHandler>>;
  issuer: DevIssuer;
  logger: Logger;
  isReady: () => boolean;
  /** Largest body one request may send (413 beyond). */
  maxBodyBytes?: number;
  /** Connection limits and timeouts (the KEYLEDGER_HTTP_* settings); the defaults are those settings'. */
  limits?: Partial<ConnectionLimits>;
  /** The OpenAPI document served at GET /openapi.json (docs/openapi.json). */
  openApiJson?: string;
  /** The receipt keys' JWKS, served at GET /.well-known/keyledger/receipt-keys.json with no token (as key-admin does in AWS). */
  receiptKeys?: () => Promise<{ keys: unknown[] }>;
  /** KEYLEDGER_DEV_CLOCK=1 only: `POST /dev/clock {"advance": "<ISO 8601 duration>"}` moves the stack's clock and runs its schedulers. */
  devClock?: (advance: unknown) => Promise<Date>;
  /** The dashboard, its config and the dev sign-in (webPages.ts); the API keeps its paths. */
  web?: WebPages;
}

const FORM_LIMIT = 16 * 1024;

function send(response: ServerResponse, result: HttpResult, requestId: string): void {
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'x-request-id': requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  // Text goes out as the string it is: Node writes it with the head in one piece.
  const body = result.body === undefined ? undefined : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

const error = errorResult;

function lambdaContext(requestId: string, service: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `keyledger-local-${service}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:keyledger-local-${service}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/local/${service}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** 413 or 503 for a body the server would not read; the rest of it is not read, so the connection closes. */
function refusedBody(failure: PayloadTooLargeError | ServerBusyError, limit: number): HttpResult {
  if (failure instanceof PayloadTooLargeError) return error(413, `Request body is larger than ${limit} bytes.`, 'payload_too_large', { connection: 'close' });
  return error(503, 'The server is holding as many request bytes as it may; retry shortly.', 'server_busy', { connection: 'close', 'retry-after': '1' });
}

const busy = () => error(503, 'The server is handling as many requests as it may; retry shortly.', 'server_busy', { connection: 'close', 'retry-after': '1' });

/** The dev clock's route: any token of the dev issuer, from the loopback interface only. */
async function advanceDevClock(request: IncomingMessage, options: LocalServerOptions, budget: BodyBudget, charged: { bytes: number }): Promise<HttpResult> {
  if (!isLoopbackPeer(request)) return error(403, 'The dev clock answers only on the loopback interface.', 'forbidden');
  const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  try {
    if (!token) throw new Error('missing');
    await options.issuer.verify(token);
  } catch {
    return error(401, 'The dev clock needs a token of the local dev issuer (keyledger token).', 'invalid_token');
  }
  let body: unknown;
  try {
    body = JSON.parse((await readBody(request, 4096, budget, charged)).toString('utf8') || '{}');
  } catch (failure) {
    if (failure instanceof PayloadTooLargeError || failure instanceof ServerBusyError) return refusedBody(failure, 4096);
    return error(400, 'Body must be JSON: {"advance": "P1D"}.', 'invalid_body');
  }
  try {
    const now = await options.devClock!((body as { advance?: unknown } | null)?.advance);
    return { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ now: now.toISOString() }) };
  } catch (failure) {
    return error(400, `Body advance: ${(failure as Error).message}.`, 'invalid_body');
  }
}

/**
 * The local stand-in for API Gateway: routes with the shared route table, verifies the bearer
 * JWT against the dev issuer (401 when missing or invalid), and hands the same handlers that
 * run on Lambda an API Gateway v2 event.
 */
export function createLocalServer(options: LocalServerOptions): Server {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const budget = new BodyBudget(limits.maxBufferedBytes);
  let inFlight = 0;

  async function handle(request: IncomingMessage, requestId: string, charged: { bytes: number }): Promise<HttpResult> {
    const target = request.url ?? '/';
    // A request target is an ASCII path (RFC 9112): other bytes arrive as Latin-1 and would be
    // misread, and `//x/...` would be read as a host.
    if (!/^\/(?!\/)[\x21-\x7e]*$/.test(target)) return error(400, 'The request target must be an ASCII path (percent-encode anything else).', 'invalid_request');
    let url: URL;
    try {
      url = new URL(target, 'http://localhost');
    } catch {
      return error(400, 'The request target is not a valid path.', 'invalid_request');
    }
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/healthz') {
      return options.isReady()
        ? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' }
        : { statusCode: 503, headers: { 'content-type': 'application/json' }, body: '{"status":"starting"}' };
    }
    if (method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(options.issuer.jwks) };
    }
    if (method === 'GET' && url.pathname === RECEIPT_KEYS_PATH && options.receiptKeys) return receiptKeysResponse(options.receiptKeys);
    if (method === 'GET' && url.pathname === '/openapi.json' && options.openApiJson) {
      return { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }, body: options.openApiJson };
    }
    if (method === 'POST' && url.pathname === '/dev/clock' && options.devClock) return advanceDevClock(request, options, budget, charged);
    if (options.web) {
      let refused: HttpResult | undefined;
      const readForm = async () => {
        try {
          return new URLSearchParams((await readBody(request, FORM_LIMIT, budget, charged)).toString('utf8'));
        } catch (failure) {
          if (failure instanceof PayloadTooLargeError || failure instanceof ServerBusyError) refused = refusedBody(failure, FORM_LIMIT);
          throw failure;
        }
      };
      try {
        const answer = await options.web(request, url, readForm);
        if (answer) return answer;
      } catch (failure) {
        if (refused) return refused;
        throw failure;
      }
    }
    const match = matchRoute(method, url.pathname);
    if (match.kind === 'not-found') return error(404, `No route ${method} ${url.pathname}.`, 'route_not_found');
    if (match.kind === 'method-not-allowed') {
      const result = error(405, `Method ${method} is not allowed here; use ${match.allowed.join(', ')}.`, 'method_not_allowed');
      return { ...result, headers: { ...result.headers, allow: match.allowed.join(', ') } };
    }
    const handler = options.services[match.route.service];
    if (!handler) return error(404, `Service ${match.route.service} is not running in this stack.`, 'route_not_found');

    const authorization = request.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!token) return error(401, 'Missing authentication: send "Authorization: Bearer <token>".', 'missing_token');
    let claims;
    try {
      claims = await options.issuer.verify(token);
    } catch (verifyError) {
      return error(401, `Invalid token: ${options.issuer.explainRefusal(token, verifyError)}.`, 'invalid_token');
    }

    let body: Buffer;
    try {
      body = await readBody(request, maxBodyBytes, budget, charged);
    } catch (readError) {
      if (readError instanceof PayloadTooLargeError || readError instanceof ServerBusyError) return refusedBody(readError, maxBodyBytes);
      throw readError;
    }
    const event = toApiGatewayEvent({ request, url, body, route: match.route, pathParameters: match.pathParameters, claims, requestId });
    return handler(event, lambdaContext(requestId, match.route.service));
  }

  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above (its default, 30 s, would let them run long).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
      // A missing Host is answered by the handlers like any request, not with Node's bare 400.
      requireHostHeader: false,
    },
    (request, response) => {
      const requestId = randomUUID();
      // Pipelined requests arrive without waiting for answers: the cap counts every one in flight.
      if (inFlight >= limits.maxRequestsInFlight) {
        send(response, busy(), requestId);
        return;
      }
      inFlight += 1;
      const charged = { bytes: 0 };
      handle(request, requestId, charged)
        .then((result) => send(response, result, requestId))
        .catch((failure: unknown) => {
          // A client that went away mid-body is not a server failure.
          // (A request read to its end is destroyed too, by Node: that is no reason to drop the answer.)
          if ((request.destroyed && !request.complete) || (failure as { code?: string }).code === 'ECONNRESET') return response.destroy();
          options.logger.error('local server failed a request', { requestId, error: String(failure) });
          if (!response.headersSent) send(response, error(500, 'An internal error occurred.', 'internal_error'), requestId);
          else response.destroy();
        })
        .finally(() => {
          inFlight -= 1;
          budget.give(charged.bytes);
        });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('clientError', answerClientError);
  server.on('checkExpectation', (_request, response) => send(response, error(400, 'Expect: only 100-continue is supported.', 'invalid_request'), randomUUID()));
  return server;
}
