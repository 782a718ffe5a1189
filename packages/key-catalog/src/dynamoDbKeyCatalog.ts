import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DestructionRequest, KeyRecord } from '@keyledger/domain';
import { batchWrite, DESTRUCTION_REGISTRY_PARTITION, KEY_CATALOG_ATTR as A, RETENTION_REGISTRY_PARTITION, SHREDDED_REGISTRY_PARTITION } from '@keyledger/dynamodb';
import type { KeyCatalog, ReceiptDue, StoredRequest } from './keyCatalog';

type Item = Record<string, AttributeValue>;

const seqEntry = (seq: number) => `seq#${String(seq).padStart(12, '0')}`;
const kidEntry = (kid: string) => `kid#${kid}`;
const requestEntry = (id: string) => `request#${id}`;
const receiptDueEntry = (id: string) => `receipt-due#${id}`;
const receiptEntry = (id: string) => `receipt#${id}`;

/** A finished request's record: a number (the version it was decided on) while provisional, NULL once committed. */
const PROVISIONAL = 'provisional_from';
function storedRequestOf(item: Item): StoredRequest | undefined {
  if (!item[A.record]?.S) return undefined;
  const request = JSON.parse(item[A.record]!.S!) as DestructionRequest;
  const provisional = item[PROVISIONAL]?.N;
  return provisional === undefined ? { request } : { request, provisionalFrom: Number(provisional) };
}
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

  registerRetention(tenant: string, registered: boolean): Promise<void> {
    return this.register(RETENTION_REGISTRY_PARTITION, tenant, registered);
  }

  retentionTenants(): Promise<string[]> {
    return this.registered(RETENTION_REGISTRY_PARTITION);
  }

  registerDestruction(tenant: string, registered: boolean): Promise<void> {
    return this.register(DESTRUCTION_REGISTRY_PARTITION, tenant, registered);
  }

  destructionTenants(): Promise<string[]> {
    return this.registered(DESTRUCTION_REGISTRY_PARTITION);
  }

  async putRequest(tenant: string, request: DestructionRequest, as: { provisionalFrom: number } | { committed: true }): Promise<boolean> {
    const Item: Item = { [A.tenant]: { S: tenant }, [A.entry]: { S: requestEntry(request.id) }, [A.record]: { S: JSON.stringify(request) } };
    if ('committed' in as) {
      await this.options.client.send(new PutItemCommand({ TableName: this.options.tableName, Item: { ...Item, [PROVISIONAL]: { NULL: true } } }));
      return true;
    }
    try {
      // Never over a committed record: a decision on an older version lost to the commit that wrote it.
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: { ...Item, [PROVISIONAL]: { N: String(as.provisionalFrom) } },
          ConditionExpression: 'attribute_not_exists(#entry) OR attribute_type(#provisional, :number)',
          ExpressionAttributeNames: { '#entry': A.entry, '#provisional': PROVISIONAL },
          ExpressionAttributeValues: { ':number': { S: 'N' } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async getRequest(tenant: string, id: string): Promise<StoredRequest | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { [A.tenant]: { S: tenant }, [A.entry]: { S: requestEntry(id) } }, ConsistentRead: true }),
    );
    return Item ? storedRequestOf(Item) : undefined;
  }

  async listRequests(tenant: string, limit: number): Promise<StoredRequest[]> {
    const page = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: '#tenant = :tenant AND begins_with(#entry, :prefix)',
        ExpressionAttributeNames: { '#tenant': A.tenant, '#entry': A.entry },
        ExpressionAttributeValues: { ':tenant': { S: tenant }, ':prefix': { S: requestEntry('') } },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (page.Items ?? []).flatMap((item) => storedRequestOf(item) ?? []);
  }

  registerShredded(tenant: string): Promise<void> {
    return this.register(SHREDDED_REGISTRY_PARTITION, tenant, true);
  }

  async isShredded(tenant: string): Promise<boolean> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { [A.tenant]: { S: SHREDDED_REGISTRY_PARTITION }, [A.entry]: { S: tenant } }, ConsistentRead: true }),
    );
    return Item !== undefined;
  }

  async putReceiptDue(tenant: string, due: ReceiptDue): Promise<void> {
    await this.putRecord(tenant, receiptDueEntry(due.requestId), JSON.stringify(due));
  }

  async receiptsDue(tenant: string): Promise<ReceiptDue[]> {
    const page = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: '#tenant = :tenant AND begins_with(#entry, :prefix)',
        ExpressionAttributeNames: { '#tenant': A.tenant, '#entry': A.entry },
        ExpressionAttributeValues: { ':tenant': { S: tenant }, ':prefix': { S: receiptDueEntry('') } },
        ConsistentRead: true,
      }),
    );
    return (page.Items ?? []).flatMap((item) => (item[A.record]?.S ? [JSON.parse(item[A.record]!.S!) as ReceiptDue] : []));
  }

  async putReceipt(tenant: string, requestId: string, receipt: string): Promise<void> {
    await this.putRecord(tenant, receiptEntry(requestId), receipt);
    await this.clearReceiptDue(tenant, requestId);
  }

  async clearReceiptDue(tenant: string, requestId: string): Promise<void> {
    await this.options.client.send(
      new DeleteItemCommand({ TableName: this.options.tableName, Key: { [A.tenant]: { S: tenant }, [A.entry]: { S: receiptDueEntry(requestId) } } }),
    );
  }

  async getReceipt(tenant: string, requestId: string): Promise<string | undefined> {
    const { Item } = await this.options.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { [A.tenant]: { S: tenant }, [A.entry]: { S: receiptEntry(requestId) } }, ConsistentRead: true }),
    );
    return Item?.[A.record]?.S;
  }

  private async putRecord(tenant: string, entry: string, record: string): Promise<void> {
    await this.options.client.send(
      new PutItemCommand({ TableName: this.options.tableName, Item: { [A.tenant]: { S: tenant }, [A.entry]: { S: entry }, [A.record]: { S: record } } }),
    );
  }

  private async register(partition: string, tenant: string, registered: boolean): Promise<void> {
    const Key = { [A.tenant]: { S: partition }, [A.entry]: { S: tenant } };
    const { client, tableName } = this.options;
    if (registered) await client.send(new PutItemCommand({ TableName: tableName, Item: Key }));
    else await client.send(new DeleteItemCommand({ TableName: tableName, Key }));
  }

  private async registered(partition: string): Promise<string[]> {
    const tenants: string[] = [];
    let exclusiveStartKey: Item | undefined;
    do {
      const page = await this.options.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: '#tenant = :registry',
          ExpressionAttributeNames: { '#tenant': A.tenant },
          ExpressionAttributeValues: { ':registry': { S: partition } },
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
