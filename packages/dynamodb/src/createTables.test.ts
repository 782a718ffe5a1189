import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ensureTables, toCreateTableInput } from './createTables';
import { startDynalite, type RunningDynalite } from './dynalite';
import { SECRETS_ATTR, SECRETS_BY_KID_INDEX, TABLES, tableNames } from './tableDefinitions';

let dynalite: RunningDynalite;
let dir: string;
beforeAll(async () => {
  dynalite = await startDynalite();
  dir = await mkdtemp(join(tmpdir(), 'keyledger-tables-'));
});
afterAll(async () => {
  await dynalite.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('ensureTables', () => {
  it('rebuilds a local table an older keyledger made without an index, keeping (and upgrading) its items', async () => {
    const names = tableNames('upgrade');
    // The Secrets table as it was before the by-kid index.
    const older = { ...TABLES.secrets, globalSecondaryIndexes: TABLES.secrets.globalSecondaryIndexes.filter((index) => index.indexName !== SECRETS_BY_KID_INDEX) };
    await dynalite.client.send(new CreateTableCommand(toCreateTableInput(older, names.secrets)));
    const item = {
      [SECRETS_ATTR.secretId]: { S: 'acme/secrets/db' },
      [SECRETS_ATTR.version]: { S: '0000000000000000001' },
      [SECRETS_ATTR.kid]: { S: 'k1' },
      [SECRETS_ATTR.ciphertext]: { B: Uint8Array.from([0, 1, 2, 254, 255]) },
    };
    await dynalite.client.send(new PutItemCommand({ TableName: names.secrets, Item: item }));
    // What an older keyledger's interrupted rebuild may have left: another format, never read.
    await writeFile(join(dir, `${names.secrets}.before-upgrade.json`), '[]');

    await ensureTables(dynalite.client, names, { upgradeItem: (table, upgraded) => (table === 'secrets' ? { ...upgraded, [SECRETS_ATTR.kidRef]: { S: 'acme/k1' } } : upgraded), backupDir: dir });

    const { Table } = await dynalite.client.send(new DescribeTableCommand({ TableName: names.secrets }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(['by-kid', 'by-namespace', 'rotations-due']);
    const { Items } = await dynalite.client.send(new ScanCommand({ TableName: names.secrets }));
    expect(Items).toEqual([{ ...item, [SECRETS_ATTR.kidRef]: { S: 'acme/k1' } }]);
    // The copy made for the rebuild is gone once the items are back.
    await expect(readdir(dir)).resolves.toEqual([`${names.secrets}.before-upgrade.json`]);
    await rm(join(dir, `${names.secrets}.before-upgrade.json`));
    // Every other table was made as its definition says; a second run changes nothing.
    await ensureTables(dynalite.client, names);
    expect((await dynalite.client.send(new ScanCommand({ TableName: names.secrets }))).Items).toHaveLength(1);
  });

  it('writes back the copy of a rebuild that a dead process left behind, bytes and all', async () => {
    const names = tableNames('interrupted');
    const item = {
      [SECRETS_ATTR.secretId]: { S: 'acme/secrets/db' },
      [SECRETS_ATTR.version]: { S: '0000000000000000001' },
      [SECRETS_ATTR.kid]: { S: 'k1' },
      [SECRETS_ATTR.ciphertext]: { B: Uint8Array.from([9, 8, 7, 0, 255]) },
    };
    // A first run made the copy and deleted the old table, then died: only the copy has the items.
    const older = { ...TABLES.secrets, globalSecondaryIndexes: TABLES.secrets.globalSecondaryIndexes.filter((index) => index.indexName !== SECRETS_BY_KID_INDEX) };
    await dynalite.client.send(new CreateTableCommand(toCreateTableInput(older, names.secrets)));
    await dynalite.client.send(new PutItemCommand({ TableName: names.secrets, Item: item }));
    const send = dynalite.client.send.bind(dynalite.client);
    const dying = jest.spyOn(dynalite.client, 'send').mockImplementation(((command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'CreateTableCommand' && dying.mock.calls.some(([earlier]) => (earlier as object).constructor.name === 'DeleteTableCommand')) {
        return Promise.reject(new Error('the process died here'));
      }
      return send(command as never);
    }) as never);
    await expect(ensureTables(dynalite.client, names, { backupDir: dir })).rejects.toThrow('the process died here');
    dying.mockRestore();
    await expect(readdir(dir)).resolves.toEqual([`${names.secrets}.rebuild-backup.json`]);

    await ensureTables(dynalite.client, names, { upgradeItem: (table, upgraded) => (table === 'secrets' ? { ...upgraded, [SECRETS_ATTR.kidRef]: { S: 'acme/k1' } } : upgraded), backupDir: dir });

    const { Items } = await dynalite.client.send(new ScanCommand({ TableName: names.secrets }));
    expect(Items).toEqual([{ ...item, [SECRETS_ATTR.kidRef]: { S: 'acme/k1' } }]);
    expect(Buffer.from(Items![0]![SECRETS_ATTR.ciphertext]!.B!)).toEqual(Buffer.from([9, 8, 7, 0, 255]));
    await expect(readdir(dir)).resolves.toEqual([]);
  });
});
