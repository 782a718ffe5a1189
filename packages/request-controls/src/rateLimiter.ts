import { admit, decision, microsOf, type RateLimit, type RateLimitDecision } from './gcra';

/** Takes one request from a tenant's bucket. */
export interface RateLimiter {
  readonly limit: RateLimit;
  take(tenant: string): Promise<RateLimitDecision>;
}

/**
 * The local stack's limiter: the buckets live in this process. Buckets of tenants that have
 * been quiet long enough to be full again are dropped, so memory follows active tenants only.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly tats = new Map<string, number>();

  constructor(
    readonly limit: RateLimit,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async take(tenant: string): Promise<RateLimitDecision> {
    const now = microsOf(this.clock());
    if (this.tats.size > 10_000) this.dropFullBuckets(now);
    const tat = this.tats.get(tenant);
    const next = admit(this.limit, tat, now);
    if (next === undefined) return decision(this.limit, tat ?? now, now, false);
    this.tats.set(tenant, next);
    return decision(this.limit, next, now, true);
  }

  private dropFullBuckets(now: number): void {
    for (const [tenant, tat] of this.tats) if (tat <= now) this.tats.delete(tenant);
  }
}
