import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ActivityRecorder } from '@keyledger/activity';
import { createDataPlaneStores, DynamoDbRotationQueue, DynamoDbSecretControls, nextRotationAfter, SECRET_ALPHABETS } from '@keyledger/data-plane';
import { silentLogger } from '@keyledger/domain';
import { EVENTS_ATTR } from '@keyledger/dynamodb';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { useServiceHarness } from '@keyledger/key-hierarchy/testing';
import { createDataPlaneCore, createDataPlaneWorkers } from './workers';

const fixture = useServiceHarness({ namespaces: ['secrets'], snapshotEvery: 20, tenantPrefix: 'rotation' });
const HOUR = 3_600_000;

/** One process of the data plane's worker on the shared tables, on a clock the test moves. */
function worker(clock: () => Date) {
  const db = fixture.dynamo;
  const stores = createDataPlaneStores(db.client, db.tables, { usageFlushIntervalMs: 60_000 });
  const { service: keySource } = fixture.harness({ dependents: stores.dependents, clock });
  const eventStore = new DynamoDbEventStore({ client: db.client, eventsTable: db.tables.events, snapshotsTable: db.tables.snapshots, snapshotHistoryTable: db.tables.snapshotHistory });
  const activity = new ActivityRecorder({ eventStore });
  const core = createDataPlaneCore({ keySource, stores, namespaces: ['secrets'], activity, logger: silentLogger, clock });
  const controls = new DynamoDbSecretControls({ client: db.client, tableName: db.tables.secrets });
  const rotationQueue = new DynamoDbRotationQueue({ client: db.client, tableName: db.tables.secrets });
  return { ...core, ...createDataPlaneWorkers(core, { store: stores.secretStore, secretControls: controls, rotationQueue, activity, logger: silentLogger, clock }), controls, store: stores.secretStore };
}

/** The secret_rotated events the activity log holds for a tenant (each an activity commit of its own). */
async function rotatedEvents(tenant: string): Promise<Array<{ version: number; due_at: string; previous_version: number | null; pruned_versions: number[] }>> {
  const { Items } = await fixture.dynamo.client.send(
    new ScanCommand({
      TableName: fixture.dynamo.tables.events,
      FilterExpression: 'begins_with(#s, :prefix)',
      ExpressionAttributeNames: { '#s': EVENTS_ATTR.streamId },
      ExpressionAttributeValues: { ':prefix': { S: `activity/${tenant}/` } },
    }),
  );
  return (Items ?? [])
    .flatMap((item) => JSON.parse(item[EVENTS_ATTR.events]?.S ?? '[]') as Array<{ type: string; data: never }>)
    .filter((event) => event.type === 'secret_rotated')
    .map((event) => event.data)
    .sort((a: { version: number }, b: { version: number }) => a.version - b.version);
}

