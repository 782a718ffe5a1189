import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REQUEST_CONTROLS_ATTR as A } from '@keyledger/dynamodb';
import { decision, emissionInterval, microsOf, tolerance, type RateLimit, type RateLimitDecision } from './gcra';
import type { RateLimiter } from './rateLimiter';

/** DynamoDB's answers to too much traffic on one item: the bucket is overloaded, so the request is refused. */
const THROTTLED = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);

/**
 * The deployed limiter: one GCRA bucket per tenant in the RequestControls table, shared by every
 * function instance. A request costs one conditional UpdateItem in the usual case: "the TAT is
 * ahead of now but within the tolerance: add one interval". A bucket that has been idle takes a
 * second write ("the TAT is in the past: set it to now + one interval"), and a refused request a
 * read of the TAT for its Retry-After. Conditions make concurrent instances agree without locks.
 * Once refused, a tenant is refused by this instance without asking DynamoDB until its wait is
 * over, so a flood of refused requests does not become a flood of writes on one item.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  private readonly refusedUntil = new Map<string, number>();

  constructor(
    readonly limit: RateLimit,
    private readonly options: { client: DynamoDBClient; tableName: string; clock?: () => Date },
  ) {}

  async take(tenant: string): Promise<RateLimitDecision> {
    const now = microsOf((this.options.clock ?? (() => new Date()))());
    const readyAt = this.refusedUntil.get(tenant);
    if (readyAt !== undefined) {
      // The TAT was readyAt - interval + tolerance when this instance read it: refuse as the table would.
      if (readyAt > now) return decision(this.limit, readyAt - emissionInterval(this.limit) + tolerance(this.limit), now, false);
      this.refusedUntil.delete(tenant);
    }
    try {
      return await this.takeFromTable(tenant, now);
    } catch (error) {
      if (!THROTTLED.has((error as Error).name)) throw error;
      this.remember(tenant, now + 1_000_000, now);
      return { allowed: false, limit: this.limit.burst, remaining: 0, reset: Math.ceil(now / 1_000_000) + 1, retryAfter: 1 };
    }
  }

  /** Until `readyAt` (when the bucket has one request again), this instance refuses the tenant by itself. */
  private remember(tenant: string, readyAt: number, now: number): void {
    if (this.refusedUntil.size > 10_000) for (const [name, at] of this.refusedUntil) if (at <= now) this.refusedUntil.delete(name);
    this.refusedUntil.set(tenant, readyAt);
  }

  private async takeFromTable(tenant: string, now: number): Promise<RateLimitDecision> {
    const key = { [A.controlKey]: { S: `rate#${tenant}` } };
    const interval = emissionInterval(this.limit);
    const expiresAt = { N: String(Math.ceil((now + tolerance(this.limit)) / 1_000_000) + 60) };
    // Busy bucket, then idle bucket, then busy again (another instance may have just revived it).
    for (const busy of [true, false, true]) {
      try {
        const { Attributes } = await this.options.client.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: key,
            UpdateExpression: busy ? 'SET #tat = #tat + :interval, #expires = :expires' : 'SET #tat = :next, #expires = :expires',
            ConditionExpression: busy ? '#tat >= :now AND #tat <= :latest' : 'attribute_not_exists(#tat) OR #tat < :now',
            ExpressionAttributeNames: { '#tat': A.tat, '#expires': A.expiresAt },
            ExpressionAttributeValues: busy
              ? { ':interval': { N: String(interval) }, ':now': { N: String(now) }, ':latest': { N: String(now + tolerance(this.limit) - interval) }, ':expires': expiresAt }
              : { ':next': { N: String(now + interval) }, ':now': { N: String(now) }, ':expires': expiresAt },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        return decision(this.limit, Number(Attributes?.[A.tat]?.N ?? now + interval), now, true);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    const { Item } = await this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true }));
    const tat = Number(Item?.[A.tat]?.N ?? now);
    this.remember(tenant, Math.max(tat, now) + interval - tolerance(this.limit), now);
    return decision(this.limit, tat, now, false);
  }
}
