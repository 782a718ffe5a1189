import { randomUUID } from 'node:crypto';

/** A small client for the keyledger HTTP APIs that turns Auth0 error bodies into readable errors. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  url: string;
  token?: string;
  fetch?: typeof fetch;
  /** Tries of a request that met a 429, a 5xx or no answer (the first included); 3 by default. */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Statuses worth another try: the tenant's rate limit, and a server or gateway that failed (nothing changed, or the key replays it). */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const MAX_WAIT_MS = 10_000;

/**
 * Sends each request up to `attempts` times, as Auth0's SDKs do, waiting what `Retry-After`
 * says (else 0.5 s, then 1 s). POST and PUT carry one Idempotency-Key for all their tries, so a
 * retry after a lost answer never rekeys, imports or writes twice.
 */
export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.exchange<T>(method, path, body)).body;
  }

  /** The parsed body and the response headers. */
  async exchange<T>(method: string, path: string, body?: unknown): Promise<{ body: T; headers: Headers }> {
    if (!this.options.token) {
      throw new ApiError(401, 'No token: pass --token or set KEYLEDGER_TOKEN (mint one with `keyledger token`).');
    }
    const doFetch = this.options.fetch ?? fetch;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const attempts = this.options.attempts ?? 3;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'POST' || method === 'PUT' ? { 'idempotency-key': randomUUID() } : {}),
    };
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await doFetch(new URL(path, this.options.url), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (error) {
        if (attempt < attempts) {
          await sleep(500 * attempt);
          continue;
        }
        throw new ApiError(0, `Cannot reach keyledger at ${this.options.url}: ${(error as Error).message}. Is it running (npm start)?`);
      }
      if (RETRYABLE.has(response.status) && attempt < attempts) {
        await response.body?.cancel();
        await sleep(waitFor(response.headers.get('retry-after'), attempt));
        continue;
      }
      const text = await response.text();
      const parsed: unknown = text ? JSON.parse(text) : undefined;
      if (!response.ok) {
        const error = (parsed ?? {}) as { message?: string; errorCode?: string };
        throw new ApiError(response.status, `${response.status} ${error.message ?? response.statusText}`, error.errorCode);
      }
      return { body: parsed as T, headers: response.headers };
    }
  }
}

function waitFor(retryAfter: string | null, attempt: number): number {
  const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return Math.min(MAX_WAIT_MS, seconds === undefined ? 500 * attempt : seconds * 1000);
}
