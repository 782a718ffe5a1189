import { backoffDelay, sleep as defaultSleep } from '@keyledger/domain';

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  isRetryable: (error: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/**
 * Retries with capped exponential backoff and full jitter. Resolves with the first success;
 * rejects with the last error once attempts run out or an error is not retryable.
 */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<{ value: T; attempts: number }> {
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { value: await operation(attempt), attempts: attempt };
    } catch (error) {
      if (attempt >= options.attempts || !options.isRetryable(error)) {
        throw Object.assign(error as object, { attempts: attempt });
      }
      await sleep(backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, random));
    }
  }
}
