import type { HttpEvent } from '../httpHandler';

export interface HttpEventOptions {
  claims?: Record<string, unknown>;
  query?: Record<string, string>;
  path?: Record<string, string>;
  headers?: Record<string, string>;
}

/** Test helper: an API Gateway HTTP API (payload 2.0) event with JWT authorizer claims. */
export function httpEvent(routeKey: string, options: HttpEventOptions = {}): HttpEvent {
  const [method, rawPath] = routeKey.split(' ') as [string, string];
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query).toString(),
    headers: options.headers ?? {},
    queryStringParameters: options.query,
    pathParameters: options.path,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: 'test',
      domainPrefix: 'test',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: (options.claims ?? {}) as Record<string, string>, scopes: [] },
      },
    },
  };
}

