import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KeyRecord } from '@keyledger/domain';
import { batchWrite, KEY_CATALOG_ATTR as A, RETENTION_REGISTRY_PARTITION } from '@keyledger/dynamodb';
import type { KeyCatalog } from './keyCatalog';

type Item = Record<string, AttributeValue>;

const seqEntry = (seq: number) => `seq#${String(seq).padStart(12, '0')}`;
const kidEntry = (kid: string) => `kid#${kid}`;
const recordOf = (item: Item | undefined): KeyRecord | undefined => (item?.[A.record]?.S ? (JSON.parse(item[A.record]!.S!) as KeyRecord) : undefined);

/** The KeyCatalog table of tableDefinitions.ts: reads are consistent, pages are one range query. */
export class DynamoDbKeyCatalog implements KeyCatalog {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async put(tenant: string, records: readonly KeyRecord[]): Promise<void> {
    if (records.length === 0) return;
    const item = (entry: string, record: KeyRecord): Item => ({ [A.tenant]: { S: tenant }, [A.entry]: { S: entry }, [A.record]: { S: JSON.stringify(record) } });
    await batchWrite(
      this.options.client,
      this.options.tableName,
      records.flatMap((record) => [{ PutRequest: { Item: item(seqEntry(record.seq), record) } }, { PutRequest: { Item: item(kidEntry(record.kid), record) } }]),
    );
  }

  async get(tenant: string, kid: string): Promise<KeyRecord | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { [A.tenant]: { S: tenant }, [A.entry]: { S: kidEntry(kid) } }, ConsistentRead: true }),
    );
    return recordOf(Item);
  }

  async range(tenant: string, fromSeq: number, toSeq: number): Promise<KeyRecord[]> {
    const records: KeyRecord[] = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#tenant = :tenant AND #entry BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#tenant': A.tenant, '#entry': A.entry },
          ExpressionAttributeValues: { ':tenant': { S: tenant }, ':from': { S: seqEntry(fromSeq) }, ':to': { S: seqEntry(toSeq) } },
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const record = recordOf(item);
        if (record) records.push(record);
      }
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return records;
  }

  async registerRetention(tenant: string, registered: boolean): Promise<void> {
    const Key = { [A.tenant]: { S: RETENTION_REGISTRY_PARTITION }, [A.entry]: { S: tenant } };
    const { client, tableName } = this.options;
    if (registered) await client.send(new PutItemCommand({ TableName: tableName, Item: Key }));
    else await client.send(new DeleteItemCommand({ TableName: tableName, Key }));
  }

  async retentionTenants(): Promise<string[]> {
    const tenants: string[] = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#tenant = :registry',
          ExpressionAttributeNames: { '#tenant': A.tenant },
          ExpressionAttributeValues: { ':registry': { S: RETENTION_REGISTRY_PARTITION } },
          ConsistentRead: true,
          ExclusiveStartKey: exclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) if (item[A.entry]?.S) tenants.push(item[A.entry]!.S!);
      exclusiveStartKey = page.LastEvaluatedKey;
    } while (exclusiveStartKey);
    return tenants;
  }
}
