import * as z from 'zod';
import type { ErrorBody } from './errorResponse';
import type { InputSchemas } from './httpHandler';

/** Auth0's error body, as every error (and a failed batch item) is answered. */
export const errorBodySchema = z
  .strictObject({ statusCode: z.number().int(), error: z.string(), message: z.string(), errorCode: z.string() })
  .meta({ id: 'Error' }) satisfies z.ZodType<Omit<ErrorBody, 'errorCode'> & { errorCode: string }, unknown>;

/** One documented response of an operation. */
export interface ResponseContract {
  description: string;
  /** The JSON body; none for 204 and the like. */
  schema?: z.ZodType;
  /** Response headers the operation sets, with what they say. */
  headers?: Record<string, string>;
}

/**
 * What an operation takes: the handler validates with `input`, and the OpenAPI document is
 * generated from the same schemas, so the two cannot drift. `requestBody` documents a body whose
 * validator JSON Schema cannot express (a single item or a batch of them).
 */
export interface OperationContract {
  input: InputSchemas;
  requestBody?: z.ZodType;
}

export type OperationResponses = Record<number, ResponseContract>;

export const contracts = <const C extends Record<string, OperationContract>>(table: C): C => table;

/**
 * The responses of every operation of a contract table, kept in a module of their own: the
 * handlers (and so the Lambda bundles) need only the inputs, the OpenAPI document needs both.
 */
export const responsesOf =
  <C extends Record<string, OperationContract>>() =>
  <const R extends Record<keyof C, OperationResponses>>(table: R): R =>
    table;
