import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { AUDIT_LOG_ATTR, startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import type { IntegrationEvent } from '@keyledger/events';
import { AuditLogProjector, ProjectionInProgressError } from './auditLogProjector';
import { DynamoDbAuditLogStore } from './auditLogStore';
import { logIdFor, sequenceOfLogId, type LogEntry } from './logEntry';
import { verifyChain } from './logEntry';

let dynamo: LocalDynamoDb;
beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
});
afterAll(async () => {
  await dynamo.stop();
});

const store = () => new DynamoDbAuditLogStore({ client: dynamo.client, tableName: dynamo.tables.auditLog, pageSize: 3 });
const projector = (clock?: () => Date) => new AuditLogProjector({ store: store(), environmentName: 'test-env', clock });
const tenantName = () => `tenant-${randomUUID().slice(0, 8)}`;

function stateChanged(tenant: string, to: 'active' | 'destroyed' = 'destroyed', at = '2026-11-23T10:00:00.000Z'): IntegrationEvent {
  return {
    detailType: 'kms_key_state_changed',
    detail: {
      event_id: randomUUID(),
      tenant,
      occurred_at: at,
      schema_version: 1,
      kid: randomUUID(),
      key_type: 'tenant-master-key',
      from: to === 'active' ? null : 'active',
      to,
      cause: 'rekey',
      parent_kid: null,
      namespace: null,
    },
  };
}

function apiCall(tenant: string, status: number): IntegrationEvent {
  const common = {
    event_id: randomUUID(),
    tenant,
    occurred_at: '2026-11-24T08:00:00.000Z',
    schema_version: 1 as const,
    request_id: 'req-1',
    method: 'POST',
    path: '/api/v2/keys/encryption/rekey',
    route: 'POST /api/v2/keys/encryption/rekey',
    operation: 'Rekey the hierarchy',
    status,
    actor: { sub: 'auth0|1', client_id: 'cli-1', scopes: ['create:encryption_keys'] },
    ip: '10.0.0.1',
    user_agent: 'curl/8',
  };
  return status < 400
    ? { detailType: 'sapi', detail: common }
    : { detailType: 'fapi', detail: { ...common, error_code: 'insufficient_scope' } };
}

async function chainOf(tenant: string): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for await (const entry of store().entries(tenant, { ascending: true })) entries.push(entry);
  return entries;
}

describe('AuditLogProjector', () => {
  it('writes Auth0-shaped entries chained by hash, one per event however often it is delivered', async () => {
    const tenant = tenantName();
    const events = [stateChanged(tenant, 'active'), apiCall(tenant, 200), stateChanged(tenant)];

    for (const event of events) await projector().project(event);
    const again = await projector().project(events[1]!);
    const entries = await chainOf(tenant);

    expect(again.outcome).toBe('duplicate');
    expect(entries.map((entry) => entry.type)).toEqual(['kms_key_state_changed', 'sapi', 'kms_key_state_changed']);
    expect(entries[1]).toMatchObject({
      log_id: logIdFor(2, events[1]!.detail.event_id),
      date: '2026-11-24T08:00:00.000Z',
      type: 'sapi',
      description: 'Rekey the hierarchy',
      client_id: 'cli-1',
      ip: '10.0.0.1',
      user_agent: 'curl/8',
      tenant_name: tenant,
      environment_name: 'test-env',
      details: { event_id: events[1]!.detail.event_id, status: 200, method: 'POST' },
      integrity: { sequence: 2, previous_log_id: entries[0]!.log_id, previous_hash: entries[0]!.integrity.hash },
    });
    expect(entries[2]!.details).toMatchObject({ from: 'active', to: 'destroyed' });
    expect(verifyChain(entries, await store().getHead(tenant))).toEqual({ ok: true, entries: 3 });
  });

  it('appends concurrent deliveries of different and identical events without forks or duplicates', async () => {
    const tenant = tenantName();
    const events = Array.from({ length: 8 }, () => stateChanged(tenant));

    const results = await Promise.allSettled([...events, ...events].map((event) => projector().project(event)));
    // a delivery that met another one mid-flight asks to be retried, as the bus would
    for (const [index, result] of results.entries()) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(ProjectionInProgressError);
        await projector().project([...events, ...events][index]!);
      }
    }
    const entries = await chainOf(tenant);

    expect(entries).toHaveLength(8);
    expect(new Set(entries.map((entry) => entry.details['event_id'])).size).toBe(8);
    expect(entries.map((entry) => entry.integrity.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(verifyChain(entries, await store().getHead(tenant)).ok).toBe(true);
  });

  it('takes over a crashed delivery after its lease without appending the event twice', async () => {
    const tenant = tenantName();
    const event = stateChanged(tenant);
    const crashing = new DynamoDbAuditLogStore({ client: dynamo.client, tableName: dynamo.tables.auditLog });
    crashing.completeMarker = async () => {
      throw new Error('process killed');
    };
    await expect(new AuditLogProjector({ store: crashing, environmentName: 'e' }).project(event)).rejects.toThrow('process killed');

    await expect(projector().project(event)).rejects.toBeInstanceOf(ProjectionInProgressError);
    const later = await projector(() => new Date(Date.now() + 60_000)).project(event);

    expect(later.outcome).toBe('duplicate');
    expect(await chainOf(tenant)).toHaveLength(1);
  });
});

