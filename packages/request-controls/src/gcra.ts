/**
 * The generic cell rate algorithm: a token bucket of `burst` requests refilled at `rate` per
 * second, kept as one number per tenant, the theoretical arrival time (TAT) of the next request.
 * The in-process limiter and the DynamoDB one share this arithmetic. Times are whole
 * microseconds since the epoch (exact in a double until the year 2255), so that rounding never
 * costs a request of the burst.
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

const MICROS_PER_SECOND = 1_000_000;

/** Microseconds since the epoch of a clock reading. */
export const microsOf = (date: Date) => date.getTime() * 1000;

/** The time one request takes to refill, in whole microseconds. */
export const emissionInterval = (limit: RateLimit) => Math.max(1, Math.round(MICROS_PER_SECOND / limit.rate));

/** How far ahead of now the TAT may be for a request to pass. */
export const tolerance = (limit: RateLimit) => limit.burst * emissionInterval(limit);

/** The TAT after admitting one request at `now`, or undefined if the request must wait. */
export function admit(limit: RateLimit, tat: number | undefined, now: number): number | undefined {
  const next = Math.max(tat ?? now, now) + emissionInterval(limit);
  return next - now <= tolerance(limit) ? next : undefined;
}

/** The decision for a request at `now`, given the TAT after it (allowed) or the current TAT (refused). */
export function decision(limit: RateLimit, tat: number, now: number, allowed: boolean): RateLimitDecision {
  const interval = emissionInterval(limit);
  const ahead = Math.max(tat, now) - now;
  const remaining = Math.max(0, Math.floor((tolerance(limit) - ahead) / interval));
  const wait = allowed ? 0 : ahead + interval - tolerance(limit);
  return {
    allowed,
    limit: limit.burst,
    remaining,
    reset: Math.ceil(Math.max(tat, now) / MICROS_PER_SECOND),
    retryAfter: allowed ? 0 : Math.max(1, Math.ceil(wait / MICROS_PER_SECOND)),
  };
}
