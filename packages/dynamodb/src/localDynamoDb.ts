import { dirname } from 'node:path';
import { ensureTables, type ItemUpgrade } from './createTables';
import { startDynalite, type RunningDynalite } from './dynalite';
import { tableNames, type TableNames } from './tableDefinitions';

export interface LocalDynamoDb extends RunningDynalite {
  tables: TableNames;
}

/** dynalite with every keyledger table created: the local stack's and the tests' database. */
export async function startLocalDynamoDb(
  options: { path?: string; port?: number; tablePrefix?: string; upgradeItem?: ItemUpgrade } = {},
): Promise<LocalDynamoDb> {
  const dynamo = await startDynalite({ path: options.path, port: options.port });
  const tables = tableNames(options.tablePrefix ?? 'keyledger-local');
  try {
    await ensureTables(dynamo.client, tables, { upgradeItem: options.upgradeItem, backupDir: options.path ? dirname(options.path) : undefined });
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  return { ...dynamo, tables };
}
