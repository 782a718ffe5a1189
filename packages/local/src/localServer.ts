import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
  maxBodyBytes?: number;
  /** KEYLEDGER_DEV_CLOCK=1 only: `POST /dev/clock {"advance": "<ISO 8601 duration>"}` moves the stack's clock and runs its schedulers. */
  devClock?: (advance: unknown) => Promise<Date>;
}

class PayloadTooLargeError extends Error {}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, result: HttpResult, requestId: string): void {
  const headers: Record<string, string> = { 'x-request-id': requestId };
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const body = result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  if (body) headers['content-length'] = String(body.length);
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

const error = (statusCode: number, message: string, errorCode: ErrorCode): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8' },
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
async function advanceDevClock(request: IncomingMessage, options: LocalServerOptions): Promise<HttpResult> {
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
    body = JSON.parse((await readBody(request, 4096)).toString('utf8') || '{}');
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

/**
 * The local stand-in for API Gateway: routes with the shared route table, verifies the bearer
 * JWT against the dev issuer (401 when missing or invalid), and hands the same handlers that
 * run on Lambda an API Gateway v2 event.
 */
export function createLocalServer(options: LocalServerOptions): Server {
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  async function handle(request: IncomingMessage, requestId: string): Promise<HttpResult> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/healthz') {
      return options.isReady()
        ? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' }
        : { statusCode: 503, headers: { 'content-type': 'application/json' }, body: '{"status":"starting"}' };
    }
    if (method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(options.issuer.jwks) };
    }
    if (method === 'POST' && url.pathname === '/dev/clock' && options.devClock) return advanceDevClock(request, options);
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
      body = await readBody(request, maxBodyBytes);
    } catch (readError) {
      if (readError instanceof PayloadTooLargeError) return error(413, `Request body is larger than ${maxBodyBytes} bytes.`, 'payload_too_large');
      throw readError;
    }
    const event = toApiGatewayEvent({ request, url, body, route: match.route, pathParameters: match.pathParameters, claims, requestId });
    return handler(event, lambdaContext(requestId, match.route.service));
  }

  return createServer((request, response) => {
    const requestId = randomUUID();
    handle(request, requestId)
      .then((result) => send(response, result, requestId))
      .catch((failure: unknown) => {
        options.logger.error('local server failed a request', { requestId, error: String(failure) });
        if (!response.headersSent) send(response, error(500, 'An internal error occurred.', 'internal_error'), requestId);
        else response.destroy();
      });
  });
}
