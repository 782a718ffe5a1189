import { AUDIT_PROJECTOR_CONTRACT, AUDIT_PROJECTOR_RESPONSES } from '@keyledger/audit-projector';
import { CRYPTO_DATA_PLANE_CONTRACT, CRYPTO_DATA_PLANE_RESPONSES } from '@keyledger/crypto-data-plane';
import { errorBodySchema, ROUTES, type OperationContract, type OperationResponses, type Route } from '@keyledger/http';
import { KEY_ADMIN_CONTRACT, KEY_ADMIN_RESPONSES } from '@keyledger/key-admin';
import type { z } from 'zod';
import { version as KEYLEDGER_VERSION } from '../../../package.json';
import { toOpenApiSchema } from './jsonSchema';

type Json = Record<string, unknown>;

/** Every operation's contract, by operation name (the route table's `operation`). */
export const CONTRACTS: Record<string, OperationContract> = { ...KEY_ADMIN_CONTRACT, ...CRYPTO_DATA_PLANE_CONTRACT, ...AUDIT_PROJECTOR_CONTRACT };
export const RESPONSES: Record<string, OperationResponses> = { ...KEY_ADMIN_RESPONSES, ...CRYPTO_DATA_PLANE_RESPONSES, ...AUDIT_PROJECTOR_RESPONSES };

const TAGS = [
  { name: 'key-admin', description: 'The Auth0-compatible Management API of the key hierarchy (`/api/v2/keys/encryption`) and key retirement (`/v1/keys`).' },
  { name: 'crypto-data-plane', description: 'Encrypt, decrypt, rewrap and data keys per namespace; the CredStash-style secret store; re-encryption jobs.' },
  { name: 'audit-projector', description: 'The tenant audit log, Auth0-shaped (`/api/v2/logs`), hash-chained.' },
];

const ERRORS: Record<string, string> = {
  400: 'Bad input (`invalid_body`, `invalid_query_string`, `invalid_uri`, ...); nothing changed.',
  401: 'No bearer token, or one that does not verify (`missing_token`, `invalid_token`).',
  403: 'The token lacks a scope the route needs, or names no valid tenant.',
  404: 'No such key, namespace, secret, job or log event.',
  409: 'The state does not allow it (`invalid_key_state`, `key_in_use`, ...), or the Idempotency-Key is in use.',
  422: 'The Idempotency-Key was used for a different request.',
  429: 'The tenant is over its rate limit (`too_many_requests`); see `Retry-After`.',
  500: 'An unexpected error; the details are logged, never returned.',
  503: 'The root key store (or another store the request needs first) is unavailable; nothing changed.',
};

const RATE_LIMIT_HEADERS = {
  'x-ratelimit-limit': 'With a rate limit in force: the tenant\'s bucket size.',
  'x-ratelimit-remaining': 'With a rate limit in force: requests the tenant may still send now.',
  'x-ratelimit-reset': 'With a rate limit in force: when the bucket is full again, in UNIX epoch seconds.',
};

/** The OpenAPI 3.1 document of every route in the route table, from its operation's contract. */
export function openApiDocument(version: string): Json {
  const schemas: Record<string, Json> = {};
  const paths: Record<string, Json> = {};
  const errorRef = toOpenApiSchema(errorBodySchema, 'output', schemas);
  for (const route of ROUTES) {
    const contract = CONTRACTS[route.operation];
    const responses = RESPONSES[route.operation];
    if (!contract || !responses) throw new Error(`No contract for ${route.operation}.`);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, contract, responses, schemas);
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'keyledger',
      version,
      summary: 'Event-sourced, multi-tenant key management for AWS.',
      description:
        'The Management API is Auth0-compatible (`/api/v2/keys/encryption`, `/api/v2/logs`); every error has Auth0\'s shape. The tenant always comes from a token claim. Every POST and PUT takes an `Idempotency-Key` header. See docs/errors.md for every errorCode.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://127.0.0.1:8787', description: 'The local stack (`npm start`); in AWS, the stack\'s ApiUrl.' }],
    tags: TAGS,
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token of the deployment\'s issuer (locally: `keyledger token`); scopes from `scope`, `scp` or `permissions`.' },
      },
      headers: Object.fromEntries(Object.entries(RATE_LIMIT_HEADERS).map(([name, description]) => [name, { description, schema: { type: 'integer' } }])),
      responses: Object.fromEntries(
        Object.entries({ ...ERRORS, Default: 'Any other error, in the same shape (see docs/errors.md).' }).map(([status, description]) => [
          `Error${status}`,
          { description, headers: rateLimitHeaderRefs(), content: { 'application/json': { schema: errorRef } } },
        ]),
      ),
    },
  };
}

function rateLimitHeaderRefs(): Json {
  return Object.fromEntries(Object.keys(RATE_LIMIT_HEADERS).map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}

function operation(route: Route, contract: OperationContract, declared: OperationResponses, schemas: Record<string, Json>): Json {
  const parameters = [
    ...parametersOf(contract.input.pathParameters, 'path', schemas),
    ...parametersOf(contract.input.queryStringParameters, 'query', schemas),
    ...(route.method === 'POST' || route.method === 'PUT'
      ? [{ name: 'Idempotency-Key', in: 'header', required: false, description: 'A retry with the same key and request gets the first response again (24 hours).', schema: { type: 'string', minLength: 1, maxLength: 255 } }]
      : []),
  ];
  const body = contract.requestBody ?? contract.input.body;
  const responses: Json = {};
  for (const [status, response] of Object.entries(declared)) {
    const headers = { ...rateLimitHeaderRefs(), ...Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) };
    responses[status] = {
      description: response.description,
      headers,
      ...(response.schema ? { content: { 'application/json': { schema: toOpenApiSchema(response.schema, 'output', schemas) } } } : {}),
    };
  }
  for (const status of Object.keys(ERRORS)) {
    if ((status === '409' && route.method === 'GET') || (status === '422' && route.method !== 'POST' && route.method !== 'PUT')) continue;
    responses[status] ??= { $ref: `#/components/responses/Error${status}` };
  }
  // Anything else the server or the gateway may answer (405, 408, 413, 415, 431) has the same shape.
  responses['default'] = { $ref: '#/components/responses/ErrorDefault' };
  return {
    operationId: route.operation,
    summary: route.summary,
    tags: [route.service],
    security: [{ bearer: [...route.scopes] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: { required: route.operation !== 'createWrappingKey', content: { 'application/json': { schema: toOpenApiSchema(body, 'input', schemas) } } } } : {}),
    responses,
  };
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query', schemas: Record<string, Json>): Json[] {
  if (!schema) return [];
  const object = toOpenApiSchema(schema, 'input', schemas) as { properties?: Record<string, Json & { description?: string }>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...parameterSchema } = property;
    return { name, in: where, required: where === 'path' || (object.required ?? []).includes(name), ...(description ? { description } : {}), schema: parameterSchema };
  });
}

/** docs/openapi.json as committed and as the local stack serves it. */
export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(KEYLEDGER_VERSION), null, 2)}\n`;
}
