/**
 * The generic cell rate algorithm: a token bucket of `burst` requests refilled at `rate` per
 * second, kept as one number per tenant, the theoretical arrival time (TAT) of the next request.
 * The in-process limiter and the DynamoDB one share this arithmetic.
 */
export interface RateLimit {
  /** Requests per second. */
  rate: number;
  /** Bucket size: requests that may arrive at once after a quiet period. */
  burst: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** The bucket size (`x-ratelimit-limit`). */
  limit: number;
  /** Requests that may still be sent right now (`x-ratelimit-remaining`). */
  remaining: number;
  /** When the bucket is full again, in UNIX epoch seconds (`x-ratelimit-reset`, as Auth0 sends it). */
  reset: number;
  /** Whole seconds until a refused request may be sent again (`Retry-After`); 0 when allowed. */
  retryAfter: number;
}

export const emissionIntervalMs = (limit: RateLimit) => 1000 / limit.rate;

/** How far ahead of now the TAT may be for a request to pass. */
export const toleranceMs = (limit: RateLimit) => limit.burst * emissionIntervalMs(limit);

/** The TAT after admitting one request at `now`, or undefined if the request must wait. */
export function admit(limit: RateLimit, tat: number | undefined, now: number): number | undefined {
  const next = Math.max(tat ?? now, now) + emissionIntervalMs(limit);
  return next - now <= toleranceMs(limit) ? next : undefined;
}

/** The decision for a request at `now`, given the TAT after it (allowed) or the current TAT (refused). */
export function decision(limit: RateLimit, tat: number, now: number, allowed: boolean): RateLimitDecision {
  const interval = emissionIntervalMs(limit);
  const ahead = Math.max(tat, now) - now;
  const remaining = Math.max(0, Math.floor((toleranceMs(limit) - ahead) / interval));
  const waitMs = allowed ? 0 : ahead + interval - toleranceMs(limit);
  return {
    allowed,
    limit: limit.burst,
    remaining,
    reset: Math.ceil(Math.max(tat, now) / 1000),
    retryAfter: allowed ? 0 : Math.max(1, Math.ceil(waitMs / 1000)),
  };
}
