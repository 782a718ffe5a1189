import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BatchWriteItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { upgradeSecretItem } from '@keyledger/data-plane';
import { silentLogger, type Logger } from '@keyledger/domain';
import { startLocalDynamoDb, TABLES, type LocalDynamoDb, type TableKey } from '@keyledger/dynamodb';
import type { LocalConfig } from '../config';
import { lockDataDir, LOCK_FILE } from '../dataDirLock';
import { DEV_ISSUER_FILE } from '../devIssuer';
import { ROOT_KEY_FILE, startLocalStack } from '../localStack';
import { BACKUP_FORMAT, BACKUP_VERSION, readBackupFile, writeBackupFile, type Item } from './backupFile';
import { destructionLedgerPath, FileDestructionLedger } from './fileDestructionLedger';
import type { StateCheck } from './restoreChecks';

const TABLE_KEYS = Object.keys(TABLES) as TableKey[];
/** Where the software root key store keeps customer root keys (packages/root-key-store, beside the root key file). */
const CUSTOMER_ROOT_KEYS_DIR = 'customer-root-keys';
/**
 * What a data dir may hold when a backup is restored into it: what a backup never holds, the
 * software root key store's files (the root key, and the customer root keys it keeps as KMS
 * would), the dev issuer key, and a stale lock.
 */
const RESTORABLE_ENTRIES = new Set([ROOT_KEY_FILE, CUSTOMER_ROOT_KEYS_DIR, DEV_ISSUER_FILE, LOCK_FILE]);
const CUSTOMER_ROOT_KEYS_DIR_NOTE = `${ROOT_KEY_FILE} and ${CUSTOMER_ROOT_KEYS_DIR}/`;

async function* scanAll(dynamo: LocalDynamoDb): AsyncGenerator<{ table: TableKey; item: Item }> {
  for (const table of TABLE_KEYS) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tables[table], ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of page.Items ?? []) yield { table, item };
      start = page.LastEvaluatedKey;
    } while (start);
  }
}

export interface BackupSummary {
  file: string;
  tables: Partial<Record<TableKey, number>>;
}

/**
 * `keyledger backup create FILE`: every table of the data dir, taken with the stack stopped (the
 * command holds the data dir's lock, so a running `npm start` refuses it and nothing writes
 * while it reads), in one pass over the tables.
 */
export async function createBackup(config: Pick<LocalConfig, 'dataDir'>, file: string): Promise<BackupSummary> {
  const release = await lockDataDir(config.dataDir);
  try {
    const dynamo = await startLocalDynamoDb({ path: join(config.dataDir, 'dynamodb'), upgradeItem: upgradeSecretItem });
    try {
      // How long the ledger was: a restore refuses a shorter one (not this deployment's, or cut).
      const ledgerEntries = (await new FileDestructionLedger(destructionLedgerPath(config.dataDir)).read()).length;
      const header = { format: BACKUP_FORMAT, version: BACKUP_VERSION, created_at: new Date().toISOString(), ledger_entries: ledgerEntries } as const;
      const tables = await writeBackupFile(file, header, scanAll(dynamo));
      return { file, tables };
    } finally {
      await dynamo.stop();
    }
  } finally {
    await release();
  }
}

export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

