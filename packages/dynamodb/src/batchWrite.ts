import { BatchWriteItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { backoffDelay, sleep } from '@keyledger/domain';

const BATCH_SIZE = 25;
const MAX_ROUNDS = 8;
const CONCURRENT_BATCHES = 4;

/**
 * Writes or deletes many items with BatchWriteItem: 25 per call, a few calls at a time, and
 * what DynamoDB leaves unprocessed retried with a growing, jittered pause. Unconditional, so only for
 * items no other writer can hold (new ids) or that are deleted for good.
 */
export async function batchWrite(client: DynamoDBClient, tableName: string, requests: readonly WriteRequest[]): Promise<void> {
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += BATCH_SIZE) batches.push(requests.slice(i, i + BATCH_SIZE));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending = batches[next++]!;
      for (let round = 0; pending.length > 0; round += 1) {
        if (round >= MAX_ROUNDS) throw new Error(`DynamoDB left ${pending.length} writes to ${tableName} unprocessed; retry.`);
        if (round > 0) await sleep(backoffDelay(round, 50, 1_000));
        const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = result.UnprocessedItems?.[tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_BATCHES, batches.length) }, worker));
}

/**
 * Deletes every item of one partition for good (keys-only query pages, then batch deletes);
 * says how many. For data of a shredded tenant, which nothing writes again.
 */
export async function deletePartition(
  client: DynamoDBClient,
  tableName: string,
  key: { partitionKey: string; sortKey: string; value: string },
): Promise<number> {
  let deleted = 0;
  let exclusiveStartKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': key.partitionKey, '#sk': key.sortKey },
        ExpressionAttributeValues: { ':pk': { S: key.value } },
        ProjectionExpression: '#pk, #sk',
        ConsistentRead: true,
        ExclusiveStartKey: exclusiveStartKey,
      }),
    );
    const items = page.Items ?? [];
    await batchWrite(client, tableName, items.map((item) => ({ DeleteRequest: { Key: item } })));
    deleted += items.length;
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return deleted;
}
