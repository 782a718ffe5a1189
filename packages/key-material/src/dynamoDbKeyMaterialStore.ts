import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { KeyledgerError } from '@keyledger/domain';
import { batchWrite, KEY_MATERIAL_ATTR as A } from '@keyledger/dynamodb';
import type { KeyMaterialRef, KeyMaterialStore, WrappedKeyMaterial } from './keyMaterialStore';

export class KeyMaterialExistsError extends KeyledgerError {
  constructor(ref: KeyMaterialRef, options?: { cause?: unknown }) {
    super('key_material_exists', `Key material for ${ref.kid} under ${ref.parentKid} already exists.`, options);
  }
}

const materialId = (ref: KeyMaterialRef) => `${ref.kid}#${ref.parentKid}`;
const key = (ref: KeyMaterialRef) => ({ [A.tenant]: { S: ref.tenant }, [A.materialId]: { S: materialId(ref) } });

export class DynamoDbKeyMaterialStore implements KeyMaterialStore {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async put(entry: WrappedKeyMaterial): Promise<void> {
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: toItem(entry),
          ConditionExpression: 'attribute_not_exists(#tenant)',
          ExpressionAttributeNames: { '#tenant': A.tenant },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new KeyMaterialExistsError(entry, { cause: error });
      throw error;
    }
  }

  async get(ref: KeyMaterialRef): Promise<WrappedKeyMaterial | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: key(ref), ConsistentRead: true }),
    );
    return Item ? toEntry(Item) : undefined;
  }

  async list(tenant: string): Promise<WrappedKeyMaterial[]> {
    const entries: WrappedKeyMaterial[] = [];
    let exclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#tenant = :tenant',
          ExpressionAttributeNames: { '#tenant': A.tenant },
          ExpressionAttributeValues: { ':tenant': { S: tenant } },
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      entries.push(...(page.Items ?? []).map(toEntry));
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return entries;
  }

  async putMany(entries: readonly WrappedKeyMaterial[]): Promise<void> {
    await batchWrite(this.options.client, this.options.tableName, entries.map((entry) => ({ PutRequest: { Item: toItem(entry) } })));
  }

  async delete(ref: KeyMaterialRef): Promise<void> {
    await this.options.client.send(new DeleteItemCommand({ TableName: this.options.tableName, Key: key(ref) }));
  }

  async deleteMany(refs: readonly KeyMaterialRef[]): Promise<void> {
    await batchWrite(this.options.client, this.options.tableName, refs.map((ref) => ({ DeleteRequest: { Key: key(ref) } })));
  }
}

function toItem(entry: WrappedKeyMaterial): Record<string, AttributeValue> {
  return {
    ...key(entry),
    [A.kid]: { S: entry.kid },
    [A.parentKid]: { S: entry.parentKid },
    [A.wrappedKey]: { B: entry.wrappedKey },
    [A.algorithm]: { S: entry.algorithm },
    [A.createdAt]: { S: entry.createdAt },
  };
}

function toEntry(item: Record<string, AttributeValue>): WrappedKeyMaterial {
  return {
    tenant: item[A.tenant]?.S ?? '',
    kid: item[A.kid]?.S ?? '',
    parentKid: item[A.parentKid]?.S ?? '',
    wrappedKey: item[A.wrappedKey]?.B ?? new Uint8Array(),
    algorithm: item[A.algorithm]?.S ?? '',
    createdAt: item[A.createdAt]?.S ?? '',
  };
}
