import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { silentLogger, type Logger } from '@keyledger/domain';
import type { z } from 'zod';
import { assertScopes, authContextFromClaims, type AuthContext } from './auth';
import type { ErrorCode } from './errorCodes';
import { errorBody, toErrorBody } from './errorResponse';
import { RequestValidationError, UnsupportedMediaTypeError } from './errors';
import type { RouteDefinition } from './routes';
import { decodeUtf8Strictly, describePath, findIllFormedText, hasStrictPercentEncoding, isWellFormedText } from './text';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface HandlerContext<I> extends Context {
  auth: AuthContext;
  input: I;
}

/** What a use case sees: who asks, validated input, and the raw event for anything else. */
export interface HandlerRequest<I> {
  auth: AuthContext;
  input: I;
  event: HttpEvent;
}

export interface InputSchemas {
  pathParameters?: z.ZodType;
  queryStringParameters?: z.ZodType;
  body?: z.ZodType;
}

type InferInput<S extends InputSchemas> = {
  [K in keyof S]: S[K] extends z.ZodType ? z.output<S[K]> : never;
};

export const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/** An error answer in Auth0's shape, with any extra headers (`retry-after`, `allow`, ...). */
export function errorResult(statusCode: number, message: string, errorCode: ErrorCode, headers: Record<string, string> = {}): HttpResult {
  const result = json(statusCode, errorBody(statusCode, message, errorCode));
  return { ...result, headers: { ...result.headers, ...headers } };
}

export const noContent = (): HttpResult => ({ statusCode: 204, headers: { 'cache-control': 'no-store' } });

/** Errors → Auth0 error bodies. 4xx messages are shown; everything else is logged and hidden. */
export function httpErrorHandler(logger: Logger): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    name: 'httpErrorHandler',
    onError: function httpErrorHandlerOnError(request) {
      const { body, expose } = toErrorBody(request.error);
      if (!expose) {
        const error = request.error as (Error & { code?: string; reason?: string }) | null;
        logger.error('request failed', {
          routeKey: request.event.routeKey,
          requestId: request.event.requestContext?.requestId,
          statusCode: body.statusCode,
          error: error?.name,
          code: error?.code,
          reason: error?.reason,
          message: error?.message,
          stack: error?.stack,
        });
      }
      request.response = json(body.statusCode, body);
    },
  };
}

/** Reads the caller from the JWT claims the authorizer verified and checks the route's scopes. */
export function authorize(options: { scopes: readonly string[]; tenantClaim: string }): MiddlewareObj<HttpEvent, HttpResult, Error, HandlerContext<unknown>> {
  return {
    name: 'authorize',
    before: function authorizeBefore(request) {
      const auth = authContextFromClaims(request.event.requestContext?.authorizer?.jwt?.claims, options.tenantClaim);
      assertScopes(auth, options.scopes);
      request.context.auth = auth;
    },
  };
}

/** `<where> <path>: <message>` for one schema issue (bodies, query strings, batch items). */
export function describeIssue(where: string, issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path ? `${where} ${path}: ${issue.message}` : `${where}: ${issue.message}`;
}

const PARTS = [
  ['pathParameters', 'Path parameter', 'invalid_uri'],
  ['queryStringParameters', 'Query parameter', 'invalid_query_string'],
  ['body', 'Body', 'invalid_body'],
] as const;

