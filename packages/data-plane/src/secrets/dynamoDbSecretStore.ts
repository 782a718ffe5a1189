import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { batchWrite, SECRETS_ATTR as A, SECRETS_BY_KID_INDEX, SECRETS_BY_NAMESPACE_INDEX } from '@keyledger/dynamodb';
import { accessRulesKey } from './secretControls';
import type { SecretHead, SecretListPage, SecretRef, SecretStore, SecretVersionInfo, SecretVersionKey, StoredSecretVersion } from './secretStore';

type Item = Record<string, AttributeValue>;

const VERSION_DIGITS = 19;
/** Sorts after '#' and before every character a secret name may hold. */
const AFTER_ALL_VERSIONS = '$';
/** Sorts after every version number (digits) and before the other items of a secret's partition. */
const VERSIONS_END = ':';

export const padVersion = (version: number) => String(version).padStart(VERSION_DIGITS, '0');
const secretId = (ref: SecretRef) => `${ref.tenant}/${ref.namespace}/${ref.name}`;
const namespaceId = (scope: Omit<SecretRef, 'name'>) => `${scope.tenant}/${scope.namespace}`;
const kidRef = (tenant: string, kid: string) => `${tenant}/${kid}`;
const key = (ref: SecretRef, version: number): Item => ({ [A.secretId]: { S: secretId(ref) }, [A.version]: { S: padVersion(version) } });

function toVersion(item: Item): StoredSecretVersion | undefined {
  const ciphertext = item[A.ciphertext]?.B;
  if (!ciphertext) return undefined;
  return { ...toInfo(item), ciphertext: Buffer.from(ciphertext), indexed: item[A.kidRef] !== undefined };
}

/**
 * The item saying a namespace's every live version is in the by-kid index (a re-encryption job
 * scanned it whole). Its name holds a '#', which no secret name can, and it has no index keys.
 */
const indexedMarker = (scope: Omit<SecretRef, 'name'>): Item => ({ [A.secretId]: { S: `${namespaceId(scope)}/#indexed` }, [A.version]: { S: 'marker' } });

/** A live version from its `name#version` index key; the key is also its position in the namespace. */
function versionKey(nameVersion: string): SecretVersionKey {
  const split = nameVersion.lastIndexOf('#');
  return { name: nameVersion.slice(0, split), version: Number(nameVersion.slice(split + 1)), position: nameVersion };
}