describe('verifyChain', () => {
  async function chainWith(count: number) {
    const tenant = tenantName();
    for (let i = 0; i < count; i += 1) await projector().project(stateChanged(tenant));
    return { tenant, entries: await chainOf(tenant) };
  }
  const itemKey = (tenant: string, sequence: number) => ({
    [AUDIT_LOG_ATTR.tenant]: { S: tenant },
    [AUDIT_LOG_ATTR.entryKey]: { S: `log#${String(sequence).padStart(20, '0')}` },
  });

  it('names an entry edited in the table', async () => {
    const { tenant, entries } = await chainWith(4);
    const edited = { ...entries[1]!, description: 'nothing to see here' };
    await dynamo.client.send(
      new UpdateItemCommand({
        TableName: dynamo.tables.auditLog,
        Key: itemKey(tenant, 2),
        UpdateExpression: 'SET #entry = :entry',
        ExpressionAttributeNames: { '#entry': AUDIT_LOG_ATTR.entry },
        ExpressionAttributeValues: { ':entry': { S: JSON.stringify(edited) } },
      }),
    );

    const result = verifyChain(await chainOf(tenant), await store().getHead(tenant));

    expect(result).toMatchObject({ ok: false, problem: 'edited', sequence: 2, log_id: entries[1]!.log_id });
  });

  it('names an entry deleted from the middle and from the end of the chain', async () => {
    const { tenant, entries } = await chainWith(4);
    await dynamo.client.send(new DeleteItemCommand({ TableName: dynamo.tables.auditLog, Key: itemKey(tenant, 3) }));
    const middle = verifyChain(await chainOf(tenant), await store().getHead(tenant));
    const other = await chainWith(3);
    await dynamo.client.send(new DeleteItemCommand({ TableName: dynamo.tables.auditLog, Key: itemKey(other.tenant, 3) }));
    const tail = verifyChain(await chainOf(other.tenant), await store().getHead(other.tenant));

    expect(middle).toMatchObject({ ok: false, problem: 'deleted', sequence: 3, log_id: entries[2]!.log_id });
    expect(middle.ok || middle.message).toContain(entries[2]!.log_id);
    expect(tail).toMatchObject({ ok: false, problem: 'deleted', sequence: 3, log_id: other.entries[2]!.log_id });
  });

  it('detects an entry replaced together with its hash', async () => {
    const { entries } = await chainWith(3);
    const { entryHash } = await import('./logEntry');
    const forged = { ...entries[0]!, description: 'forged' };
    forged.integrity = { ...forged.integrity, hash: entryHash(forged) };

    const result = verifyChain([forged, entries[1]!, entries[2]!]);

    expect(result).toMatchObject({ ok: false, problem: 'edited', sequence: 1, log_id: entries[0]!.log_id });
  });
});

describe('log ids', () => {
  it('encodes the sequence in the log id', () => {
    const id = logIdFor(42, '0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(id).toBe('000000000000000000420f8fad5bd9cb469fa16570867728950e');
    expect(sequenceOfLogId(id)).toBe(42);
    expect(sequenceOfLogId('not-a-log-id')).toBeUndefined();
  });

});
