import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REQUEST_CONTROLS_ATTR as A } from '@keyledger/dynamodb';

/** The response kept for a replay: status, the headers worth repeating, and the body as sent. */
export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body?: string;
}

export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'in-progress'; requestHash: string }
  | { kind: 'completed'; requestHash: string; response: StoredResponse };

export interface IdempotencyStore {
  /** Takes the key for this request, or says who has it. */
  claim(id: string, requestHash: string, now: Date): Promise<ClaimResult>;
  /** The claimed request finished: keep its response until the record expires. */
  complete(id: string, requestHash: string, response: StoredResponse): Promise<void>;
  /** The claimed request failed (nothing changed): a retry may run it again. */
  release(id: string, requestHash: string): Promise<void>;
}

/** Records expire 24 hours after the first request. */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A claim whose request has not finished in this time (its process died) may be taken over. */
export const IDEMPOTENCY_LEASE_MS = 60_000;

const epochSeconds = (ms: number) => String(Math.floor(ms / 1000));

/** Idempotency records in the RequestControls table, expired by DynamoDB's TTL and on read. */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async claim(id: string, requestHash: string, now: Date): Promise<ClaimResult> {
    const at = now.getTime();
    // This attempt's own mark: if the SDK retried a put that had succeeded, the record is ours.
    const attempt = randomUUID();
    for (let tries = 1; ; tries += 1) {
      try {
        await this.options.client.send(
          new PutItemCommand({
            TableName: this.options.tableName,
            Item: {
              [A.controlKey]: { S: id },
              [A.requestHash]: { S: requestHash },
              [A.state]: { S: 'in_progress' },
              [A.claimId]: { S: attempt },
              [A.leaseUntil]: { N: String(at + IDEMPOTENCY_LEASE_MS) },
              [A.expiresAt]: { N: epochSeconds(at + IDEMPOTENCY_TTL_MS) },
            },
            // Free, expired, or abandoned by a process that died while running its request.
            ConditionExpression: 'attribute_not_exists(#key) OR #expires <= :nowSeconds OR (#state = :inProgress AND #lease < :now)',
            ExpressionAttributeNames: { '#key': A.controlKey, '#expires': A.expiresAt, '#state': A.state, '#lease': A.leaseUntil },
            ExpressionAttributeValues: { ':nowSeconds': { N: epochSeconds(at) }, ':inProgress': { S: 'in_progress' }, ':now': { N: String(at) } },
          }),
        );
        return { kind: 'claimed' };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
      const { Item } = await this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: { [A.controlKey]: { S: id } }, ConsistentRead: true }));
      // Released between the put and the read: try the put again (twice at most).
      if (!Item && tries < 2) continue;
      if (Item?.[A.claimId]?.S === attempt) return { kind: 'claimed' };
      const hash = Item?.[A.requestHash]?.S ?? requestHash;
      const response = Item?.[A.response]?.S;
      if (Item?.[A.state]?.S === 'completed' && response) return { kind: 'completed', requestHash: hash, response: JSON.parse(response) as StoredResponse };
      return { kind: 'in-progress', requestHash: hash };
    }
  }

  async complete(id: string, requestHash: string, response: StoredResponse): Promise<void> {
    await this.options.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { [A.controlKey]: { S: id } },
        UpdateExpression: 'SET #state = :completed, #response = :response REMOVE #lease',
        ConditionExpression: '#hash = :hash',
        ExpressionAttributeNames: { '#state': A.state, '#response': A.response, '#lease': A.leaseUntil, '#hash': A.requestHash },
        ExpressionAttributeValues: { ':completed': { S: 'completed' }, ':response': { S: JSON.stringify(response) }, ':hash': { S: requestHash } },
      }),
    );
  }

  async release(id: string, requestHash: string): Promise<void> {
    try {
      await this.options.client.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: { [A.controlKey]: { S: id } },
          ConditionExpression: '#state = :inProgress AND #hash = :hash',
          ExpressionAttributeNames: { '#state': A.state, '#hash': A.requestHash },
          ExpressionAttributeValues: { ':inProgress': { S: 'in_progress' }, ':hash': { S: requestHash } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
