import { randomUUID } from 'node:crypto';
import type { ErrorBody } from './apiTypes';
import { KeyledgerApiError, KeyledgerNetworkError } from './errors';
import { OPERATIONS, type OperationId } from './operations';
import { backoffMs, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, sleep, type RetryPolicy } from './retry';

/** Options of a KeyledgerClient's HTTP side. */
export interface TransportOptions {
  /** Where keyledger is, e.g. `https://keys.example.com` or `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** A bearer token (JWT) ... */
  token?: string;
  /** ...or a function that returns one, called for every attempt (so a refreshed token is used). */
  getToken?: () => string | Promise<string>;
  /** The fetch to use; the global fetch by default (Node ≥ 20). */
  fetch?: typeof fetch;
  /** Retries after the first attempt (2 by default), or the whole policy. */
  retries?: number | Partial<RetryPolicy>;
  /** Each attempt is abandoned after this long (then retried like a network error): 30 s by default. */
  timeoutMs?: number;
  /**
   * Send an `Idempotency-Key` with every POST and PUT (true by default): one random key per
   * call, the same for all its attempts, so that a retry never acts twice. Without it POST and
   * PUT are not retried.
   */
  idempotencyKeys?: boolean;
}

/** What one call sends: path parameters, query, JSON body, extra headers. */
export interface CallInput {
  path?: Record<string, string>;
  query?: Record<string, string | number | boolean | Record<string, string> | undefined>;
  body?: unknown;
  /** E.g. your own `Idempotency-Key`, reused across calls you consider the same. */
  headers?: Record<string, string>;
}

/** How many calls and HTTP attempts the client made. */
export interface TransportStats {
  /** API calls (one per method call that reached the network, whatever its retries). */
  requests: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** Attempts that were retries. */
  retries: number;
}

/** Sends one operation of docs/openapi.json, with retries; parses the answer or throws KeyledgerApiError. */
export class Transport {
  readonly stats: TransportStats = { requests: 0, attempts: 0, retries: 0 };
  private readonly policy: RetryPolicy;
  private readonly baseUrl: string;

  constructor(private readonly options: TransportOptions) {
    if (!options.token && !options.getToken) throw new TypeError('KeyledgerClient needs a token or a getToken function.');
    const retries = typeof options.retries === 'number' ? { retries: options.retries } : (options.retries ?? {});
    this.policy = { ...DEFAULT_RETRY_POLICY, ...retries };
    if (!Number.isInteger(this.policy.retries) || this.policy.retries < 0) throw new RangeError('retries must be a whole number ≥ 0.');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** The URL of an operation with these path parameters and query. */
  url(operation: OperationId, input: CallInput = {}): string {
    const path = OPERATIONS[operation].path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = input.path?.[name];
      if (value === undefined || value === '') throw new TypeError(`${operation} needs the path parameter ${name}.`);
      return encodeURIComponent(value);
    });
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(input.query ?? {})) {
      if (value === undefined) continue;
      query.set(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
    }
    const search = query.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  async call<T>(operation: OperationId, input: CallInput = {}): Promise<T> {
    const { method } = OPERATIONS[operation];
    const url = this.url(operation, input);
    const headers: Record<string, string> = { accept: 'application/json', ...input.headers };
    if (input.body !== undefined) headers['content-type'] = 'application/json';
    const writes = method === 'POST' || method === 'PUT';
    if (writes && this.options.idempotencyKeys !== false && !hasHeader(headers, 'idempotency-key')) headers['idempotency-key'] = randomUUID();
    // GET and DELETE repeat safely; POST and PUT only under an Idempotency-Key (the server replays the first answer).
    const repeatable = !writes || hasHeader(headers, 'idempotency-key');
    const body = input.body === undefined ? undefined : JSON.stringify(input.body);
    const doFetch = this.options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
    this.stats.requests += 1;
    for (let attempt = 1; ; attempt += 1) {
      const canRetry = repeatable && attempt <= this.policy.retries;
      if (attempt > 1) this.stats.retries += 1;
      this.stats.attempts += 1;
      headers['authorization'] = `Bearer ${await this.token()}`;
      let response: Response;
      try {
        response = await doFetch(url, { method, headers, body, signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
      } catch (error) {
        if (canRetry) {
          await sleep(backoffMs(this.policy, attempt));
          continue;
        }
        throw new KeyledgerNetworkError(`${method} ${url} got no answer: ${(error as Error).message}`, { cause: error });
      }
      if (response.ok) return (await readJson(response)) as T;
      const error = await apiError(response);
      if (canRetry && isRetryableStatus(response.status, error.errorCode)) {
        const wait = error.retryAfterMs ?? backoffMs(this.policy, attempt);
        if (wait <= this.policy.maxRetryAfterMs) {
          await sleep(wait);
          continue;
        }
      }
      throw error;
    }
  }

  private async token(): Promise<string> {
    return this.options.getToken ? await this.options.getToken() : this.options.token!;
  }
}

const hasHeader = (headers: Record<string, string>, name: string) => Object.keys(headers).some((key) => key.toLowerCase() === name);

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  return text === '' ? undefined : JSON.parse(text);
}

async function apiError(response: Response): Promise<KeyledgerApiError> {
  let body: Partial<ErrorBody> = {};
  try {
    body = ((await readJson(response)) ?? {}) as Partial<ErrorBody>;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  return new KeyledgerApiError(
    response.status,
    typeof body.errorCode === 'string' ? body.errorCode : 'unknown',
    typeof body.message === 'string' ? body.message : `${response.status} ${response.statusText}`,
    typeof body.error === 'string' ? body.error : response.statusText,
    parseRetryAfter(response.headers.get('retry-after')),
  );
}
