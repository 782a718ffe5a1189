import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from './localDynamoDb';
import { TABLES } from './tableDefinitions';
import { deleteExpiredItems } from './timeToLive';

let dynamo: LocalDynamoDb;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});

describe('time to live on dynalite', () => {
  it('deletes the items whose expiry has passed and keeps the others', async () => {
    const tableName = dynamo.tables.requestControls;
    const put = (key: string, expiresAt: number) =>
      dynamo.client.send(new PutItemCommand({ TableName: tableName, Item: { control_key: { S: key }, expires_at: { N: String(expiresAt) } } }));
    const now = new Date('2026-12-01T12:00:00Z');
    const seconds = now.getTime() / 1000;
    await put('old', seconds - 1);
    await put('now', seconds);
    await put('later', seconds + 60);
    expect(await deleteExpiredItems(dynamo.client, tableName, TABLES.requestControls, now)).toBe(2);
    const exists = async (key: string) => !!(await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: { control_key: { S: key } } }))).Item;
    expect([await exists('old'), await exists('now'), await exists('later')]).toEqual([false, false, true]);
    // A table without a time to live is left alone.
    expect(await deleteExpiredItems(dynamo.client, dynamo.tables.jobs, TABLES.jobs, now)).toBe(0);
  });
});
