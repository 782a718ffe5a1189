/**
 * Request and response types of each operation, read off the types openapi-typescript generates
 * from docs/openapi.json (generated/openapi.ts), by operationId.
 */
import type { components, operations } from '../generated/openapi';
import type { OperationId } from './operations';

export type { OperationId } from './operations';
export type { components, operations } from '../generated/openapi';

type Parameters<K extends OperationId> = operations[K]['parameters'];
/** The path parameters of an operation (`{kid}`, `{ns}`, ...). */
export type PathParameters<K extends OperationId> = NonNullable<Parameters<K>['path']>;
/** The query parameters of an operation (numbers and booleans too, where the document has their text, e.g. `per_page`). */
export type QueryParameters<K extends OperationId> = Loosened<NonNullable<Parameters<K>['query']>>;
type Loosened<Q> = { [P in keyof Q]: Q[P] | (NonNullable<Q[P]> extends string ? number | boolean : never) };
/** The JSON request body of an operation. */
export type RequestBody<K extends OperationId> =
  NonNullable<operations[K]['requestBody']> extends { content: { 'application/json': infer B } } ? B : never;

type SuccessStatus = 200 | 201 | 202 | 204;
type Responses<K extends OperationId> = operations[K]['responses'];
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : undefined;
/** The body of an operation's success answers (`undefined` for a 204). */
export type ResponseBody<K extends OperationId> = {
  [S in SuccessStatus & keyof Responses<K>]: JsonOf<Responses<K>[S]>;
}[SuccessStatus & keyof Responses<K>];

/** A key as the Management API shows it (Auth0's fields). */
export type EncryptionKey = components['schemas']['EncryptionKey'];
/** A destruction request. */
export type DestructionRequest = components['schemas']['DestructionRequest'];
/** A background job. */
export type Job = components['schemas']['Job'];
/** An audit log event (Auth0's log event shape). */
export type LogEvent = components['schemas']['LogEvent'];
/** Auth0's error body. */
export type ErrorBody = components['schemas']['Error'];
/** Caller context bound into a ciphertext: string keys, string values. */
export type EncryptionContext = Record<string, string>;
