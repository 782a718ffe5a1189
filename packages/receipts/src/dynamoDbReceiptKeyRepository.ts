import { ConditionalCheckFailedException, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KEY_CATALOG_ATTR as A, RECEIPT_KEYS_PARTITION } from '@keyledger/dynamodb';
import { ReceiptKeyExistsError } from './errors';
import type { ReceiptKeyRepository, StoredReceiptKey } from './receiptKeyRepository';

type Item = Record<string, AttributeValue>;

const KEY_ENTRY_PREFIX = 'key#';

/**
 * Receipt keys in the KeyCatalog table: partition `#receipt-keys` (no tenant id starts with
 * '#'), sort key `key#<kid>`, the `StoredReceiptKey` as JSON in `record`. Reads are consistent
 * and paginated; a create never overwrites.
 */
export class DynamoDbReceiptKeyRepository implements ReceiptKeyRepository {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async list(): Promise<StoredReceiptKey[]> {
    const keys: StoredReceiptKey[] = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#tenant = :partition AND begins_with(#entry, :prefix)',
          ExpressionAttributeNames: { '#tenant': A.tenant, '#entry': A.entry },
          ExpressionAttributeValues: { ':partition': { S: RECEIPT_KEYS_PARTITION }, ':prefix': { S: KEY_ENTRY_PREFIX } },
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) if (item[A.record]?.S) keys.push(JSON.parse(item[A.record]!.S!) as StoredReceiptKey);
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return keys;
  }

  async create(key: StoredReceiptKey): Promise<void> {
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            [A.tenant]: { S: RECEIPT_KEYS_PARTITION },
            [A.entry]: { S: `${KEY_ENTRY_PREFIX}${key.kid}` },
            [A.record]: { S: JSON.stringify(key) },
          },
          ConditionExpression: 'attribute_not_exists(#entry)',
          ExpressionAttributeNames: { '#entry': A.entry },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ReceiptKeyExistsError(key.kid, { cause: error });
      throw error;
    }
  }
}