/** The data dir must hold nothing but the keys a backup never holds; with the software root key store, that key must be there. */
async function assertRestorable(config: LocalConfig): Promise<void> {
  let entries: string[] = [];
  try {
    entries = await readdir(config.dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const others = entries.filter((entry) => !RESTORABLE_ENTRIES.has(entry));
  if (others.length > 0) {
    throw new RestoreRefusedError(
      `${config.dataDir} holds ${others.join(', ')}: restore only into a data dir that holds nothing but the root key store's ${CUSTOMER_ROOT_KEYS_DIR_NOTE} (and ${DEV_ISSUER_FILE}); move the rest away first.`,
    );
  }
  if (config.rootKeyStore === 'software') {
    try {
      await access(join(config.dataDir, ROOT_KEY_FILE));
    } catch {
      throw new RestoreRefusedError(
        `${join(config.dataDir, ROOT_KEY_FILE)} is missing: a backup never holds the environment root key; put the root key file the backup's data dir had there, then restore.`,
      );
    }
  }
}

async function writeItems(dynamo: LocalDynamoDb, items: ReadonlyArray<{ table: TableKey; item: Item }>): Promise<void> {
  for (let index = 0; index < items.length; index += 25) {
    let requests: Record<string, Array<{ PutRequest: { Item: Item } }>> = {};
    for (const { table, item } of items.slice(index, index + 25)) (requests[dynamo.tables[table]] ??= []).push({ PutRequest: { Item: item } });
    while (Object.keys(requests).length > 0) {
      const { UnprocessedItems } = await dynamo.client.send(new BatchWriteItemCommand({ RequestItems: requests }));
      requests = (UnprocessedItems ?? {}) as typeof requests;
    }
  }
}

export interface RestoreSummary {
  tables: Partial<Record<TableKey, number>>;
  createdAt: string;
  ledger: { path: string; entries: number };
  check: StateCheck;
}

/**
 * `keyledger backup restore FILE`: checks the file (digest, format) and the data dir (nothing in
 * it but the root key and the dev issuer key), loads the tables, then starts the stack on it
 * once, which re-applies the destruction ledger before anything else, and checks the state
 * (every audit chain verifies, every live key unwraps). `ledger` is the ledger of the deployment
 * the backup came from (default: the one beside this data dir); its entries are copied beside
 * this data dir if it is another file, so that every later start re-applies them too.
 */
export async function restoreBackup(config: LocalConfig, file: string, options: { ledger?: string; noLedger?: boolean; logger?: Logger } = {}): Promise<RestoreSummary> {
  const logger = options.logger ?? silentLogger;
  const { header, tables, items } = await readBackupFile(file);
  const own = new FileDestructionLedger(destructionLedgerPath(config.dataDir), logger);
  const source = options.ledger ? new FileDestructionLedger(options.ledger, logger) : own;
  let entries: Awaited<ReturnType<FileDestructionLedger['read']>> = [];
  if (!options.noLedger) {
    // Without its ledger a restore would bring back every key destroyed since the backup: refuse, unless told there is none.
    const exists = await access(source.path).then(
      () => true,
      () => false,
    );
    if (!exists) {
      throw new RestoreRefusedError(
        `No destruction ledger at ${source.path}: without it the restore could bring back keys destroyed since the backup. ` +
          'Pass --ledger FILE (the .destruction-ledger.jsonl beside the original data dir), or --no-ledger if that deployment kept none.',
      );
    }
    entries = await source.read();
    if (entries.length < (header.ledger_entries ?? 0)) {
      throw new RestoreRefusedError(`The destruction ledger ${source.path} holds ${entries.length} entries, fewer than the ${header.ledger_entries} it held when the backup was taken: it is not this deployment's, or it lost entries.`);
    }
  }

  const release = await lockDataDir(config.dataDir);
  try {
    // Under the lock: nothing starts on the data dir between the check and the load.
    await assertRestorable(config);
    if (source.path !== own.path) {
      const known = new Set((await own.read()).map((entry) => JSON.stringify(entry)));
      await own.record(entries.filter((entry) => !known.has(JSON.stringify(entry))));
    }
    const dynamo = await startLocalDynamoDb({ path: join(config.dataDir, 'dynamodb'), upgradeItem: upgradeSecretItem });
    try {
      await writeItems(dynamo, items);
    } finally {
      await dynamo.stop();
    }
  } finally {
    await release();
  }
  // The stack's own start re-applies the ledger before it would serve; it listens on a free loopback port only for this check.
  const stack = await startLocalStack({ ...config, host: '127.0.0.1', port: 0, dynamodbPort: 0 }, logger);
  try {
    const check = await stack.checkState();
    return { tables, createdAt: header.created_at, ledger: { path: own.path, entries: entries.length }, check };
  } finally {
    await stack.stop();
  }
}