describe('scheduled secret rotation (worker, dynalite)', () => {
  it('two passes started at once rotate a due time once; a backlog of missed periods rotates once; the previous version still reads; keep prunes', async () => {
    let now = new Date('2026-12-02T10:00:00.000Z');
    const clock = () => now;
    const [a, b] = [worker(clock), worker(clock)];
    const tenant = fixture.newTenant();
    const ref = { tenant, namespace: 'secrets', name: 'db.password' };
    await a.secrets.put({ ...ref, value: Buffer.from('first'), actor: 'alice' });
    const firstDue = '2026-12-02T11:00:00.000Z';
    await a.controls.setRotation(ref, { period: 'PT1H', length: 24, characters: SECRET_ALPHABETS.hex, keep: 3, nextRotationAt: firstDue }, now.toISOString(), 'alice');

    expect(await Promise.all([a.rotations.runDue(), b.rotations.runDue()])).toEqual([0, 0]);
    now = new Date('2026-12-02T11:00:05.000Z');
    const rotated = await Promise.all([a.rotations.runDue(), b.rotations.runDue()]);
    // One pass wrote the version; the other found it written (or found the schedule moved on).
    expect(rotated[0] + rotated[1]).toBeGreaterThanOrEqual(1);
    expect((await a.store.versions(ref)).map((info) => info.version)).toEqual([2, 1]);
    expect(await rotatedEvents(tenant)).toEqual([expect.objectContaining({ version: 2, previous_version: 1, due_at: firstDue, pruned_versions: [] })]);
    const schedule = (await a.controls.settings(ref)).rotation!;
    expect(schedule).toMatchObject({ nextRotationAt: '2026-12-02T12:00:00.000Z', lastVersion: 2, lastRotatedAt: now.toISOString() });
    const value = (await a.secrets.get({ ...ref })).value.toString();
    expect(value).toMatch(/^[0-9a-f]{24}$/);
    expect((await b.secrets.get({ ...ref, version: 1 })).value.toString()).toBe('first');

    // Down for five hours: one rotation for the backlog, then the next due time after now.
    now = new Date('2026-12-02T16:30:00.000Z');
    await Promise.all([a.rotations.runDue(), b.rotations.runDue()]);
    expect((await a.store.versions(ref)).map((info) => info.version)).toEqual([3, 2, 1]);
    expect((await a.controls.settings(ref)).rotation!.nextRotationAt).toBe('2026-12-02T17:00:00.000Z');
    // keep 3: the next rotation leaves versions 4, 3 and 2.
    now = new Date('2026-12-02T17:00:01.000Z');
    await a.rotations.runDue();
    expect((await a.store.versions(ref)).map((info) => info.version)).toEqual([4, 3, 2]);
    expect((await rotatedEvents(tenant)).map((event) => [event.version, event.pruned_versions])).toEqual([
      [2, []],
      [3, []],
      [4, [1]],
    ]);
    expect((await a.secrets.get({ ...ref, version: 3 })).version).toBe(3);
  });

  it('a schedule removed (or changed) before its pass is not rotated', async () => {
    let now = new Date('2026-12-02T10:00:00.000Z');
    const w = worker(() => now);
    const tenant = fixture.newTenant();
    const ref = { tenant, namespace: 'secrets', name: 'api.key' };
    await w.secrets.put({ ...ref, value: Buffer.from('v1'), actor: 'alice' });
    await w.controls.setRotation(ref, { period: 'P1D', length: 16, characters: SECRET_ALPHABETS.alphanumeric, keep: null, nextRotationAt: '2026-12-02T10:30:00.000Z' }, now.toISOString(), 'alice');
    await w.controls.setRotation(ref, null, now.toISOString(), 'alice');
    now = new Date('2026-12-03T12:00:00.000Z');
    // (Other tests' schedules on the shared tables may be due: only this secret is looked at.)
    await w.rotations.runDue();
    expect((await w.store.versions(ref)).map((info) => info.version)).toEqual([1]);
  });

  it('a schedule whose secret lost every version is removed at its due time: it never brings the secret back', async () => {
    let now = new Date('2026-12-02T10:00:00.000Z');
    const w = worker(() => now);
    const tenant = fixture.newTenant();
    const ref = { tenant, namespace: 'secrets', name: 'gone.key' };
    await w.secrets.put({ ...ref, value: Buffer.from('v1'), actor: 'alice' });
    await w.controls.setRotation(ref, { period: 'PT1H', length: 16, characters: SECRET_ALPHABETS.hex, keep: null, nextRotationAt: '2026-12-02T11:00:00.000Z' }, now.toISOString(), 'alice');
    await w.secrets.delete({ ...ref, version: 1 });
    now = new Date('2026-12-02T11:00:01.000Z');
    await w.rotations.runDue();
    expect(await w.store.versions(ref)).toEqual([]);
    expect((await w.controls.settings(ref)).rotation).toBeNull();
    expect(await rotatedEvents(tenant)).toEqual([]);
  });

  it('the next due time after a backlog is the first period boundary after now', () => {
    const due = '2026-12-02T11:00:00.000Z';
    expect(nextRotationAfter(due, HOUR, new Date('2026-12-02T11:00:01.000Z'))).toBe('2026-12-02T12:00:00.000Z');
    expect(nextRotationAfter(due, HOUR, new Date('2026-12-02T16:30:00.000Z'))).toBe('2026-12-02T17:00:00.000Z');
    expect(nextRotationAfter(due, HOUR, new Date('2026-12-02T17:00:00.000Z'))).toBe('2026-12-02T18:00:00.000Z');
  });
});