/** Validates path, query and JSON body with zod before any use case runs. */
export function validateInput(schemas: InputSchemas): MiddlewareObj<HttpEvent, HttpResult, Error, HandlerContext<unknown>> {
  return {
    name: 'validateInput',
    before: function validateInputBefore(request) {
      const { event } = request;
      const raw: Record<string, unknown> = {
        pathParameters: event.pathParameters ?? {},
        queryStringParameters: event.queryStringParameters ?? {},
        body: undefined,
      };
      if (schemas.body) {
        if (event.body && !isJsonContentType(event.headers?.['content-type'] ?? '')) {
          throw new UnsupportedMediaTypeError('Send the body as application/json (UTF-8).');
        }
        raw['body'] = parseJsonBody(event);
      }
      if (event.rawQueryString && !hasStrictPercentEncoding(event.rawQueryString)) {
        throw new RequestValidationError('Query string: percent-encoding must be valid UTF-8.', 'invalid_query_string');
      }
      for (const [part, label, errorCode] of PARTS.slice(0, 2)) {
        for (const [name, value] of Object.entries((event[part] ?? {}) as Record<string, string | undefined>)) {
          if (value !== undefined && !isWellFormedText(value)) {
            throw new RequestValidationError(`${label} ${describePath([name])}: is not valid Unicode text (it holds a lone surrogate).`, errorCode);
          }
        }
      }
      const input: Record<string, unknown> = {};
      for (const [part, label, errorCode] of PARTS) {
        const schema = schemas[part];
        if (!schema) continue;
        const result = schema.safeParse(raw[part]);
        if (!result.success) {
          throw new RequestValidationError(result.error.issues.map((issue) => describeIssue(label, issue)).join('; '), errorCode);
        }
        input[part] = result.data;
      }
      request.context.input = input;
    },
  };
}

/** `application/json`, with no charset or UTF-8's (a body in another charset would be misread as UTF-8). */
function isJsonContentType(header: string): boolean {
  const [mediaType, ...parameters] = header.split(';');
  if (mediaType?.trim().toLowerCase() !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name, value] = parameter.split('=').map((part) => part.trim().toLowerCase());
    return name !== 'charset' || value?.replace(/^"|"$/g, '') === 'utf-8';
  });
}

/** The JSON body: valid UTF-8, valid JSON, and no lone surrogate in any key or string (else 400 naming it). */
function parseJsonBody(event: HttpEvent): unknown {
  if (!event.body) return {};
  const text = event.isBase64Encoded ? decodeUtf8Strictly(Buffer.from(event.body, 'base64')) : event.body;
  if (text === undefined) throw new RequestValidationError('Body is not valid UTF-8.', 'invalid_body');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RequestValidationError('Body is not valid JSON.', 'invalid_body');
  }
  const illFormed = findIllFormedText(body);
  if (illFormed) {
    const where = illFormed.length > 0 ? `Body ${describePath(illFormed)}` : 'Body';
    throw new RequestValidationError(`${where}: is not valid Unicode text (it holds a lone surrogate, e.g. "\\ud800").`, 'invalid_body');
  }
  return body;
}

export interface RouteHandlerOptions<S extends InputSchemas> {
  route: Pick<RouteDefinition, 'scopes'>;
  tenantClaim: string;
  input?: S;
  logger?: Logger;
  handle: (request: HandlerRequest<InferInput<S>>) => Promise<HttpResult>;
}

/** A route's Lambda handler: errors → authorize → validate → use case. */
export function createRouteHandler<S extends InputSchemas>(options: RouteHandlerOptions<S>): RouteHandler {
  const logger = options.logger ?? silentLogger;
  const handler = middy<HttpEvent, HttpResult, Error, HandlerContext<InferInput<S>>>()
    .use(httpErrorHandler(logger) as MiddlewareObj<HttpEvent, HttpResult, Error, HandlerContext<InferInput<S>>>)
    .use(authorize({ scopes: options.route.scopes, tenantClaim: options.tenantClaim }) as MiddlewareObj<HttpEvent, HttpResult, Error, HandlerContext<InferInput<S>>>)
    .use(validateInput(options.input ?? {}) as MiddlewareObj<HttpEvent, HttpResult, Error, HandlerContext<InferInput<S>>>)
    .handler(async (event, context) => options.handle({ auth: context.auth, input: context.input, event }));
  // The middlewares fill in auth and input; the caller passes a plain Lambda context.
  return (event, context) => handler(event, context as HandlerContext<InferInput<S>>);
}

export type RouteHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;
