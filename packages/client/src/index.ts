/**
 * @keyledger/client: a typed client of the keyledger API (docs/openapi.json) with retries, and
 * local envelope encryption under cached data keys (docs/client.md).
 */
export { KeyledgerClient, OPERATION_METHODS, type KeyledgerClientOptions, type KeyledgerClientStats } from './client';
export { KeyledgerApiError, KeyledgerEnvelopeError, KeyledgerNetworkError, isKeyledgerApiError } from './errors';
export { DEFAULT_DATA_KEY_LIMITS, SERVICE_DATA_KEY_LIMITS, type DataKeyLimits } from './limits';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
export { CLIENT_ENVELOPE_MAGIC, CLIENT_ENVELOPE_VERSION, parseClientEnvelope, type ParsedClientEnvelope } from './envelope';
export { encodeEncryptionContext } from './context';
export { OPERATIONS, type OperationId } from './operations';
export type { CallInput, TransportOptions, TransportStats } from './transport';
export type { EnvelopeStats } from './localEnvelope';
export type {
  DestructionRequest,
  EncryptionContext,
  EncryptionKey,
  ErrorBody,
  Job,
  LogEvent,
  PathParameters,
  QueryParameters,
  RequestBody,
  ResponseBody,
  components,
  operations,
} from './apiTypes';
