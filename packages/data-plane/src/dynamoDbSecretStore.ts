import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { SECRETS_ATTR as A, SECRETS_BY_NAMESPACE_INDEX } from '@keyledger/dynamodb';
import type { SecretHead, SecretListPage, SecretRef, SecretStore, SecretVersionInfo, StoredSecretVersion } from './secretStore';

type Item = Record<string, AttributeValue>;

const VERSION_DIGITS = 19;
/** Sorts after '#' and before every character a secret name may hold. */
const AFTER_ALL_VERSIONS = '$';

export const padVersion = (version: number) => String(version).padStart(VERSION_DIGITS, '0');
const secretId = (ref: SecretRef) => `${ref.tenant}/${ref.namespace}/${ref.name}`;
const namespaceId = (scope: Omit<SecretRef, 'name'>) => `${scope.tenant}/${scope.namespace}`;
const key = (ref: SecretRef, version: number): Item => ({ [A.secretId]: { S: secretId(ref) }, [A.version]: { S: padVersion(version) } });

function toVersion(item: Item): StoredSecretVersion | undefined {
  const ciphertext = item[A.ciphertext]?.B;
  if (!ciphertext) return undefined;
  return { ...toInfo(item), ciphertext: Buffer.from(ciphertext) };
}

function toInfo(item: Item): SecretVersionInfo {
  return {
    version: Number(item[A.version]?.S),
    kid: item[A.kid]?.S ?? '',
    createdAt: item[A.createdAt]?.S ?? '',
    createdBy: item[A.createdBy]?.S ?? '',
  };
}

/** The Secrets table of tableDefinitions.ts. Reads of one secret are consistent; listing reads the by-namespace index. */
export class DynamoDbSecretStore implements SecretStore {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async head(ref: SecretRef): Promise<SecretHead> {
    let highestVersion = 0;
    for await (const item of this.query(ref, { newestFirst: true, pageSize: 4 })) {
      if (highestVersion === 0) highestVersion = Number(item[A.version]?.S);
      const latest = toVersion(item);
      if (latest) return { highestVersion, latest };
    }
    return { highestVersion };
  }

  async get(ref: SecretRef, version: number): Promise<StoredSecretVersion | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: key(ref, version), ConsistentRead: true }),
    );
    return Item ? toVersion(Item) : undefined;
  }

  async put(ref: SecretRef, record: StoredSecretVersion): Promise<boolean> {
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            ...key(ref, record.version),
            [A.namespaceId]: { S: namespaceId(ref) },
            [A.nameVersion]: { S: `${ref.name}#${padVersion(record.version)}` },
            [A.kid]: { S: record.kid },
            [A.ciphertext]: { B: record.ciphertext },
            [A.createdAt]: { S: record.createdAt },
            [A.createdBy]: { S: record.createdBy },
          },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': A.secretId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async versions(ref: SecretRef): Promise<SecretVersionInfo[]> {
    const versions: SecretVersionInfo[] = [];
    for await (const item of this.query(ref, { newestFirst: true, pageSize: 100 })) {
      if (item[A.ciphertext]) versions.push(toInfo(item));
    }
    return versions;
  }

  async list(scope: Omit<SecretRef, 'name'>, page: { after?: string; limit: number }): Promise<SecretListPage> {
    const latest = new Map<string, number>();
    let exclusiveStartKey: Item | undefined;
    // The index holds every live version in (name, version) order: the last one seen per name
    // is its latest. One name more than the page is read to know whether a next page exists.
    do {
      const result = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: SECRETS_BY_NAMESPACE_INDEX,
          ...(page.after === undefined
            ? {
                KeyConditionExpression: '#ns = :ns',
                ExpressionAttributeNames: { '#ns': A.namespaceId },
                ExpressionAttributeValues: { ':ns': { S: namespaceId(scope) } },
              }
            : {
                KeyConditionExpression: '#ns = :ns AND #nv > :after',
                ExpressionAttributeNames: { '#ns': A.namespaceId, '#nv': A.nameVersion },
                ExpressionAttributeValues: { ':ns': { S: namespaceId(scope) }, ':after': { S: `${page.after}${AFTER_ALL_VERSIONS}` } },
              }),
          Limit: 100,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of result.Items ?? []) {
        const nameVersion = item[A.nameVersion]?.S ?? '';
        const split = nameVersion.lastIndexOf('#');
        const name = nameVersion.slice(0, split);
        if (!latest.has(name) && latest.size === page.limit) {
          const secrets = [...latest].map(([listed, version]) => ({ name: listed, version }));
          return { secrets, next: secrets[secrets.length - 1]?.name ?? null };
        }
        latest.set(name, Number(nameVersion.slice(split + 1)));
      }
      exclusiveStartKey = result.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return { secrets: [...latest].map(([name, version]) => ({ name, version })), next: null };
  }

  async deleteVersion(ref: SecretRef, version: number, deletedAt: string): Promise<boolean> {
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key(ref, version),
          // The value goes for good; the number stays taken so it is never reused.
          UpdateExpression: 'REMOVE #ct, #ns, #nv SET #deleted = :at',
          ConditionExpression: 'attribute_exists(#ct)',
          ExpressionAttributeNames: { '#ct': A.ciphertext, '#ns': A.namespaceId, '#nv': A.nameVersion, '#deleted': A.deletedAt },
          ExpressionAttributeValues: { ':at': { S: deletedAt } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async deleteAll(ref: SecretRef): Promise<number> {
    const keys: Item[] = [];
    for await (const item of this.query(ref, { newestFirst: false, pageSize: 100, keysOnly: true })) keys.push(item);
    for (let i = 0; i < keys.length; i += 25) {
      let requests: WriteRequest[] = keys.slice(i, i + 25).map((item) => ({ DeleteRequest: { Key: item } }));
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 25 * 2 ** attempt)));
        const result = await this.options.client.send(new BatchWriteItemCommand({ RequestItems: { [this.options.tableName]: requests } }));
        requests = result.UnprocessedItems?.[this.options.tableName] ?? [];
        if (attempt >= 8 && requests.length > 0) throw new Error(`DynamoDB left ${requests.length} secret versions undeleted; retry the delete.`);
      }
    }
    return keys.length;
  }

  private async *query(ref: SecretRef, options: { newestFirst: boolean; pageSize: number; keysOnly?: boolean }): AsyncGenerator<Item> {
    let exclusiveStartKey: Item | undefined;
    do {
      const result = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#id = :id',
          ExpressionAttributeNames: { '#id': A.secretId, ...(options.keysOnly ? { '#v': A.version } : {}) },
          ExpressionAttributeValues: { ':id': { S: secretId(ref) } },
          ...(options.keysOnly ? { ProjectionExpression: '#id, #v' } : {}),
          ScanIndexForward: !options.newestFirst,
          ConsistentRead: true,
          Limit: options.pageSize,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      yield* result.Items ?? [];
      exclusiveStartKey = result.LastEvaluatedKey;
    } while (exclusiveStartKey);
  }
}
