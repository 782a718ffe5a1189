import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  ScanCommand,
  type AttributeValue,
  ResourceInUseException,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batchWrite } from './batchWrite';
import { TABLES, type TableDefinition, type TableKey, type TableNames } from './tableDefinitions';

type Item = Record<string, AttributeValue>;
/** Rewrites an item of an older table for its current definition (e.g. fills in a new index key). */
export type ItemUpgrade = (table: TableKey, item: Item) => Item;

export function toCreateTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const indexes = definition.globalSecondaryIndexes ?? [];
  const keys = [
    definition.partitionKey,
    ...(definition.sortKey ? [definition.sortKey] : []),
    ...indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  const attributes = new Map(keys.map((key) => [key.name, key.type]));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([name, type]) => ({ AttributeName: name, AttributeType: type })),
    KeySchema: [
      { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
      ...(definition.sortKey ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    ...(indexes.length > 0
      ? {
          GlobalSecondaryIndexes: indexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
              { AttributeName: index.sortKey.name, KeyType: 'RANGE' as const },
            ],
            Projection: { ProjectionType: index.projection },
          })),
        }
      : {}),
    ...(definition.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: definition.stream } } : {}),
  };
}

async function waitUntilActive(client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`Table ${tableName} did not become ACTIVE within ${timeoutMs} ms.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function createTable(client: DynamoDBClient, key: TableKey, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(toCreateTableInput(TABLES[key], tableName)));
  } catch (createError) {
    if (!(createError instanceof ResourceInUseException)) throw createError;
  }
}

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let exclusiveStartKey: Item | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: exclusiveStartKey }));
    items.push(...(page.Items ?? []));
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);
  return items;
}

/**
 * Creates every missing table (local stack and tests only; AWS tables come from the CDK app).
 * A local table made by an older keyledger that lacks an index of its definition is rebuilt:
 * dynalite cannot add an index to a table, so its items are read, copied to a file in
 * `backupDir`, the table is made again and the items written back through `upgradeItem`; then
 * the copy is deleted. A copy still there at the next start (the process died mid-rebuild) is
 * written back first.
 */
export async function ensureTables(
  client: DynamoDBClient,
  names: TableNames,
  options: { timeoutMs?: number; upgradeItem?: ItemUpgrade; backupDir?: string } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const upgrade = options.upgradeItem ?? ((_table: TableKey, item: Item) => item);
  for (const key of Object.keys(TABLES) as TableKey[]) {
    const tableName = names[key];
    const backup = options.backupDir ? join(options.backupDir, `${tableName}.rebuild-backup.json`) : undefined;
    let indexes: string[] | undefined;
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '');
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      await createTable(client, key, tableName);
    }
    const wanted = ((TABLES[key] as TableDefinition).globalSecondaryIndexes ?? []).map((index) => index.indexName);
    let items = backup ? await readBackup(backup) : undefined;
    if (indexes && wanted.some((name) => !indexes.includes(name))) {
      await waitUntilActive(client, tableName, timeoutMs);
      items ??= await scanAll(client, tableName);
      // A copy first (written whole, then renamed): if the process dies while the table is rebuilt, the items are in it.
      if (backup) {
        await writeFile(`${backup}.partial`, backupText(items), { mode: 0o600 });
        await rename(`${backup}.partial`, backup);
      }
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      await createTable(client, key, tableName);
    }
    await waitUntilActive(client, tableName, timeoutMs);
    if (items) {
      await batchWrite(client, tableName, items.map((item) => ({ PutRequest: { Item: upgrade(key, item) } })));
      if (backup) await rm(backup, { force: true });
    }
  }
}

const BACKUP_FORMAT = 'keyledger-table-backup/1';

/** Items as JSON, binary values (ciphertexts) as base64: JSON.stringify alone would lose their bytes. */
function backupText(items: Item[]): string {
  return JSON.stringify({ format: BACKUP_FORMAT, items }, function (this: Record<string, unknown>, key, value: unknown) {
    const original = this[key];
    return original instanceof Uint8Array ? { $base64: Buffer.from(original).toString('base64') } : value;
  });
}

/** The items of an interrupted rebuild, if its copy is there. */
async function readBackup(path: string): Promise<Item[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text, (_key, value: unknown) => {
    const encoded = (value as { $base64?: unknown } | null)?.$base64;
    return typeof encoded === 'string' ? Buffer.from(encoded, 'base64') : value;
  }) as { format?: string; items?: Item[] };
  if (parsed.format !== BACKUP_FORMAT || !Array.isArray(parsed.items)) {
    throw new Error(`${path} is not a table backup keyledger can read; move it away to start (it holds the items of an interrupted table rebuild).`);
  }
  return parsed.items;
}
