import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbIdempotencyStore, IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_MS } from './idempotencyStore';

let dynamo: LocalDynamoDb;
let store: DynamoDbIdempotencyStore;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  store = new DynamoDbIdempotencyStore({ client: dynamo.client, tableName: dynamo.tables.requestControls });
});
afterAll(async () => {
  await dynamo.stop();
});

const at = (ms: number) => new Date(Date.parse('2026-12-01T00:00:00Z') + ms);
const response = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"kid":"k1"}' };

describe('DynamoDB idempotency records', () => {
  it('claims once, tells a concurrent claimant it is in progress, then replays the kept response', async () => {
    const claims = await Promise.all([store.claim('idem#t#1', 'h', at(0)), store.claim('idem#t#1', 'h', at(0))]);
    expect(claims.map((c) => c.kind).sort()).toEqual(['claimed', 'in-progress']);
    await store.complete('idem#t#1', 'h', response);
    expect(await store.claim('idem#t#1', 'h', at(2))).toEqual({ kind: 'completed', requestHash: 'h', response });
    expect(await store.claim('idem#t#1', 'other', at(3))).toEqual({ kind: 'completed', requestHash: 'h', response });
  });

  it('frees a released key, and lets a claim whose process died be taken over after its lease', async () => {
    await store.claim('idem#t#2', 'h', at(0));
    await store.release('idem#t#2', 'h');
    expect((await store.claim('idem#t#2', 'h', at(1))).kind).toBe('claimed');
    expect((await store.claim('idem#t#2', 'h', at(IDEMPOTENCY_LEASE_MS - 1))).kind).toBe('in-progress');
    // Another request under the key waits for the lease too, then may take the key (the first never finished).
    expect(await store.claim('idem#t#2', 'x', at(IDEMPOTENCY_LEASE_MS - 1))).toEqual({ kind: 'in-progress', requestHash: 'h' });
    expect((await store.claim('idem#t#2', 'x', at(IDEMPOTENCY_LEASE_MS + 10))).kind).toBe('claimed');
  });

  it('forgets a record after 24 hours', async () => {
    await store.claim('idem#t#3', 'h', at(0));
    await store.complete('idem#t#3', 'h', response);
    expect((await store.claim('idem#t#3', 'other', at(IDEMPOTENCY_TTL_MS - 1000))).kind).toBe('completed');
    expect((await store.claim('idem#t#3', 'other', at(IDEMPOTENCY_TTL_MS + 1000))).kind).toBe('claimed');
  });

  it('does not let a release of another request free the key', async () => {
    await store.claim('idem#t#4', 'h', at(0));
    await store.release('idem#t#4', 'not-h');
    expect((await store.claim('idem#t#4', 'h', at(1))).kind).toBe('in-progress');
  });
});
