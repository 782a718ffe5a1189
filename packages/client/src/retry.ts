/**
 * When to try a request again, and how long to wait: 429 and 5xx answers and network errors,
 * for requests that are safe to repeat; `Retry-After` (seconds or an HTTP date) when the answer
 * has one, else exponential backoff with jitter.
 */

/** How the client retries (every field optional in the client's options). */
export interface RetryPolicy {
  /** Tries after the first; 2 by default, so at most 3 attempts. 0 turns retries off. */
  retries: number;
  /** The first backoff step (doubling each attempt, with jitter): 100 ms by default. */
  baseDelayMs: number;
  /** The longest backoff: 2 s by default. */
  maxDelayMs: number;
  /**
   * The longest `Retry-After` the client waits out: 20 s by default. An answer asking for more is
   * not retried (waiting less than the server asked would only be refused again): it is thrown,
   * with `retryAfterMs` on the error.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 2, baseDelayMs: 100, maxDelayMs: 2_000, maxRetryAfterMs: 20_000 };

/** Statuses worth another try: the rate limit, and a server or gateway that failed. */
export function isRetryableStatus(status: number, errorCode?: string): boolean {
  // 409 idempotency_key_in_use: the first try of this very request is still running.
  return status === 429 || (status >= 500 && status <= 599 && status !== 501) || (status === 409 && errorCode === 'idempotency_key_in_use');
}

/** `Retry-After` in milliseconds (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Backoff before attempt `attempt + 1` (attempt counts from 1): half fixed, half random ("equal jitter"). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
