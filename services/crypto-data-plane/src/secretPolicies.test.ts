import { ActivityRecorder } from '@keyledger/activity';
import { DynamoDbSecretControls } from '@keyledger/data-plane';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { createSecretPolicies } from './secretPolicies';

let dynamo: LocalDynamoDb;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});

const policies = (regions?: { region: string; writeRegion: string }) => {
  const controls = new DynamoDbSecretControls({ client: dynamo.client, tableName: dynamo.tables.secrets });
  const eventStore = new DynamoDbEventStore({ client: dynamo.client, eventsTable: dynamo.tables.events, snapshotsTable: dynamo.tables.snapshots, snapshotHistoryTable: dynamo.tables.snapshotHistory, regions });
  return { controls, guard: createSecretPolicies({ controls, activity: new ActivityRecorder({ eventStore }), regions, flushIntervalMs: 60_000, cacheTtlMs: 5_000 }) };
};

describe('secret read policies', () => {
  it('a replica Region counts no reads, and answers no read of an every_read secret (it could not record it): 503 naming the write Region', async () => {
    const ref = { tenant: 'acme', namespace: 'secrets', name: 'db.password' };
    const reader = { clientId: 'svc-orders', subject: 'svc-orders@clients' };
    const write = policies({ region: 'eu-west-1', writeRegion: 'eu-west-1' });
    await write.controls.setAudit(ref, 'every_read', '2026-12-02T00:00:00.000Z', 'alice');
    await write.guard.afterRead(ref, 1, reader);
    expect((await write.controls.usage(ref, { limit: 10 })).usage).toEqual([expect.objectContaining({ version: 1, clientId: 'svc-orders', reads: 1 })]);

    const replica = policies({ region: 'eu-central-1', writeRegion: 'eu-west-1' });
    await expect(replica.guard.afterRead(ref, 1, reader)).rejects.toMatchObject({ code: 'read_only_region', message: expect.stringContaining('write Region eu-west-1') });
    const other = { ...ref, name: 'api.key' };
    await replica.guard.afterRead(other, 1, reader);
    await replica.guard.counter.flush();
    expect((await replica.controls.usage(other, { limit: 10 })).usage).toEqual([]);
  });
});
