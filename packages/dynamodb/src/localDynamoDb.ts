import { ensureTables } from './createTables';
import { startDynalite, type RunningDynalite } from './dynalite';
import { tableNames, type TableNames } from './tableDefinitions';

export interface LocalDynamoDb extends RunningDynalite {
  tables: TableNames;
}

/** dynalite with every keyledger table created: the local stack's and the tests' database. */
export async function startLocalDynamoDb(
  options: { path?: string; port?: number; tablePrefix?: string } = {},
): Promise<LocalDynamoDb> {
  const dynamo = await startDynalite({ path: options.path, port: options.port });
  const tables = tableNames(options.tablePrefix ?? 'keyledger-local');
  try {
    await ensureTables(dynamo.client, tables);
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  return { ...dynamo, tables };
}
