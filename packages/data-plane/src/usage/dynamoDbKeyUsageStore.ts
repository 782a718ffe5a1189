import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KEY_USAGE_ATTR as A } from '@keyledger/dynamodb';
import type { KeyUsageRecord, KeyUsageStore } from './keyUsageStore';

/** The KeyUsage table: one item per (tenant, kid); counts are added atomically, the time only moves forward. */
export class DynamoDbKeyUsageStore implements KeyUsageStore {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async add(tenant: string, kid: string, usage: { decrypts: number; lastDecryptAt: string }): Promise<void> {
    const Key = { [A.tenant]: { S: tenant }, [A.kid]: { S: kid } };
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key,
          UpdateExpression: 'ADD #decrypts :n SET #last = :at',
          ConditionExpression: 'attribute_not_exists(#last) OR #last < :at',
          ExpressionAttributeNames: { '#decrypts': A.decrypts, '#last': A.lastDecryptAt },
          ExpressionAttributeValues: { ':n': { N: String(usage.decrypts) }, ':at': { S: usage.lastDecryptAt } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Another process recorded a later decrypt: add the count only.
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key,
          UpdateExpression: 'ADD #decrypts :n',
          ExpressionAttributeNames: { '#decrypts': A.decrypts },
          ExpressionAttributeValues: { ':n': { N: String(usage.decrypts) } },
        }),
      );
    }
  }

  async get(tenant: string, kid: string): Promise<KeyUsageRecord> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { [A.tenant]: { S: tenant }, [A.kid]: { S: kid } }, ConsistentRead: true }),
    );
    return { lastDecryptAt: Item?.[A.lastDecryptAt]?.S ?? null, decrypts: Number(Item?.[A.decrypts]?.N ?? 0) };
  }
}
