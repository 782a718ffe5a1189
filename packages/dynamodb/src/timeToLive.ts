import { ConditionalCheckFailedException, DeleteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from './tableDefinitions';

/**
 * DynamoDB's time to live for dynalite, which has none: deletes the items whose TTL attribute
 * (epoch seconds) has passed, each only if it is still expired (an item renewed since the scan
 * stays). The local stack runs it on a schedule; in AWS, DynamoDB does this itself.
 */
export async function deleteExpiredItems(client: DynamoDBClient, tableName: string, table: TableDefinition, now: Date): Promise<number> {
  const ttl = table.timeToLiveAttribute;
  if (!ttl) return 0;
  const nowSeconds = { N: String(Math.floor(now.getTime() / 1000)) };
  const keyNames = [table.partitionKey.name, ...(table.sortKey ? [table.sortKey.name] : [])];
  let deleted = 0;
  let exclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#ttl <= :now',
        ExpressionAttributeNames: { '#ttl': ttl },
        ExpressionAttributeValues: { ':now': nowSeconds },
        ExclusiveStartKey: exclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: Object.fromEntries(keyNames.map((name) => [name, item[name]!])),
            ConditionExpression: '#ttl <= :now',
            ExpressionAttributeNames: { '#ttl': ttl },
            ExpressionAttributeValues: { ':now': nowSeconds },
          }),
        );
        deleted += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return deleted;
}
