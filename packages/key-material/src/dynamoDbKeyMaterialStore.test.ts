import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbKeyMaterialStore, KeyMaterialExistsError } from './dynamoDbKeyMaterialStore';

let dynamo: LocalDynamoDb;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});

const entry = (kid: string, parentKid: string, byte: number) => ({
  tenant: 'acme',
  kid,
  parentKid,
  wrappedKey: new Uint8Array(40).fill(byte),
  algorithm: 'AES_256_GCM',
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('DynamoDbKeyMaterialStore against dynalite', () => {
  it('stores one entry per (key, parent), never overwrites, and deletes for good', async () => {
    const store = new DynamoDbKeyMaterialStore({ client: dynamo.client, tableName: dynamo.tables.keyMaterial });
    await store.put(entry('k1', 'p1', 1));
    await store.put(entry('k1', 'p2', 2));
    await expect(store.put(entry('k1', 'p1', 9))).rejects.toBeInstanceOf(KeyMaterialExistsError);
    expect(Buffer.from((await store.get({ tenant: 'acme', kid: 'k1', parentKid: 'p1' }))!.wrappedKey)).toEqual(Buffer.alloc(40, 1));
    expect((await store.list('acme')).map((e) => e.parentKid).sort()).toEqual(['p1', 'p2']);
    expect(await store.list('other')).toEqual([]);

    await store.delete({ tenant: 'acme', kid: 'k1', parentKid: 'p1' });
    await store.delete({ tenant: 'acme', kid: 'k1', parentKid: 'absent' });
    expect(await store.get({ tenant: 'acme', kid: 'k1', parentKid: 'p1' })).toBeUndefined();
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tables.keyMaterial }));
    expect(Items?.some((item) => Buffer.from(item['wrapped_key']?.B ?? []).equals(Buffer.alloc(40, 1)))).toBe(false);
  });
});
