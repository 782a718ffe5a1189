import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context } from 'aws-lambda';
import { errorBody, matchRoute, type ErrorCode, type HttpResult, type RouteHandler, type ServiceName } from '@keyledger/http';
import type { Logger } from '@keyledger/domain';
import { toApiGatewayEvent } from './apiGatewayEvent';
import type { DevIssuer } from './devIssuer';

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
  /** KEYLEDGER_DEV_CLOCK=1 only: `POST /dev/clock {"advance": "<ISO 8601 duration>"}` moves the stack's clock and runs its schedulers. */
  devClock?: (advance: unknown) => Promise<Date>;
}

export interface ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  /** Body bytes held at once over all requests being read or handled. */
  maxBufferedBytes: number;
}

const DEFAULT_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxBufferedBytes: 32 * 1024 * 1024,
};

class PayloadTooLargeError extends Error {}
class ServerBusyError extends Error {}

/** Body bytes held by requests in flight, against one budget for the whole server. */
class BodyBudget {
  private held = 0;

  constructor(private readonly limit: number) {}

  take(bytes: number): void {
    if (this.held + bytes > this.limit) throw new ServerBusyError();
    this.held += bytes;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }
}

/** Reads a body up to `limit` bytes, charging each chunk to the budget; `charged` is what to give back. */
async function readBody(request: IncomingMessage, limit: number, budget: BodyBudget, charged: { bytes: number }): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) throw new PayloadTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLargeError();
    budget.take((chunk as Buffer).length);
    charged.bytes += (chunk as Buffer).length;
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** Percent-encoding that is not valid UTF-8 (`%ff`, an encoded lone surrogate) would be read as U+FFFD. */
function hasStrictQuery(search: string): boolean {
  for (const part of search.replace(/^\?/, '').split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return false;
    }
  }
  return true;
}

function send(response: ServerResponse, result: HttpResult, requestId: string): void {
  const headers: Record<string, string> = { 'x-request-id': requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const body = result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  if (body) headers['content-length'] = String(body.length);
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

const error = (statusCode: number, message: string, errorCode: ErrorCode, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(errorBody(statusCode, message, errorCode)),
});

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

/** The dev clock's route: any token of the dev issuer, from the loopback interface only. */
async function advanceDevClock(request: IncomingMessage, options: LocalServerOptions, budget: BodyBudget, charged: { bytes: number }): Promise<HttpResult> {
  const from = request.socket.remoteAddress ?? '';
  if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(from)) return error(403, 'The dev clock answers only on the loopback interface.', 'forbidden');
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
  } catch {
    return error(400, 'Body must be JSON: {"advance": "P1D"}.', 'invalid_body');
  }
  try {
    const now = await options.devClock!((body as { advance?: unknown } | null)?.advance);
    return { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ now: now.toISOString() }) };
  } catch (failure) {
    return error(400, `Body advance: ${(failure as Error).message}.`, 'invalid_body');
  }
}

const CLIENT_ERRORS: Record<string, [number, string, string, ErrorCode]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request was not received in time; the connection is closed.', 'request_timeout'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'The request headers are too large.', 'headers_too_large'],
};

/** Node's answers to requests it could not read (timeouts, malformed HTTP), in the API's error shape. */
function answerClientError(failure: NodeJS.ErrnoException, socket: Duplex): void {
  const pending = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (failure.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, phrase, message, errorCode] = CLIENT_ERRORS[failure.code ?? ''] ?? [400, 'Bad Request', 'The request is not valid HTTP/1.1.', 'invalid_request'];
  const body = JSON.stringify(errorBody(status, message, errorCode));
  socket.end(
    `HTTP/1.1 ${status} ${phrase}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
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

  async function handle(request: IncomingMessage, requestId: string, charged: { bytes: number }): Promise<HttpResult> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!hasStrictQuery(url.search)) return error(400, 'Query string: percent-encoding must be valid UTF-8.', 'invalid_query_string');
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/healthz') {
      return options.isReady()
        ? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' }
        : { statusCode: 503, headers: { 'content-type': 'application/json' }, body: '{"status":"starting"}' };
    }
    if (method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(options.issuer.jwks) };
    }
    if (method === 'POST' && url.pathname === '/dev/clock' && options.devClock) return advanceDevClock(request, options, budget, charged);
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
      const reason = (verifyError as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token did not verify';
      return error(401, `Invalid token: ${reason}.`, 'invalid_token');
    }

    let body: Buffer;
    try {
      body = await readBody(request, maxBodyBytes, budget, charged);
    } catch (readError) {
      // The rest of the body is not read: the connection closes after the answer.
      if (readError instanceof PayloadTooLargeError) return error(413, `Request body is larger than ${maxBodyBytes} bytes.`, 'payload_too_large', { connection: 'close' });
      if (readError instanceof ServerBusyError) {
        return error(503, 'The server is holding as many request bytes as it may; retry shortly.', 'server_busy', { connection: 'close', 'retry-after': '1' });
      }
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
    },
    (request, response) => {
      const requestId = randomUUID();
      const charged = { bytes: 0 };
      handle(request, requestId, charged)
        .then((result) => send(response, result, requestId))
        .catch((failure: unknown) => {
          // A client that went away mid-body is not a server failure.
          if (request.destroyed || (failure as { code?: string }).code === 'ECONNRESET') return response.destroy();
          options.logger.error('local server failed a request', { requestId, error: String(failure) });
          if (!response.headersSent) send(response, error(500, 'An internal error occurred.', 'internal_error'), requestId);
          else response.destroy();
        })
        .finally(() => budget.give(charged.bytes));
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('clientError', answerClientError);
  return server;
}
