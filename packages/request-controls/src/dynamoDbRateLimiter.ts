import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REQUEST_CONTROLS_ATTR as A } from '@keyledger/dynamodb';
import { decision, emissionIntervalMs, toleranceMs, type RateLimit, type RateLimitDecision } from './gcra';
import type { RateLimiter } from './rateLimiter';

/**
 * The deployed limiter: one GCRA bucket per tenant in the RequestControls table, shared by every
 * function instance. A request costs one conditional UpdateItem in the usual case: "the TAT is
 * ahead of now but within the tolerance: add one interval". A bucket that has been idle takes a
 * second write ("the TAT is in the past: set it to now + one interval"), and a refused request a
 * read of the TAT for its Retry-After. Conditions make concurrent instances agree without locks.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  constructor(
    readonly limit: RateLimit,
    private readonly options: { client: DynamoDBClient; tableName: string; clock?: () => Date },
  ) {}

  async take(tenant: string): Promise<RateLimitDecision> {
    const key = { [A.controlKey]: { S: `rate#${tenant}` } };
    const interval = emissionIntervalMs(this.limit);
    const now = (this.options.clock ?? (() => new Date()))().getTime();
    const expiresAt = { N: String(Math.ceil((now + toleranceMs(this.limit)) / 1000) + 60) };
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
              ? { ':interval': { N: String(interval) }, ':now': { N: String(now) }, ':latest': { N: String(now + toleranceMs(this.limit) - interval) }, ':expires': expiresAt }
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
    return decision(this.limit, Number(Item?.[A.tat]?.N ?? now), now, false);
  }
}
