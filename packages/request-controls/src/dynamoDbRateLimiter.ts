import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REQUEST_CONTROLS_ATTR as A } from '@keyledger/dynamodb';
import { decision, emissionInterval, microsOf, tolerance, type RateLimit, type RateLimitDecision } from './gcra';
import type { RateLimiter } from './rateLimiter';

/** DynamoDB's answers to too much traffic on one item: the bucket is overloaded, so the request is refused. */
const THROTTLED = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded']);
/** Unspent requests of a grant lapse after this long (microseconds), so an idle instance does not hoard them. */
const GRANT_LIFETIME = 250_000;

/** Requests an instance takes from the shared bucket in one write: a tenth of the bucket, 1 to 50. */
export const grantSize = (limit: RateLimit) => Math.max(1, Math.min(50, Math.floor(limit.burst / 10)));

interface Grant {
  left: number;
  until: number;
  /** The bucket's TAT after the grant: what `remaining` and `reset` are told from. */
  tat: number;
}

/**
 * The deployed limiter: one GCRA bucket per tenant in the RequestControls table, shared by every
 * function instance. An instance takes a grant of `grantSize` requests in one conditional
 * UpdateItem ("the TAT is ahead of now, but far enough within the tolerance: add that many
 * intervals"; an idle bucket: "the TAT is in the past: set it to now plus that many") and spends
 * it locally, so a tenant at 200 requests a second costs about ten writes a second, not two
 * hundred, on the data plane's hot path. Near the limit it takes single requests, so the bucket
 * is used up exactly; a refused request reads the TAT for its Retry-After, and the instance then
 * refuses the tenant by itself until the bucket has a request again (a flood of refused requests
 * is not a flood of writes on one item). Conditions make concurrent instances agree without locks.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  private readonly grants = new Map<string, Grant>();
  private readonly refusedUntil = new Map<string, number>();

  constructor(
    readonly limit: RateLimit,
    private readonly options: { client: DynamoDBClient; tableName: string; clock?: () => Date },
  ) {}

  async take(tenant: string): Promise<RateLimitDecision> {
    const now = microsOf((this.options.clock ?? (() => new Date()))());
    const grant = this.grants.get(tenant);
    if (grant && grant.left > 0 && grant.until > now) {
      grant.left -= 1;
      return this.withGrant(decision(this.limit, grant.tat, now, true), grant.left);
    }
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
      this.remember(this.refusedUntil, tenant, now + 1_000_000, now);
      return { allowed: false, limit: this.limit.burst, remaining: 0, reset: Math.ceil(now / 1_000_000) + 1, retryAfter: 1 };
    }
  }

  /** What the tenant may still send counts the requests this instance holds for it. */
  private withGrant(answer: RateLimitDecision, held: number): RateLimitDecision {
    return { ...answer, remaining: Math.min(this.limit.burst, answer.remaining + held) };
  }

  /** Keeps a per-tenant entry, dropping lapsed ones once there are many (memory follows active tenants). */
  private remember<V>(map: Map<string, V>, tenant: string, value: V, now: number): void {
    if (map.size > 10_000) {
      for (const [name, entry] of map) if ((typeof entry === 'number' ? entry : (entry as Grant).until) <= now) map.delete(name);
    }
    map.set(tenant, value);
  }

  private async takeFromTable(tenant: string, now: number): Promise<RateLimitDecision> {
    const key = { [A.controlKey]: { S: `rate#${tenant}` } };
    const interval = emissionInterval(this.limit);
    const expiresAt = { N: String(Math.ceil((now + tolerance(this.limit)) / 1_000_000) + 60) };
    const size = grantSize(this.limit);
    // A grant, busy bucket then idle one; then single requests: busy, idle, busy again (another
    // instance may have just revived the bucket).
    const tries: Array<[number, boolean]> = [...(size > 1 ? ([[size, true], [size, false]] as Array<[number, boolean]>) : []), [1, true], [1, false], [1, true]];
    for (const [count, busy] of tries) {
      const charge = count * interval;
      try {
        const { Attributes } = await this.options.client.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: key,
            UpdateExpression: busy ? 'SET #tat = #tat + :charge, #expires = :expires' : 'SET #tat = :next, #expires = :expires',
            ConditionExpression: busy ? '#tat >= :now AND #tat <= :latest' : 'attribute_not_exists(#tat) OR #tat < :now',
            ExpressionAttributeNames: { '#tat': A.tat, '#expires': A.expiresAt },
            ExpressionAttributeValues: busy
              ? { ':charge': { N: String(charge) }, ':now': { N: String(now) }, ':latest': { N: String(now + tolerance(this.limit) - charge) }, ':expires': expiresAt }
              : { ':next': { N: String(now + charge) }, ':now': { N: String(now) }, ':expires': expiresAt },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const tat = Number(Attributes?.[A.tat]?.N ?? now + charge);
        if (count > 1) this.remember(this.grants, tenant, { left: count - 1, until: now + GRANT_LIFETIME, tat }, now);
        return this.withGrant(decision(this.limit, tat, now, true), count - 1);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    const { Item } = await this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true }));
    const tat = Number(Item?.[A.tat]?.N ?? now);
    this.remember(this.refusedUntil, tenant, Math.max(tat, now) + interval - tolerance(this.limit), now);
    return decision(this.limit, tat, now, false);
  }
}