function toInfo(item: Item): SecretVersionInfo {
  return {
    version: Number(item[A.version]?.S),
    kid: item[A.kid]?.S ?? '',
    createdAt: item[A.createdAt]?.S ?? '',
    createdBy: item[A.createdBy]?.S ?? '',
    ...(item[A.rotationDue]?.S ? { rotationDue: item[A.rotationDue]!.S } : {}),
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
            [A.kidRef]: { S: kidRef(ref.tenant, record.kid) },
            [A.ciphertext]: { B: record.ciphertext },
            [A.createdAt]: { S: record.createdAt },
            [A.createdBy]: { S: record.createdBy },
            ...(record.rotationDue ? { [A.rotationDue]: { S: record.rotationDue } } : {}),
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
          UpdateExpression: 'REMOVE #ct, #ns, #nv, #kr SET #deleted = :at',
          ConditionExpression: 'attribute_exists(#ct)',
          ExpressionAttributeNames: { '#ct': A.ciphertext, '#ns': A.namespaceId, '#nv': A.nameVersion, '#kr': A.kidRef, '#deleted': A.deletedAt },
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
    await batchWrite(this.options.client, this.options.tableName, keys.map((item) => ({ DeleteRequest: { Key: item } })));
    return keys.length;
  }

  /**
   * Deletes every secret of a shredded tenant's namespace, every version and tombstone of each
   * name the namespace index lists (all names with a live version), and the namespace's index
   * marker. Names whose every version was deleted before keep their value-less tombstones.
   */
  async purgeNamespace(scope: Omit<SecretRef, 'name'>): Promise<number> {
    const names = new Set<string>();
    let after: string | undefined;
    do {
      const page = await this.versionsInNamespace(scope, { after, limit: 1_000 });
      for (const version of page.versions) names.add(version.name);
      after = page.next ?? undefined;
    } while (after !== undefined);
    let deleted = 0;
    for (const name of names) deleted += await this.deleteAll({ ...scope, name });
    await batchWrite(this.options.client, this.options.tableName, [{ DeleteRequest: { Key: indexedMarker(scope) } }, { DeleteRequest: { Key: accessRulesKey(scope) } }]);
    return deleted;
  }

  countByKid(tenant: string, kid: string): Promise<number> {
    return this.countIndex(SECRETS_BY_KID_INDEX, A.kidRef, kidRef(tenant, kid));
  }

  countInNamespace(scope: Omit<SecretRef, 'name'>): Promise<number> {
    return this.countIndex(SECRETS_BY_NAMESPACE_INDEX, A.namespaceId, namespaceId(scope));
  }

  /** The items of one partition of an index (live versions only: both indexes are sparse), every page counted. */
  private async countIndex(indexName: string, attribute: string, value: string): Promise<number> {
    let count = 0;
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: indexName,
          KeyConditionExpression: '#key = :value',
          ExpressionAttributeNames: { '#key': attribute },
          ExpressionAttributeValues: { ':value': { S: value } },
          Select: 'COUNT',
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      count += page.Count ?? 0;
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return count;
  }

  versionsInNamespace(scope: Omit<SecretRef, 'name'>, page: { after?: string; limit: number }): Promise<{ versions: SecretVersionKey[]; next: string | null }> {
    return this.pageIndex(SECRETS_BY_NAMESPACE_INDEX, A.namespaceId, namespaceId(scope), page);
  }

  versionsUnderKid(tenant: string, kid: string, page: { after?: string; limit: number }): Promise<{ versions: SecretVersionKey[]; next: string | null }> {
    return this.pageIndex(SECRETS_BY_KID_INDEX, A.kidRef, kidRef(tenant, kid), page);
  }

  /** A page of one partition of an index, in (name, version) order after a position. */
  private async pageIndex(indexName: string, attribute: string, value: string, page: { after?: string; limit: number }) {
    const result = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: indexName,
        KeyConditionExpression: page.after === undefined ? '#key = :value' : '#key = :value AND #nv > :after',
        ExpressionAttributeNames: { '#key': attribute, ...(page.after === undefined ? {} : { '#nv': A.nameVersion }) },
        ExpressionAttributeValues: { ':value': { S: value }, ...(page.after === undefined ? {} : { ':after': { S: page.after } }) },
        Limit: page.limit,
      }),
    );
    const versions = (result.Items ?? []).map((item) => versionKey(item[A.nameVersion]?.S ?? ''));
    return { versions, next: result.LastEvaluatedKey ? (versions.at(-1)?.position ?? null) : null };
  }

  async index(ref: SecretRef, version: number, kid: string): Promise<void> {
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key(ref, version),
          UpdateExpression: 'SET #kr = :kr',
          ConditionExpression: '#kid = :kid AND attribute_exists(#ct) AND attribute_not_exists(#kr)',
          ExpressionAttributeNames: { '#kr': A.kidRef, '#kid': A.kid, '#ct': A.ciphertext },
          ExpressionAttributeValues: { ':kr': { S: kidRef(ref.tenant, kid) }, ':kid': { S: kid } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error; // indexed already, moved or deleted
    }
  }

  async markIndexed(scope: Omit<SecretRef, 'name'>, at: string): Promise<void> {
    await this.options.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: { ...indexedMarker(scope), [A.createdAt]: { S: at } } }));
  }

  async isIndexed(scope: Omit<SecretRef, 'name'>): Promise<boolean> {
    const { Item } = await this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: indexedMarker(scope), ConsistentRead: true }));
    return Item !== undefined;
  }

  async moveDataKey(ref: SecretRef, version: number, move: { fromKid: string; toKid: string; ciphertext: Buffer; movedBy: string }): Promise<boolean> {
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: key(ref, version),
          UpdateExpression: 'SET #kid = :to, #kr = :kr, #ct = :ct, #by = :by',
          // Only a live version still under the old key: a concurrent delete or another job wins.
          ConditionExpression: '#kid = :from AND attribute_exists(#ct)',
          ExpressionAttributeNames: { '#kid': A.kid, '#kr': A.kidRef, '#ct': A.ciphertext, '#by': A.reencryptedBy },
          ExpressionAttributeValues: {
            ':from': { S: move.fromKid },
            ':to': { S: move.toKid },
            ':kr': { S: kidRef(ref.tenant, move.toKid) },
            ':ct': { B: move.ciphertext },
            ':by': { S: move.movedBy },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async movedBy(ref: SecretRef, version: number): Promise<string | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: key(ref, version), ConsistentRead: true, ProjectionExpression: '#by', ExpressionAttributeNames: { '#by': A.reencryptedBy } }),
    );
    return Item?.[A.reencryptedBy]?.S;
  }

  /**
   * The items of a secret's partition: its versions (19 digits), or with `keysOnly` everything,
   * the secret's settings and read counts too (secretControls.ts), which sort after every version.
   */
  private async *query(ref: SecretRef, options: { newestFirst: boolean; pageSize: number; keysOnly?: boolean }): AsyncGenerator<Item> {
    let exclusiveStartKey: Item | undefined;
    do {
      const result = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: options.keysOnly ? '#id = :id' : '#id = :id AND #v < :end',
          ExpressionAttributeNames: { '#id': A.secretId, '#v': A.version },
          ExpressionAttributeValues: { ':id': { S: secretId(ref) }, ...(options.keysOnly ? {} : { ':end': { S: VERSIONS_END } }) },
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

/**
 * A Secrets item of an older local table, for the table's current definition: a live version
 * gets its by-kid index key (see ensureTables in @keyledger/dynamodb).
 */
export function upgradeSecretItem(table: string, item: Item): Item {
  if (table !== 'secrets' || !item[A.ciphertext] || item[A.kidRef] || !item[A.kid]?.S) return item;
  const tenant = (item[A.secretId]?.S ?? '').split('/')[0] ?? '';
  return { ...item, [A.kidRef]: { S: kidRef(tenant, item[A.kid]!.S!) } };
}
